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
import { openSocket, type Socket } from '../helpers/ws';
import { setUserRole } from '../../src/services/users';
import { CLI_ORIGIN } from '../../src/services/audit';
import { runCommand } from '../../src/cli/admin';

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
  describe('linking (finding 2: squatting; finding 4: hostile claims)', () => {
    const SIGN_UP_EMAIL = 'mutation($email: String!) { signUp(email: $email, password: "correct horse battery staple") { user { id } } }';

    it('refuses the old made-up address at sign-up, and a token without an email still gets a working account', async () => {
      const subject = `github|${dialect}-4242`;
      const { createHash } = await import('node:crypto');
      const made = `${createHash('sha256').update(`${issuer.issuer}\n${subject}`).digest('hex').slice(0, 32)}@external.invalid`;
      const squat = await h.gql(SIGN_UP_EMAIL, { variables: { email: made } });
      expect(squat.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      const token = await issuer.sign(key, { sub: subject });
      const me = await h.gql(ME, bearer(token));
      expect(me.status).toBe(200);
      expect(me.body.data?.['me']).toEqual({ id: expect.any(String), email: null });
      expect((await h.gql(ME, bearer(token))).body.data?.['me'].id).toBe(me.body.data?.['me'].id);
    });

    it('a verified email someone signed up first: the provider user is linked without it, never to that account, never a 500', async () => {
      const email = uniqueEmail('claimed');
      const squatter = await signUp(h, email);
      const token = await issuer.sign(key, { sub: `victim-${dialect}`, email, email_verified: true });
      for (let i = 0; i < 2; i++) {
        const me = await h.gql(ME, bearer(token));
        expect(me.status).toBe(200);
        expect(me.body.data?.['me']).toEqual({ id: expect.any(String), email: null });
        expect(me.body.data?.['me'].id).not.toBe(squatter.id);
      }
    });

    it.each([
      ['absent', undefined, null],
      ['false', false, null],
      ['the string "false"', 'false', null],
      ['the string "yes"', 'yes', null],
      ['true', true, 'verified'],
      ['the string "true"', 'true', 'verified'],
    ])('email_verified %s: the claimed address is linked only when verified', async (label, verified, expected) => {
      const email = uniqueEmail('verified');
      const claims: Record<string, unknown> = { sub: `verified-${dialect}-${label}`, email };
      if (verified !== undefined) claims['email_verified'] = verified;
      const me = await h.gql(ME, bearer(await issuer.sign(key, claims)));
      expect(me.status).toBe(200);
      expect(me.body.data?.['me'].email).toBe(expected === null ? null : email);
    });

    it.each([
      ['an ANSI escape', 'evil\u001b[31m@acme.example'],
      ['a line break', 'a@acme.example\naccepted: forged'],
      ['a bidi override', 'moc.emca\u202e@acme.example'],
      ['a zero-width space', 'al\u200bice@acme.example'],
      ['markup', '<script>x</script>'],
      ['3,000 characters', `${'a'.repeat(3000)}@acme.example`],
      ['the reserved domain', 'x@external.invalid'],
    ])('a verified email claim holding %s is not stored: the account has no email', async (label, email) => {
      const me = await h.gql(ME, bearer(await issuer.sign(key, { sub: `hostile-${dialect}-${label}`, email, email_verified: true })));
      expect(me.status).toBe(200);
      expect(me.body.data?.['me'].email).toBeNull();
    });

    it('keeps the look-alike forms of one mailbox one account: fullwidth and IDN forms of a verified email are the same address', async () => {
      const me = await h.gql(
        ME,
        bearer(await issuer.sign(key, { sub: `idn-${dialect}`, email: 'ｉｄｎ@bücher.example', email_verified: true })),
      );
      expect(me.body.data?.['me'].email).toBe('idn@xn--bcher-kva.example');
      const again = await h.gql(SIGN_UP_EMAIL, { variables: { email: 'idn@xn--bcher-kva.example' } });
      expect(again.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    });

    it('refuses a token whose sub holds control characters or is longer than 255 characters', async () => {
      for (const sub of ['evil\u001b[2Kaccepted', 'x'.repeat(256)]) {
        const response = await h.gql(ME, bearer(await issuer.sign(key, { sub })));
        expect(response.status).toBe(401);
      }
      expect((await h.gql(ME, bearer(await issuer.sign(key, { sub: 'x'.repeat(255) })))).status).toBe(200);
    });

    it('gives the same subject a working new account after its linked user was deleted', async () => {
      const token = await issuer.sign(key, { sub: `deleted-${dialect}` });
      const first = await h.gql(ME, bearer(token));
      const firstId = first.body.data?.['me'].id;
      expect(firstId).toEqual(expect.any(String));
      await h.store.db.deleteFrom('users').where('id', '=', firstId).execute();
      const next = await h.gql(ME, bearer(await issuer.sign(key, { sub: `deleted-${dialect}`, jti: 'next' })));
      expect(next.status).toBe(200);
      expect(next.body.data?.['me'].id).toEqual(expect.any(String));
      expect(next.body.data?.['me'].id).not.toBe(firstId);
      // The very token seen before the deletion too.
      expect((await h.gql(ME, bearer(token))).body.data?.['me'].id).toBe(next.body.data?.['me'].id);
    });
  });
  describe('ending sessions (finding 6)', () => {
    const LOGOUT_EVERYWHERE = 'mutation { logoutEverywhere }';
    const END_USER_SESSIONS = 'mutation($id: ID!) { endUserSessions(userId: $id) }';
    /** Issued a few seconds ago, as a provider's token in use is. */
    const providerToken = (subject: string, email?: string) =>
      issuer.sign(key, {
        sub: subject,
        iat: Math.floor(Date.now() / 1000) - 5,
        ...(email === undefined ? {} : { email, email_verified: true }),
      });
    /** A token the provider issues after the next whole second. */
    async function tokenIssuedLater(subject: string): Promise<string> {
      await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));
      return issuer.sign(key, { sub: subject, jti: 'later' });
    }

    /** A provider user with a token and an open subscription on it. */
    async function subscribed(subject: string, email?: string) {
      const token = await providerToken(subject, email);
      const me = await h.gql(ME, bearer(token));
      expect(me.status).toBe(200);
      const socket = openSocket(h.url, { authorization: `Bearer ${token}` });
      await socket.connected;
      socket.subscribe('subscription { noteAdded { id } }');
      return { token, id: me.body.data?.['me'].id as string, socket };
    }

    async function expectEnded(token: string, socket: Socket, endedAt: number): Promise<void> {
      expect((await h.gql(ME, bearer(token))).status).toBe(401);
      const closed = await socket.closed;
      expect(closed.code).toBe(4401);
      expect(Date.now() - endedAt).toBeLessThan(2_000);
    }

    it('logoutEverywhere ends the provider token it was called with, and its open socket within 2 s; a later token works', async () => {
      const { token, socket } = await subscribed(`logout-${dialect}`);
      const response = await h.gql(LOGOUT_EVERYWHERE, bearer(token));
      const endedAt = Date.now();
      expect(response.body).toEqual({ data: { logoutEverywhere: true } });
      await expectEnded(token, socket, endedAt);
      expect((await h.gql(ME, bearer(await tokenIssuedLater(`logout-${dialect}`)))).status).toBe(200);
    });

    it("an ADMIN's endUserSessions ends a provider user's tokens and socket", async () => {
      const { token, id, socket } = await subscribed(`ended-by-admin-${dialect}`);
      const admin = await signUp(h, uniqueEmail('admin'));
      await setUserRole(h.app, admin.id, 'ADMIN', CLI_ORIGIN);
      const response = await h.gql(END_USER_SESSIONS, { variables: { id }, ...bearer(admin.accessToken) });
      const endedAt = Date.now();
      expect(response.body).toEqual({ data: { endUserSessions: true } });
      await expectEnded(token, socket, endedAt);
    });

    it("`gatehouse admin end-sessions` ends a provider user's tokens and socket", async () => {
      const email = uniqueEmail('cli-ended');
      const { token, socket } = await subscribed(`ended-by-cli-${dialect}`, email);
      const output = await runCommand(h.app, ['end-sessions', '--email', email], () => '');
      const endedAt = Date.now();
      expect(output).toMatch(/^ended every session of /);
      await expectEnded(token, socket, endedAt);
    });
  });
});
