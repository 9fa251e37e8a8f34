/*
 * Accounts linked to an identity provider, attacked through the real HTTP server on each database
 * under test (issue 29, findings 2, 3 and 6): login timing, squatting of the linked address, and
 * ending a provider user's sessions.
 */
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';
import { LOGIN, PASSWORD, signUp, uniqueEmail } from '../helpers/accounts';
import { median } from './support';

const ME = '{ me { id email } }';
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe.each(databasesUnderTest())('provider-linked accounts on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let issuer: TestIssuer;
  let key: TestKey;
  let h: HttpHarness;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    issuer = await startTestIssuer();
    key = await issuer.newKey('ES256');
    issuer.publish(key);
    h = await startHttpServer({
      env: {
        DATABASE_URL: databaseUrlOf(database.config),
        OIDC_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]),
        // Dear enough that a hash stands out from the rest of a login (2^15: ~100 ms here), and
        // limits high enough for the measured failures.
        PASSWORD_HASH_COST: '15',
        LOGIN_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_FAILURES_PER_ADDRESS: '1000',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
    await database?.drop();
  });

  /** A provider account linked with a verified email, through its first request. */
  async function linkedAccount(subject: string, email: string): Promise<{ id: string; token: string }> {
    const token = await issuer.sign(key, { sub: subject, email, email_verified: true });
    const me = await h.gql(ME, bearer(token));
    expect(me.status).toBe(200);
    return { id: me.body.data?.['me'].id, token };
  }

  describe('login (finding 3)', () => {
    it('fails after the same work for a provider-linked email, a malformed stored hash and an unknown email', async () => {
      const linkedEmail = uniqueEmail('linked');
      await linkedAccount(`timing-${dialect}`, linkedEmail);
      const malformed = await signUp(h, uniqueEmail('malformed'));
      await h.store.db.updateTable('users').set({ password_hash: '$scrypt$garbage' }).where('id', '=', malformed.id).execute();
      const unknownEmail = uniqueEmail('unknown');
      const timeLogin = async (email: string): Promise<number> => {
        const started = performance.now();
        const response = await h.gql(LOGIN, { variables: { email, password: 'a wrong password' } });
        const elapsed = performance.now() - started;
        expect(response.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
        return elapsed;
      };
      const times = { linked: [] as number[], malformed: [] as number[], unknown: [] as number[] };
      // Interleaved, so a busy moment of the machine falls on every kind alike; medians of 11.
      for (let i = 0; i < 11; i++) {
        times.unknown.push(await timeLogin(unknownEmail));
        times.linked.push(await timeLogin(linkedEmail));
        times.malformed.push(await timeLogin(malformed.email));
      }
      const unknown = median(times.unknown);
      expect(median(times.linked) / unknown).toBeGreaterThan(0.5);
      expect(median(times.malformed) / unknown).toBeGreaterThan(0.5);
      expect(median(times.linked) / unknown).toBeLessThan(2);
      expect(median(times.malformed) / unknown).toBeLessThan(2);
    }, 120_000);

    it('still signs in a local account with its right password', async () => {
      const local = await signUp(h, uniqueEmail('local'));
      const response = await h.gql(LOGIN, { variables: { email: local.email, password: PASSWORD } });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?.['login'].user.id).toBe(local.id);
    });
  });
});
