/*
 * Sessions that end, through the real HTTP server on each database: after logout, logoutEverywhere,
 * changePassword, an ADMIN ending a user's sessions, or the reuse of a refresh token, the access
 * tokens of the ended sessions answer 401 on the very next request, not when they expire.
 */
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase, databaseUrlOf } from '../helpers/databases';
import { type GqlResponse, type HttpHarness, startHttpServer } from '../helpers/http';
import { updateUserRole } from '../../src/store/users';
import { manualClock } from '../../src/testkit';
import { codes, createKey, expectRefused, LOGIN, ME, PASSWORD, REFRESH, type SignedUp, signUp } from '../helpers/accounts';

const LOGOUT = 'mutation ($t: String!) { logout(refreshToken: $t) }';
const LOGOUT_EVERYWHERE = 'mutation { logoutEverywhere }';
const CHANGE_PASSWORD = 'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
const END_USER_SESSIONS = 'mutation ($id: ID!) { endUserSessions(userId: $id) }';
const NEW_PASSWORD = 'a brand new passphrase';

describe.each(databasesUnderTest())('sessions that end, on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let h: HttpHarness;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const url = databaseUrlOf(database.config);
    h = await startHttpServer({ env: { DATABASE_URL: url } });
  }, 30_000);
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const me = (token: string) => h.gql(ME, { headers: bearer(token) });
  async function expectWorks(token: string, userId: string): Promise<void> {
    const response = await me(token);
    expect(response.status).toBe(200);
    expect(response.body.data?.['me']?.id).toBe(userId);
  }
  async function login(email: string, password = PASSWORD): Promise<{ accessToken: string; refreshToken: string }> {
    const response = await h.gql(LOGIN, { variables: { email, password } });
    expect(response.body.errors).toBeUndefined();
    return response.body.data?.['login'];
  }
  const refresh = (token: string): Promise<GqlResponse> => h.gql(REFRESH, { variables: { refreshToken: token } });
  async function auditActions(subjectId: string): Promise<string[]> {
    const rows = await h.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('subject_id', '=', subjectId)
      .orderBy('occurred_at')
      .execute();
    return rows.map((row) => row.action);
  }

  it('logout ends the access tokens of that session on the next request, and only that session', async () => {
    const alice = await signUp(h);
    const laptop = await login(alice.email);
    await expectWorks(alice.accessToken, alice.id);

    const out = await h.gql(LOGOUT, { variables: { t: alice.refreshToken }, headers: bearer(alice.accessToken) });
    expect(out.body).toEqual({ data: { logout: true } });

    expectRefused(await me(alice.accessToken));
    expect(codes(await refresh(alice.refreshToken))).toEqual(['UNAUTHENTICATED']);
    await expectWorks(laptop.accessToken, alice.id);
    expect(await auditActions(alice.id)).toContain('session.logged_out');
  });

  it('logout from another session of the same account ends the named session, not the caller’s', async () => {
    const bob = await signUp(h);
    const phone = await login(bob.email);
    const out = await h.gql(LOGOUT, { variables: { t: phone.refreshToken }, headers: bearer(bob.accessToken) });
    expect(out.body).toEqual({ data: { logout: true } });
    expectRefused(await me(phone.accessToken));
    await expectWorks(bob.accessToken, bob.id);
  });

  it('ten logouts of one account at once all land (none overwrites another on the users row)', async () => {
    const jo = await signUp(h);
    const sessions: Array<{ accessToken: string; refreshToken: string }> = [];
    // One after another: parallel logins count as pending failures and would lock the account.
    for (let i = 0; i < 10; i++) sessions.push(await login(jo.email));
    const outs = await Promise.all(
      sessions.map((s) => h.gql(LOGOUT, { variables: { t: s.refreshToken }, headers: bearer(jo.accessToken) })),
    );
    expect(outs.map((out) => out.body.data?.['logout'])).toEqual(Array(10).fill(true));
    for (const s of sessions) expectRefused(await me(s.accessToken));
    await expectWorks(jo.accessToken, jo.id);
  });

  it('a refresh token used twice ends its session: the access token issued with the newer one is refused', async () => {
    const carol = await signUp(h);
    const renewed = await refresh(carol.refreshToken);
    const fresh = renewed.body.data?.['refreshToken'] as { accessToken: string; refreshToken: string };
    await expectWorks(fresh.accessToken, carol.id);

    expect(codes(await refresh(carol.refreshToken))).toEqual(['UNAUTHENTICATED']); // the replay
    expectRefused(await me(fresh.accessToken));
    expect(codes(await refresh(fresh.refreshToken))).toEqual(['UNAUTHENTICATED']);
  });

  it('logoutEverywhere ends every session and refresh token of the account; API keys and new logins work', async () => {
    const dave = await signUp(h);
    const other = await login(dave.email);
    const key = await createKey(h, dave.accessToken);

    const out = await h.gql(LOGOUT_EVERYWHERE, { headers: bearer(other.accessToken) });
    expect(out.body).toEqual({ data: { logoutEverywhere: true } });

    expectRefused(await me(dave.accessToken));
    expectRefused(await me(other.accessToken));
    expect(codes(await refresh(dave.refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await refresh(other.refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect((await h.gql(ME, { headers: { 'x-api-key': key.secret } })).body.data?.['me']?.id).toBe(dave.id);
    // Signing in again straight away (same second) gives a working session.
    const again = await login(dave.email);
    await expectWorks(again.accessToken, dave.id);
    expect(await auditActions(dave.id)).toContain('session.logged_out_everywhere');
  });

  it('changePassword keeps the current session, ends the others, refuses the old password and accepts the new', async () => {
    const erin = await signUp(h);
    const other = await login(erin.email);

    const changed = await h.gql(CHANGE_PASSWORD, { variables: { c: PASSWORD, n: NEW_PASSWORD }, headers: bearer(erin.accessToken) });
    expect(changed.body).toEqual({ data: { changePassword: true } });

    await expectWorks(erin.accessToken, erin.id);
    expectRefused(await me(other.accessToken));
    expect(codes(await refresh(other.refreshToken))).toEqual(['UNAUTHENTICATED']);
    const renewed = await refresh(erin.refreshToken);
    expect(renewed.body.errors).toBeUndefined();
    await expectWorks(renewed.body.data?.['refreshToken'].accessToken, erin.id);

    expect(codes(await h.gql(LOGIN, { variables: { email: erin.email, password: PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
    await expectWorks((await login(erin.email, NEW_PASSWORD)).accessToken, erin.id);
    expect(await auditActions(erin.id)).toContain('user.password_changed');
  });

  it('changePassword made in a session refuses the account’s access tokens that name no session, and keeps that session', async () => {
    const hal = await signUp(h);
    // A token without `sid`, as issued before sessions could be ended (or by the test kit).
    const sessionless = h.app.accessTokens.issue(hal.id, h.app.now()).token;
    await expectWorks(sessionless, hal.id);

    const changed = await h.gql(CHANGE_PASSWORD, { variables: { c: PASSWORD, n: NEW_PASSWORD }, headers: bearer(hal.accessToken) });
    expect(changed.body).toEqual({ data: { changePassword: true } });

    expectRefused(await me(sessionless), sessionless);
    await expectWorks(hal.accessToken, hal.id);
    const renewed = await refresh(hal.refreshToken);
    expect(renewed.body.errors).toBeUndefined();
    await expectWorks(renewed.body.data?.['refreshToken'].accessToken, hal.id);
  });

  it('changePassword made with a token that names no session ends every session, that token’s too', async () => {
    const ida = await signUp(h);
    const sessionless = h.app.accessTokens.issue(ida.id, h.app.now()).token;
    const changed = await h.gql(CHANGE_PASSWORD, { variables: { c: PASSWORD, n: NEW_PASSWORD }, headers: bearer(sessionless) });
    expect(changed.body).toEqual({ data: { changePassword: true } });

    expectRefused(await me(sessionless), sessionless);
    expectRefused(await me(ida.accessToken), ida.accessToken);
    expect(codes(await refresh(ida.refreshToken))).toEqual(['UNAUTHENTICATED']);
    await expectWorks((await login(ida.email, NEW_PASSWORD)).accessToken, ida.id);
  });

  it('changePassword with a wrong current password or a short new one changes nothing', async () => {
    const fay = await signUp(h);
    const other = await login(fay.email);
    const wrong = await h.gql(CHANGE_PASSWORD, { variables: { c: 'not my password', n: NEW_PASSWORD }, headers: bearer(fay.accessToken) });
    expect(wrong.body.data).toBeNull();
    expect(wrong.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'currentPassword' });
    const short = await h.gql(CHANGE_PASSWORD, { variables: { c: PASSWORD, n: 'short' }, headers: bearer(fay.accessToken) });
    expect(short.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'newPassword' });

    await expectWorks(other.accessToken, fay.id);
    await expectWorks((await login(fay.email)).accessToken, fay.id);
    expect(codes(await h.gql(LOGIN, { variables: { email: fay.email, password: NEW_PASSWORD } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('wrong current passwords count as failed logins: after five, even the right one is RATE_LIMITED, there and at login', async () => {
    const gus = await signUp(h);
    for (let i = 0; i < 5; i++) {
      const wrong = await h.gql(CHANGE_PASSWORD, {
        variables: { c: `guess number ${i}`, n: NEW_PASSWORD },
        headers: bearer(gus.accessToken),
      });
      expect(codes(wrong)).toEqual(['BAD_USER_INPUT']);
    }
    const locked = await h.gql(CHANGE_PASSWORD, { variables: { c: PASSWORD, n: NEW_PASSWORD }, headers: bearer(gus.accessToken) });
    expect(locked.status).toBe(429);
    expect(codes(locked)).toEqual(['RATE_LIMITED']);
    const atLogin = await h.gql(LOGIN, { variables: { email: gus.email, password: PASSWORD } });
    expect(atLogin.status).toBe(429);
    // Nothing changed: the old password is still the password.
    const row = await h.store.db.selectFrom('login_failures').select('id').where('account_key', '=', gus.email.toLowerCase()).execute();
    expect(row.length).toBe(5);
  });

  describe('an ADMIN ending a user’s sessions', () => {
    let admin: SignedUp;
    beforeAll(async () => {
      admin = await signUp(h);
      expect((await updateUserRole(h.store.db, admin.id, 'ADMIN', new Date())).status).toBe('changed');
    });

    it('ends every session of the user at once, and is audited', async () => {
      const hal = await signUp(h);
      const other = await login(hal.email);
      const ended = await h.gql(END_USER_SESSIONS, { variables: { id: hal.id }, headers: bearer(admin.accessToken) });
      expect(ended.body).toEqual({ data: { endUserSessions: true } });
      expectRefused(await me(hal.accessToken));
      expectRefused(await me(other.accessToken));
      expect(codes(await refresh(hal.refreshToken))).toEqual(['UNAUTHENTICATED']);
      await expectWorks(admin.accessToken, admin.id);
      const row = await h.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'user.sessions_ended')
        .where('subject_id', '=', hal.id)
        .executeTakeFirst();
      expect(row?.actor_id).toBe(admin.id);
    });

    it('is FORBIDDEN to a USER, NOT_FOUND for an unknown id, BAD_USER_INPUT for a malformed one', async () => {
      const ivy = await signUp(h);
      const victim = await signUp(h);
      expect(codes(await h.gql(END_USER_SESSIONS, { variables: { id: victim.id }, headers: bearer(ivy.accessToken) }))).toEqual([
        'FORBIDDEN',
      ]);
      await expectWorks(victim.accessToken, victim.id);
      const unknown = '0190a1b2-0000-7000-8000-000000000001';
      expect(codes(await h.gql(END_USER_SESSIONS, { variables: { id: unknown }, headers: bearer(admin.accessToken) }))).toEqual([
        'NOT_FOUND',
      ]);
      expect(codes(await h.gql(END_USER_SESSIONS, { variables: { id: 'nope' }, headers: bearer(admin.accessToken) }))).toEqual([
        'BAD_USER_INPUT',
      ]);
    });
  });
});

/*
 * logoutEverywhere lists the sessions that may hold a live access token from their recent refresh
 * tokens. A session idle for longer than an access token lives is not on that list, so a refresh
 * of it racing logoutEverywhere must be caught otherwise: the families are revoked before they are
 * listed, and refresh checks for revocation after it has stored its new token
 * (src/services/sessions.ts endAllSessions, src/services/accounts.ts refresh).
 */
describe.each(databasesUnderTest())('a refresh racing logoutEverywhere, on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let h: HttpHarness;
  const clock = manualClock();

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const url = databaseUrlOf(database.config);
    h = await startHttpServer({ env: { DATABASE_URL: url }, now: clock.now });
  }, 30_000);
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  it('never leaves a working session, for a session idle longer than an access token lives (20 rounds)', async () => {
    const kim = await signUp(h);
    const login = async () =>
      (await h.gql(LOGIN, { variables: { email: kim.email, password: PASSWORD } })).body.data?.['login'] as {
        accessToken: string;
        refreshToken: string;
      };
    const me = (token: string) => h.gql(ME, { headers: { authorization: `Bearer ${token}` } });
    for (let round = 0; round < 20; round++) {
      const idle = await login();
      clock.advance(20 * 60_000); // its access token has expired; its refresh token has not
      const caller = await login();
      const [renewed] = await Promise.all([
        h.gql(REFRESH, { variables: { refreshToken: idle.refreshToken } }),
        h.gql(LOGOUT_EVERYWHERE, { headers: { authorization: `Bearer ${caller.accessToken}` } }),
      ]);
      const pair = renewed.body.data?.['refreshToken'] as { accessToken: string; refreshToken: string } | undefined;
      if (pair !== undefined) {
        expect({ round, status: (await me(pair.accessToken)).status }).toEqual({ round, status: 401 });
        expect(codes(await h.gql(REFRESH, { variables: { refreshToken: pair.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
      }
      expect((await me(caller.accessToken)).status).toBe(401);
    }
  });
});
