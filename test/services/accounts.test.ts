import { RateLimited } from '../../src/errors';
import { login, signUp } from '../../src/services/accounts';
import { CLI_ORIGIN, type RequestOrigin } from '../../src/services/audit';
import { changePassword } from '../../src/services/sessions';
import { setDisabled } from '../../src/services/users';
import { newId } from '../../src/store/ids';
import { insertUser } from '../../src/store/users';
import { createTestKit, type TestKit } from '../../src/testkit';

const LOGIN = 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { refreshToken } }';
const REFRESH = 'mutation ($token: String!) { refreshToken(refreshToken: $token) { refreshToken } }';
const DAY = 86_400_000;

describe('login throttling under concurrency', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createTestKit({ env: { LOGIN_FAILURES_PER_ACCOUNT: '5' } });
  });
  afterAll(() => kit.close());

  it('checks at most LOGIN_FAILURES_PER_ACCOUNT passwords however many guesses arrive at once', async () => {
    const victim = await kit.createUser({ email: 'victim@example.test' });
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        kit.execute(LOGIN, { variables: { email: 'victim@example.test', password: `guess number ${i}` } }),
      ),
    );
    const codes = guesses.map((g) => g.codes[0]);
    expect(codes.filter((c) => c !== 'UNAUTHENTICATED' && c !== 'RATE_LIMITED')).toEqual([]);
    let checked = codes.filter((c) => c === 'UNAUTHENTICATED').length;
    // Guesses that follow one by one get only what is left of the allowance: 5 checked in all.
    for (let i = 0; i < 10; i++) {
      const next = await kit.execute(LOGIN, { variables: { email: 'victim@example.test', password: `later guess ${i}` } });
      if (next.codes[0] === 'UNAUTHENTICATED') checked++;
      else expect(next.codes).toEqual(['RATE_LIMITED']);
    }
    expect(checked).toBe(5);
    const right = await kit.execute(LOGIN, { variables: { email: 'victim@example.test', password: victim.password } });
    expect(right.codes).toEqual(['RATE_LIMITED']);
  });
});

describe('refresh-token lifetimes', () => {
  let clock = new Date('2026-11-28T12:00:00Z');
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createTestKit({
      now: () => clock,
      env: { REFRESH_TOKEN_IDLE_TTL: String(7 * 86_400), REFRESH_TOKEN_ABSOLUTE_TTL: String(20 * 86_400) },
    });
  });
  afterAll(() => kit.close());

  async function loginAs(email: string, password: string): Promise<string> {
    const result = await kit.execute<{ login: { refreshToken: string } }>(LOGIN, { variables: { email, password } });
    expect(result.errors).toBeUndefined();
    return result.data!.login.refreshToken;
  }

  async function refresh(token: string) {
    return kit.execute<{ refreshToken: { refreshToken: string } }>(REFRESH, { variables: { token } });
  }

  it('expires a refresh token left unused for the idle lifetime', async () => {
    clock = new Date('2026-11-28T12:00:00Z');
    const user = await kit.createUser();
    const token = await loginAs(user.user.email, user.password);
    clock = new Date(clock.getTime() + 7 * DAY + 1000);
    expect((await refresh(token)).codes).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps a family alive while used, but never past the absolute lifetime of its login', async () => {
    clock = new Date('2026-11-28T12:00:00Z');
    const user = await kit.createUser();
    let token = await loginAs(user.user.email, user.password);
    // Renew every 6 days: inside the idle limit each time.
    for (let day = 6; day <= 18; day += 6) {
      clock = new Date(new Date('2026-11-28T12:00:00Z').getTime() + day * DAY);
      const renewed = await refresh(token);
      expect(renewed.errors).toBeUndefined();
      token = renewed.data!.refreshToken.refreshToken;
    }
    // Day 18 token would idle out on day 25, but the login itself ends on day 20.
    clock = new Date(new Date('2026-11-28T12:00:00Z').getTime() + 20 * DAY + 1000);
    expect((await refresh(token)).codes).toEqual(['UNAUTHENTICATED']);
  });
});

