/*
 * The API-key cap (100 unrevoked keys per user) under parallel createApiKey, through the real HTTP
 * server, on both databases (issue 17: "150 parallel createApiKey leave 150 unrevoked keys on
 * SQLite, 114 on PostgreSQL").
 */
import { throwawayDatabase, type ThrowawayDatabase, databaseUrlOf } from '../helpers/databases';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { LIMITS } from '../../src/services/validation';
import { createTestKit } from '../../src/testkit';
import { codes, CREATE_API_KEY, signUp } from '../helpers/accounts';

const dialects = process.env['GATEHOUSE_TEST_POSTGRES'] === '1' ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('the API-key cap on %s', (dialect) => {
  let database: ThrowawayDatabase | undefined;
  let servers: HttpHarness[] = [];
  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const { config } = database;
    // Two instances on one database, with one JWT secret so that a token works on both: the cap
    // must hold across connections and processes, not only inside one.
    const env = { JWT_SECRET: randomSecret(), DATABASE_URL: databaseUrlOf(config) };
    servers = [await startHttpServer({ env }), await startHttpServer({ env })];
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await database?.drop();
  });

  it(`150 parallel createApiKey leave exactly ${LIMITS.apiKeysPerUser} unrevoked keys; the rest are BAD_USER_INPUT`, async () => {
    const [first] = servers as [HttpHarness];
    const owner = await signUp(first);
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        (servers[i % servers.length] as HttpHarness).gql(CREATE_API_KEY, {
          variables: { name: `key ${i}` },
          headers: { authorization: `Bearer ${owner.accessToken}` },
        }),
      ),
    );
    const created = answers.filter((a) => codes(a).length === 0);
    const refused = answers.filter((a) => codes(a).join() === 'BAD_USER_INPUT');
    expect(created).toHaveLength(LIMITS.apiKeysPerUser);
    expect(refused).toHaveLength(150 - LIMITS.apiKeysPerUser);
    const rows = await first.store.db
      .selectFrom('api_keys')
      .select('id')
      .where('user_id', '=', owner.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(rows).toHaveLength(LIMITS.apiKeysPerUser);
  });
});

describe('the API-key cap inside one process (test kit, in-memory SQLite)', () => {
  it(`150 createApiKey started together leave exactly ${LIMITS.apiKeysPerUser} unrevoked keys`, async () => {
    const kit = await createTestKit();
    try {
      const owner = await kit.createUser();
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) => kit.execute(CREATE_API_KEY, { variables: { name: `key ${i}` }, as: owner })),
      );
      expect(results.filter((r) => r.errors === undefined)).toHaveLength(LIMITS.apiKeysPerUser);
      expect(results.filter((r) => r.codes.join() === 'BAD_USER_INPUT')).toHaveLength(150 - LIMITS.apiKeysPerUser);
      const rows = await kit.store.db
        .selectFrom('api_keys')
        .select('id')
        .where('user_id', '=', owner.user.id)
        .where('revoked_at', 'is', null)
        .execute();
      expect(rows).toHaveLength(LIMITS.apiKeysPerUser);
    } finally {
      await kit.close();
    }
  });
});
