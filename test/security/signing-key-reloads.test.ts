import { decodeProtectedHeader } from 'jose';
import { makeSigningKey } from '../../src/auth/signing-keys';
import { openStore } from '../../src/store/database';
import { insertSigningKey } from '../../src/store/signing-keys';
import { LOGIN, PASSWORD, signUp, uniqueEmail } from '../helpers/accounts';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';

/*
 * Security finding: with ES256 on SQLite every commit is announced by the change signal, so any
 * write (a failed login) used to make the next JWT request reload `signing_keys`. The key ring now
 * reloads only when the keys' version (kid, signing time, retirement of each) changed, and a key
 * made by another connection is still signing on this server within seconds.
 */
jest.setTimeout(120_000);

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(databasesUnderTest())('signing-key reloads over %s', (dialect) => {
  let database: ThrowawayDatabase;
  let h: HttpHarness;
  const secret = randomSecret();
  const reads = { list: 0, version: 0 };

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    h = await startHttpServer({
      env: {
        DATABASE_URL: databaseUrlOf(database.config),
        JWT_ALGORITHM: 'ES256',
        SIGNING_KEYS_SECRET: secret,
        LOGIN_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_FAILURES_PER_ADDRESS: '1000',
      },
      appOptions: { onSigningKeysRead: (read) => reads[read]++ },
    });
  });
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  it('100 failed logins between JWT requests reload the keys no more than a constant number of times; a new key still signs within seconds', async () => {
    const user = await signUp(h, uniqueEmail('reloads'));
    const listsBefore = reads.list;
    for (let i = 0; i < 100; i++) {
      const failed = await h.gql(LOGIN, { variables: { email: user.email, password: `${PASSWORD} wrong` } });
      expect(failed.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      const me = await h.gql('{ me { id } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(me.body.data?.['me']).toEqual({ id: user.id });
    }
    // Before the fix: about one reload per failed login on SQLite (each commit announced).
    expect(reads.list - listsBefore).toBeLessThanOrEqual(2);

    // Another instance (here another connection) makes a key that signs at once: this server signs
    // with it within seconds, and the first user's token still works.
    const other = openStore(database.config, { credentialCacheSize: 0 });
    const made = makeSigningKey(secret, new Date());
    try {
      await insertSigningKey(other.db, made, false);
    } finally {
      await other.close();
    }
    const madeAt = Date.now();
    let kid = decodeProtectedHeader((await signUp(h)).accessToken).kid;
    while (kid !== made.kid && Date.now() - madeAt < 10_000) {
      await delay(200);
      kid = decodeProtectedHeader((await signUp(h)).accessToken).kid;
    }
    expect(kid).toBe(made.kid);
    expect(Date.now() - madeAt).toBeLessThan(7_000);
    const me = await h.gql('{ me { id } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(me.body.data?.['me']).toEqual({ id: user.id });
  });
});