describe('token kinds are not interchangeable', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createTestKit();
  });
  afterAll(() => kit.close());

  it('refuses an access token where a refresh token is expected', async () => {
    const user = await kit.createUser();
    expect((await refresh(user.accessToken)).codes).toEqual(['UNAUTHENTICATED']);
  });

  async function refresh(token: string) {
    return kit.execute(REFRESH, { variables: { token } });
  }
});

describe('refresh-token reuse racing a real refresh', () => {
  it('leaves no working token when a token is presented twice at the same moment', async () => {
    const kit = await createTestKit();
    try {
      for (let round = 0; round < 10; round++) {
        const user = await kit.createUser();
        const login = await kit.execute<{ login: { refreshToken: string } }>(LOGIN, {
          variables: { email: user.user.email, password: user.password },
        });
        const token = login.data!.login.refreshToken;
        const [a, b] = await Promise.all([
          kit.execute<{ refreshToken: { refreshToken: string } }>(REFRESH, { variables: { token } }),
          kit.execute<{ refreshToken: { refreshToken: string } }>(REFRESH, { variables: { token } }),
        ]);
        const issued = [a, b].flatMap((r) => (r.data?.refreshToken ? [r.data.refreshToken.refreshToken] : []));
        // Reuse was detected, so the family is revoked: whatever was handed out must not work.
        for (const next of issued) expect((await kit.execute(REFRESH, { variables: { token: next } })).codes).toEqual(['UNAUTHENTICATED']);
      }
    } finally {
      await kit.close();
    }
  });
});

describe('sign-ups per address', () => {
  it('refuses more than SIGNUPS_PER_ADDRESS sign-ups from one address in 15 minutes, with RATE_LIMITED', async () => {
    let now = new Date('2026-11-28T12:00:00Z');
    const kit = await createTestKit({ now: () => now, env: { SIGNUPS_PER_ADDRESS: '3' } });
    try {
      const signUp = (i: number) =>
        kit.execute(`mutation { signUp(email: "new-${i}@example.test", password: "password ${i}!") { expiresIn } }`);
      for (let i = 0; i < 3; i++) expect((await signUp(i)).errors).toBeUndefined();
      const refused = await signUp(3);
      expect(refused.codes).toEqual(['RATE_LIMITED']);
      expect(refused.errors?.[0]?.extensions?.['retryAfter']).toBe(15 * 60);
      const users = await kit.store.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(3);
      now = new Date(now.getTime() + 15 * 60_000 + 1000);
      expect((await signUp(4)).errors).toBeUndefined();
    } finally {
      await kit.close();
    }
  });
});

