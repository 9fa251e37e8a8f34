import { manualClock } from '../../src/manual-clock';
import { CREATE_API_KEY, codes, expectRefused, PASSWORD, REVOKE_API_KEY, signUp } from '../helpers/accounts';
import { createUser } from '../../src/services/accounts';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';

/*
 * rotateApiKey across two instances on one database (each with its credential cache): the former
 * secret works on both during its grace period and is refused on both after it, or at once when the
 * key is revoked or rotated again, through the same freshness rule as revocation.
 */
const ROTATE = /* GraphQL */ `
  mutation Rotate($id: ID!, $graceSeconds: Int!) {
    rotateApiKey(id: $id, graceSeconds: $graceSeconds) { secret apiKey { id name prefix scopes previousSecretExpiresAt } }
  }
`;

describe.each(databasesUnderTest())('rotateApiKey on two instances over one %s database', (dialect) => {
  let database: ThrowawayDatabase;
  let a: HttpHarness;
  let b: HttpHarness;
  const clock = manualClock(new Date().toISOString());

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const env = { DATABASE_URL: databaseUrlOf(database.config), JWT_SECRET: randomSecret() };
    a = await startHttpServer({ env, now: clock.now });
    b = await startHttpServer({ env, now: clock.now });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  const withKey = (h: HttpHarness, key: string) => h.gql('{ me { id } }', { headers: { 'x-api-key': key } });
  const works = async (key: string, ownerId: string) => {
    for (const h of [a, b]) expect((await withKey(h, key)).body.data?.['me']?.id).toBe(ownerId);
  };
  const refused = async (key: string) => {
    for (const h of [a, b]) expectRefused(await withKey(h, key), key);
  };

  it('keeps the old secret for the grace period on every instance, then refuses it; a second rotation or a revoke ends it at once', async () => {
    const alice = await signUp(a);
    const auth = { authorization: `Bearer ${alice.accessToken}` };
    const created = await a.gql(CREATE_API_KEY, { variables: { name: 'deploy' }, headers: auth });
    const id = created.body.data?.['createApiKey'].apiKey.id as string;
    const s0 = created.body.data?.['createApiKey'].secret as string;
    await works(s0, alice.id); // both instances now hold s0 in their caches

    const rotated = await a.gql(ROTATE, { variables: { id, graceSeconds: 60 }, headers: auth });
    expect(rotated.body.errors).toBeUndefined();
    const s1 = rotated.body.data?.['rotateApiKey'].secret as string;
    expect(rotated.body.data?.['rotateApiKey'].apiKey).toMatchObject({
      id,
      name: 'deploy',
      previousSecretExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString(),
    });
    expect(s1).not.toBe(s0);
    await works(s1, alice.id);
    await works(s0, alice.id);
    const listed = await b.gql('{ myApiKeys { id previousSecretExpiresAt } }', { headers: auth });
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data?.['myApiKeys']).toEqual([
      { id, previousSecretExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString() },
    ]);

    clock.advance(60_000);
    await refused(s0);
    await works(s1, alice.id);

    // Rotating again ends the earlier grace at once: s1 is the previous secret now, and with grace 0 it stops at once too.
    const again = await b.gql(ROTATE, { variables: { id, graceSeconds: 0 }, headers: auth });
    const s2 = again.body.data?.['rotateApiKey'].secret as string;
    await refused(s1);
    await works(s2, alice.id);

    // A revoke during a grace period refuses both secrets at once on both instances, cached or not.
    const third = await a.gql(ROTATE, { variables: { id, graceSeconds: 3600 }, headers: auth });
    const s3 = third.body.data?.['rotateApiKey'].secret as string;
    await works(s2, alice.id);
    await works(s3, alice.id);
    expect((await a.gql(REVOKE_API_KEY, { variables: { id }, headers: auth })).body.errors).toBeUndefined();
    await refused(s2);
    await refused(s3);

    const actions = await a.store.db.selectFrom('audit_events').select('action').where('action', '=', 'api_key.rotated').execute();
    expect(actions).toHaveLength(3);
  });

  it('refuses bad input, a revoked key, another user’s key and an API-key caller, changing nothing', async () => {
    const bob = await signUp(a);
    const mallory = await signUp(b);
    const auth = { authorization: `Bearer ${bob.accessToken}` };
    const created = await a.gql(CREATE_API_KEY, { variables: { name: 'bob' }, headers: auth });
    const id = created.body.data?.['createApiKey'].apiKey.id as string;
    const secret = created.body.data?.['createApiKey'].secret as string;
    const row = () => a.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    // Not with an API key (its use is recorded in last_used_at, so this comes before the snapshot).
    expect(codes(await a.gql(ROTATE, { variables: { id, graceSeconds: 60 }, headers: { 'x-api-key': secret } }))).toEqual(['FORBIDDEN']);
    const before = await row();

    expect(codes(await a.gql(ROTATE, { variables: { id, graceSeconds: -1 }, headers: auth }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await a.gql(ROTATE, { variables: { id, graceSeconds: 2_592_001 }, headers: auth }))).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(await b.gql(ROTATE, { variables: { id, graceSeconds: 60 }, headers: { authorization: `Bearer ${mallory.accessToken}` } })),
    ).toEqual(['FORBIDDEN']);
    expect(await row()).toEqual(before);

    await a.gql(REVOKE_API_KEY, { variables: { id }, headers: auth });
    const revoked = await row();
    expect(codes(await a.gql(ROTATE, { variables: { id, graceSeconds: 60 }, headers: auth }))).toEqual(['BAD_USER_INPUT']);
    expect(await row()).toEqual(revoked);
  });
});

/*
 * The contract lets an ADMIN rotate any key ("own keys; an ADMIN any"), so an ADMIN gets a secret
 * that acts as the key's owner (docs/security.md, "An ADMIN rotating another user's key"). What
 * makes that accountable: the audit event names the ADMIN as actor and the owner as subject.
 */
it('an ADMIN rotating another user’s key gets a secret acting as that user, audited with the ADMIN as actor and the owner as subject', async () => {
  const h = await startHttpServer();
  try {
    const alice = await signUp(h);
    const origin = { actorId: null, address: 'rotation', source: 'request' } as const;
    const admin = await createUser(h.app, { email: 'admin@rotation.test', password: PASSWORD, role: 'ADMIN' }, origin);
    const login = await h.gql('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
      variables: { e: 'admin@rotation.test', p: PASSWORD },
    });
    const adminAuth = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    const created = await h.gql(CREATE_API_KEY, {
      variables: { name: 'alice deploy' },
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    const id = created.body.data?.['createApiKey'].apiKey.id as string;

    const rotated = await h.gql(ROTATE, { variables: { id, graceSeconds: 0 }, headers: adminAuth });
    expect(rotated.body.errors).toBeUndefined();
    const secret = rotated.body.data?.['rotateApiKey'].secret as string;
    expect((await h.gql('{ me { id } }', { headers: { 'x-api-key': secret } })).body.data?.['me']?.id).toBe(alice.id);

    const events = await h.store.db
      .selectFrom('audit_events')
      .select(['actor_id', 'subject_id'])
      .where('action', '=', 'api_key.rotated')
      .execute();
    expect(events).toEqual([{ actor_id: admin.id, subject_id: alice.id }]);
  } finally {
    await h.close();
  }
});
