import { CLI_ORIGIN } from '../../src/services/audit';
import { setDisabled } from '../../src/services/users';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase, databaseUrlOf } from '../helpers/databases';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';
import { expectRefused } from '../helpers/accounts';

/*
 * Two gatehouse instances on one database take a provider account's first requests at once: one
 * user is linked, whichever instance wins; a user disabled through one is refused by the other.
 */
describe.each(databasesUnderTest())('provider accounts across two instances on one %s database', (dialect) => {
  let database: ThrowawayDatabase;
  let issuer: TestIssuer;
  let key: TestKey;
  let a: HttpHarness;
  let b: HttpHarness;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    issuer = await startTestIssuer();
    key = await issuer.newKey('ES256');
    issuer.publish(key);
    const env = {
      DATABASE_URL: databaseUrlOf(database.config),
      OIDC_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]),
    };
    a = await startHttpServer({ env });
    b = await startHttpServer({ env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await issuer?.close();
    await database?.drop();
  });

  it('links one user for one (issuer, sub) however the first requests are spread, and a disable on one instance holds on the other', async () => {
    const token = await issuer.sign(key, { sub: 'shared-subject', email: 'shared@acme.example', email_verified: true });
    const headers = { authorization: `Bearer ${token}` };
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).gql('{ me { id email } }', { headers })),
    );
    for (const response of responses) expect(response.body.errors).toBeUndefined();
    const ids = new Set(responses.map((r) => r.body.data?.['me'].id));
    expect(ids.size).toBe(1);
    expect(responses[0]?.body.data?.['me'].email).toBe('shared@acme.example');
    const links = await a.store.db.selectFrom('external_identities').selectAll().execute();
    expect(links).toHaveLength(1);
    const users = await a.store.db.selectFrom('users').select('id').execute();
    expect(users).toHaveLength(1);

    await setDisabled(a.app, [...ids][0] as string, true, CLI_ORIGIN);
    expectRefused(await b.gql('{ me { id } }', { headers }), token);
    expectRefused(await a.gql('{ me { id } }', { headers }), token);
  });
});