describe('IPv6 clients count per /64 in the per-address limits', () => {
  const from = (address: string): RequestOrigin => ({ actorId: null, address, source: 'request' });

  it('sign-ups: addresses in one /64 share SIGNUPS_PER_ADDRESS, another /64 has its own; the audit keeps each full address', async () => {
    const kit = await createTestKit({ env: { SIGNUPS_PER_ADDRESS: '2' } });
    try {
      const signUpFrom = (i: number, address: string) =>
        signUp(kit.app, { email: `v6-${i}@example.test`, password: `password ${i}!` }, from(address));
      await signUpFrom(0, '2001:db8:1:2::1');
      await signUpFrom(1, '2001:db8:1:2::2');
      await expect(signUpFrom(2, '2001:db8:1:2:ffff:0:0:3')).rejects.toBeInstanceOf(RateLimited);
      await signUpFrom(3, '2001:db8:1:3::1');
      const audited = await kit.db.selectFrom('audit_events').select('address').execute();
      expect(new Set(audited.map((row) => row.address))).toEqual(new Set(['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:3::1']));
    } finally {
      await kit.close();
    }
  });

  it('login failures: addresses in one /64 share LOGIN_FAILURES_PER_ADDRESS, another /64 is not locked out', async () => {
    const kit = await createTestKit({ env: { LOGIN_FAILURES_PER_ADDRESS: '3', LOGIN_FAILURES_PER_ACCOUNT: '100' } });
    try {
      const user = await kit.createUser();
      const loginFrom = (address: string, password: string) => login(kit.app, { email: user.user.email, password }, from(address));
      for (let i = 1; i <= 3; i++) {
        await expect(loginFrom(`2001:db8:1:2::${i}`, 'not the password')).rejects.not.toBeInstanceOf(RateLimited);
      }
      await expect(loginFrom('2001:db8:1:2::99', user.password)).rejects.toBeInstanceOf(RateLimited);
      await expect(loginFrom('2001:db8:1:3::1', user.password)).resolves.toHaveProperty('refreshToken');
    } finally {
      await kit.close();
    }
  });

  it("changePassword's current-password check counts failures by the same /64", async () => {
    const kit = await createTestKit({ env: { LOGIN_FAILURES_PER_ADDRESS: '3', LOGIN_FAILURES_PER_ACCOUNT: '100' } });
    try {
      const user = await kit.createUser();
      const viewer = { id: user.user.id, roles: kit.app.roles.expandAll(user.user.roles), via: 'jwt' as const };
      const changeFrom = (address: string, currentPassword: string) =>
        changePassword(kit.app, viewer, null, { currentPassword, newPassword: 'a brand new password' }, from(address));
      for (let i = 1; i <= 3; i++) {
        await expect(changeFrom(`2001:db8:1:2::${i}`, 'not the password')).rejects.not.toBeInstanceOf(RateLimited);
      }
      await expect(changeFrom('2001:db8:1:2::99', user.password)).rejects.toBeInstanceOf(RateLimited);
      await expect(changeFrom('2001:db8:1:3::1', user.password)).resolves.toBe(true);
    } finally {
      await kit.close();
    }
  });
});

describe('a disabled account', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createTestKit();
  });
  afterAll(() => kit.close());

  it('can neither log in nor refresh, with the right password and a live refresh token; enabled again, it can', async () => {
    const user = await kit.createUser();
    const variables = { email: user.user.email, password: user.password };
    const login = await kit.execute<{ login: { refreshToken: string } }>(LOGIN, { variables });
    const refreshToken = login.data?.login.refreshToken as string;
    await setDisabled(kit.app, user.user.id, true, CLI_ORIGIN);
    expect((await kit.execute(LOGIN, { variables })).codes).toEqual(['UNAUTHENTICATED']);
    expect((await kit.execute(REFRESH, { variables: { token: refreshToken } })).codes).toEqual(['UNAUTHENTICATED']);
    await setDisabled(kit.app, user.user.id, false, CLI_ORIGIN);
    expect((await kit.execute(LOGIN, { variables })).errors).toBeUndefined();
  });
});

describe('login of an account made before the email rule (issue 29, item 8)', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createTestKit();
  });
  afterAll(() => kit.close());

  it.each([
    ['a non-ASCII mailbox', 'josé@example.test'],
    ['a Unicode domain', 'bob@bücher.example'],
  ])('still signs in with %s, stored as typed then', async (_label, email) => {
    const passwordHash = await kit.app.passwords.hash('correct horse battery');
    await insertUser(kit.store.db, { id: newId(), email, name: null, passwordHash, roles: ['USER'], now: new Date() });
    const right = await kit.execute(LOGIN, { variables: { email, password: 'correct horse battery' } });
    expect(right.errors).toBeUndefined();
    const wrong = await kit.execute(LOGIN, { variables: { email, password: 'wrong horse battery' } });
    expect(wrong.codes).toEqual(['UNAUTHENTICATED']);
  });

  it('still refuses such an address at sign-up', async () => {
    const result = await kit.execute('mutation { signUp(email: "zoë@example.test", password: "long enough pass") { user { id } } }');
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
  });
});
