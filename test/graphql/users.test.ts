import { createDemoKit } from '../helpers/demo';
import { type ExecuteResult, type TestKit, type TestUser, manualClock } from '../../src/testkit';

/*
 * Accounts and users through Apollo's executeOperation: signUp, login (with throttling),
 * refreshToken, logout, me, users, setUserRole, and the User.email / User.apiKeys rules.
 */

// ---------------------------------------------------------------------------------------------
// Operations and shapes
// ---------------------------------------------------------------------------------------------

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($email: String!, $password: String!, $name: String) {
    signUp(email: $email, password: $password, name: $name) {
      accessToken
      refreshToken
      expiresIn
      user { id email name role createdAt }
    }
  }
`;
const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      accessToken
      refreshToken
      expiresIn
      user { id email name role createdAt }
    }
  }
`;
const REFRESH = /* GraphQL */ `
  mutation Refresh($token: String!) {
    refreshToken(refreshToken: $token) {
      accessToken
      refreshToken
      expiresIn
      user { id email name role createdAt }
    }
  }
`;
const LOGOUT = /* GraphQL */ `
  mutation Logout($token: String!) {
    logout(refreshToken: $token)
  }
`;
const USERS = /* GraphQL */ `
  query Users($first: Int, $after: String) {
    users(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id email role } }
    }
  }
`;
const SET_ROLE = /* GraphQL */ `
  mutation SetRole($userId: ID!, $role: Role!) {
    setUserRole(userId: $userId, role: $role) { id role email }
  }
`;

interface UserView {
  id: string;
  email: string | null;
  name: string | null;
  role: 'USER' | 'ADMIN';
  createdAt: string;
}
interface Payload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserView;
}
interface UsersPage {
  users: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; email: string | null; role: string } }[];
  } | null;
}

const PASSWORD = 'correct horse battery staple';
const REFRESH_TOKEN_SHAPE = /^gtr_[A-Za-z0-9_-]{43}$/;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

let emailCounter = 0;
function freshEmail(tag = 'user'): string {
  emailCounter += 1;
  return `${tag}-${emailCounter}-${Date.now()}@example.test`;
}

async function countUsers(kit: TestKit): Promise<number> {
  const row = await kit.store.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function storedRole(kit: TestKit, id: string): Promise<string | undefined> {
  const rows = await kit.store.db.selectFrom('user_roles').select('role').where('user_id', '=', id).orderBy('role').execute();
  return rows.length === 0 ? undefined : rows.map((row) => row.role).join(',');
}

async function refreshRows(kit: TestKit, userId: string) {
  return kit.store.db.selectFrom('refresh_tokens').select(['family_id', 'used_at', 'revoked_at']).where('user_id', '=', userId).execute();
}

function expectOnlyError(result: ExecuteResult<unknown>, code: string, path?: readonly (string | number)[]): void {
  expect(result.codes).toEqual([code]);
  if (path !== undefined) expect(result.errors?.[0]?.path).toEqual(path);
}

async function signUp(kit: TestKit, variables: Record<string, unknown>) {
  return kit.execute<{ signUp: Payload }>(SIGN_UP, { variables });
}

async function login(kit: TestKit, email: string, password: string) {
  return kit.execute<{ login: Payload }>(LOGIN, { variables: { email, password } });
}

async function refresh(kit: TestKit, token: unknown) {
  return kit.execute<{ refreshToken: Payload }>(REFRESH, { variables: { token } });
}

async function loginOk(kit: TestKit, email: string, password: string): Promise<Payload> {
  const result = await login(kit, email, password);
  expect(result.errors).toBeUndefined();
  const payload = result.data?.login;
  if (!payload) throw new Error('login returned no payload');
  return payload;
}

async function refreshOk(kit: TestKit, token: string): Promise<Payload> {
  const result = await refresh(kit, token);
  expect(result.errors).toBeUndefined();
  const payload = result.data?.refreshToken;
  if (!payload) throw new Error('refreshToken returned no payload');
  return payload;
}

// ---------------------------------------------------------------------------------------------
// signUp
// ---------------------------------------------------------------------------------------------

describe('signUp', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createDemoKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  test('creates a USER account and returns a working access token, a refresh token and the user', async () => {
    const email = freshEmail('new');
    const result = await signUp(kit, { email, password: PASSWORD, name: 'New Person' });

    expect(result.errors).toBeUndefined();
    const payload = result.data?.signUp;
    expect(payload?.user).toMatchObject({ email, name: 'New Person', role: 'USER' });
    expect(payload?.expiresIn).toBe(900);
    expect(payload?.refreshToken).toMatch(REFRESH_TOKEN_SHAPE);
    expect(Number.isNaN(Date.parse(payload?.user.createdAt ?? ''))).toBe(false);

    const verified = kit.app.accessTokens.verify(payload?.accessToken ?? '', kit.app.now());
    expect(verified.ok && verified.claims.sub).toBe(payload?.user.id);

    const row = await kit.store.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', payload?.user.id ?? '')
      .executeTakeFirst();
    expect(row).toMatchObject({ email });
    expect(await storedRole(kit, payload?.user.id ?? '')).toBe('USER');
    expect(row?.password_hash).not.toContain(PASSWORD);
  });

  test('the user in the AuthPayload may read their own email although the request is anonymous', async () => {
    const email = freshEmail('self');
    const result = await signUp(kit, { email, password: PASSWORD });
    expect(result.errors).toBeUndefined();
    expect(result.data?.signUp.user.email).toBe(email);
  });

  test('the new account can log in with the password it signed up with', async () => {
    const email = freshEmail('roundtrip');
    const created = await signUp(kit, { email, password: PASSWORD });
    const payload = await loginOk(kit, email, PASSWORD);
    expect(payload.user.id).toBe(created.data?.signUp.user.id);
  });

  test('a duplicate email differing only in case is BAD_USER_INPUT and exactly one user row remains', async () => {
    const isolated = await createDemoKit();
    try {
      const first = await signUp(isolated, { email: 'Dup.Person@Example.test', password: PASSWORD });
      expect(first.errors).toBeUndefined();

      const second = await signUp(isolated, { email: 'dup.person@EXAMPLE.TEST', password: 'another password 123' });
      expectOnlyError(second, 'BAD_USER_INPUT', ['signUp']);
      expect(second.data ?? null).toBeNull();

      const third = await signUp(isolated, { email: '  DUP.PERSON@example.test  ', password: 'another password 123' });
      expectOnlyError(third, 'BAD_USER_INPUT', ['signUp']);

      expect(await countUsers(isolated)).toBe(1);
      // The first account is untouched: its own password still works, the second one does not.
      await loginOk(isolated, 'dup.person@example.test', PASSWORD);
      expect((await login(isolated, 'dup.person@example.test', 'another password 123')).codes).toEqual(['UNAUTHENTICATED']);
    } finally {
      await isolated.close();
    }
  });

  test.each([
    ['empty', ''],
    ['blank', '   '],
    ['no @', 'not-an-email'],
    ['no domain dot', 'someone@localhost'],
    ['two @', 'a@b@example.test'],
    ['10,000 characters', `${'a'.repeat(9_987)}@example.test`],
    ['255 characters', `${'a'.repeat(242)}@example.test`],
  ])('an invalid email (%s) is BAD_USER_INPUT and creates no user', async (_label, email) => {
    const before = await countUsers(kit);
    const result = await signUp(kit, { email, password: PASSWORD });
    expectOnlyError(result, 'BAD_USER_INPUT', ['signUp']);
    expect(result.errors?.[0]?.extensions?.['argument']).toBe('email');
    expect(await countUsers(kit)).toBe(before);
  });

  test.each([
    ['empty', ''],
    ['7 characters', '1234567'],
    ['257 characters', 'p'.repeat(257)],
    ['300 characters', 'p'.repeat(300)],
    ['1 MB', 'p'.repeat(1_000_000)],
  ])('an unacceptable password (%s) is BAD_USER_INPUT and creates no user', async (_label, password) => {
    const before = await countUsers(kit);
    const result = await signUp(kit, { email: freshEmail('pw'), password });
    expectOnlyError(result, 'BAD_USER_INPUT', ['signUp']);
    expect(result.errors?.[0]?.extensions?.['argument']).toBe('password');
    expect(await countUsers(kit)).toBe(before);
  });

  test.each([
    ['8 characters', '12345678'],
    ['256 characters', 'p'.repeat(256)],
  ])('a password at the length limit (%s) is accepted', async (_label, password) => {
    const email = freshEmail('pwok');
    const result = await signUp(kit, { email, password });
    expect(result.errors).toBeUndefined();
    await loginOk(kit, email, password);
  });

  test('a name longer than 100 characters is BAD_USER_INPUT and creates no user', async () => {
    const before = await countUsers(kit);
    const result = await signUp(kit, { email: freshEmail('name'), password: PASSWORD, name: 'n'.repeat(101) });
    expectOnlyError(result, 'BAD_USER_INPUT', ['signUp']);
    expect(await countUsers(kit)).toBe(before);
  });

  test.each<[string, Record<string, unknown>]>([
    ['email is a number', { email: 42, password: PASSWORD }],
    ['password is a boolean', { email: 'typed@example.test', password: true }],
    ['email is null', { email: null, password: PASSWORD }],
    ['password is missing', { email: 'typed2@example.test' }],
    ['name is an object', { email: 'typed3@example.test', password: PASSWORD, name: { first: 'x' } }],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT and create no user', async (_label, variables) => {
    const before = await countUsers(kit);
    const result = await signUp(kit, variables);
    expect(result.codes.length).toBeGreaterThan(0);
    expect(new Set(result.codes)).toEqual(new Set(['BAD_USER_INPUT']));
    expect(result.data ?? null).toBeNull();
    expect(await countUsers(kit)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------------------------

describe('login', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createDemoKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  test('the right password returns tokens for that user, and the payload user may read their own email', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const payload = await loginOk(kit, alice.user.email, alice.password);
    expect(payload.user.id).toBe(alice.user.id);
    expect(payload.user.email).toBe(alice.user.email);
    expect(payload.refreshToken).toMatch(REFRESH_TOKEN_SHAPE);
    const verified = kit.app.accessTokens.verify(payload.accessToken, kit.app.now());
    expect(verified.ok && verified.claims.sub).toBe(alice.user.id);
  });

  test('the email is compared without case', async () => {
    const bob = await kit.createUser({ email: 'Bob.Case@Example.test' });
    const payload = await loginOk(kit, 'bob.case@example.TEST', bob.password);
    expect(payload.user.id).toBe(bob.user.id);
  });

  test.each([
    ['empty email', '', PASSWORD],
    ['10,000-character email', `${'e'.repeat(9_987)}@example.test`, PASSWORD],
    ['malformed email', 'no-at-sign', PASSWORD],
    ['empty password', 'someone@example.test', ''],
    ['300-character password', 'someone@example.test', 'p'.repeat(300)],
  ])('bad input (%s) is BAD_USER_INPUT', async (_label, email, password) => {
    const result = await login(kit, email, password);
    expectOnlyError(result, 'BAD_USER_INPUT', ['login']);
    expect(result.data ?? null).toBeNull();
  });

  test.each<[string, Record<string, unknown>]>([
    ['email is a number', { email: 7, password: PASSWORD }],
    ['password is a list', { email: 'x@example.test', password: ['a'] }],
    ['password is null', { email: 'x@example.test', password: null }],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT', async (_label, variables) => {
    const result = await kit.execute(LOGIN, { variables });
    expect(result.codes.length).toBeGreaterThan(0);
    expect(new Set(result.codes)).toEqual(new Set(['BAD_USER_INPUT']));
    expect(result.data ?? null).toBeNull();
  });
});

describe('login throttling (LOGIN_FAILURES_PER_ACCOUNT=3)', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  beforeEach(async () => {
    clock = manualClock();
    kit = await createDemoKit({ env: { LOGIN_FAILURES_PER_ACCOUNT: '3' }, now: clock.now });
  });
  afterEach(async () => {
    await kit.close();
  });

  async function failTimes(email: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const result = await login(kit, email, `wrong password ${i}`);
      expectOnlyError(result, 'UNAUTHENTICATED', ['login']);
      clock.advance(1_000);
    }
  }

  test('an unknown email is throttled the same way, so throttling does not reveal which accounts exist', async () => {
    await failTimes('ghost@example.test', 3);
    const result = await login(kit, 'ghost@example.test', 'anything at all');
    expectOnlyError(result, 'RATE_LIMITED', ['login']);
    expect(typeof result.errors?.[0]?.extensions?.['retryAfter']).toBe('number');
  });

  test('a locked account does not lock another account', async () => {
    const alice = await kit.createUser({ email: 'alice@example.test' });
    const bob = await kit.createUser({ email: 'bob@example.test' });
    await failTimes(alice.user.email, 3);
    expect((await login(kit, alice.user.email, alice.password)).codes).toEqual(['RATE_LIMITED']);
    const payload = await loginOk(kit, bob.user.email, bob.password);
    expect(payload.user.id).toBe(bob.user.id);
  });

  test('fewer failures than the limit do not lock, and a successful login forgives them', async () => {
    const alice = await kit.createUser({ email: 'alice@example.test' });
    await failTimes(alice.user.email, 2);
    await loginOk(kit, alice.user.email, alice.password);
    await failTimes(alice.user.email, 2);
    await loginOk(kit, alice.user.email, alice.password);
  });

  test('the lock ends when the 15-minute window has passed', async () => {
    const alice = await kit.createUser({ email: 'alice@example.test' });
    await failTimes(alice.user.email, 3);
    const limited = await login(kit, alice.user.email, alice.password);
    expect(limited.codes).toEqual(['RATE_LIMITED']);
    const retryAfter = Number(limited.errors?.[0]?.extensions?.['retryAfter']);

    clock.advance(retryAfter * 1_000 + 1_000);
    await loginOk(kit, alice.user.email, alice.password);
  });
});

// ---------------------------------------------------------------------------------------------
// refreshToken and logout
// ---------------------------------------------------------------------------------------------

describe('refreshToken', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  beforeAll(async () => {
    clock = manualClock();
    kit = await createDemoKit({ now: clock.now });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('exchanges a refresh token for a new pair for the same user, who may read their own email', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const first = await loginOk(kit, alice.user.email, alice.password);
    const second = await refreshOk(kit, first.refreshToken);

    expect(second.user.id).toBe(alice.user.id);
    expect(second.user.email).toBe(alice.user.email);
    expect(second.refreshToken).toMatch(REFRESH_TOKEN_SHAPE);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const verified = kit.app.accessTokens.verify(second.accessToken, kit.app.now());
    expect(verified.ok && verified.claims.sub).toBe(alice.user.id);
  });

  test('a refresh token works once; reusing it fails UNAUTHENTICATED and revokes the newer token of the same family', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const first = await loginOk(kit, alice.user.email, alice.password);
    const second = await refreshOk(kit, first.refreshToken);

    const replay = await refresh(kit, first.refreshToken);
    expectOnlyError(replay, 'UNAUTHENTICATED', ['refreshToken']);
    expect(replay.data ?? null).toBeNull();

    const afterReplay = await refresh(kit, second.refreshToken);
    expectOnlyError(afterReplay, 'UNAUTHENTICATED', ['refreshToken']);
    const rows = await refreshRows(kit, alice.user.id);
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.revoked_at !== null)).toBe(true);
  });

  test('reuse in one login family leaves another login of the same user working', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const laptop = await loginOk(kit, alice.user.email, alice.password);
    const phone = await loginOk(kit, alice.user.email, alice.password);
    await refreshOk(kit, laptop.refreshToken);
    expect((await refresh(kit, laptop.refreshToken)).codes).toEqual(['UNAUTHENTICATED']);

    const phoneNext = await refreshOk(kit, phone.refreshToken);
    expect(phoneNext.user.id).toBe(alice.user.id);
  });

  test.each([
    ['empty', ''],
    ['garbage', 'not-a-token'],
    ['wrong prefix', `gtx_${'A'.repeat(43)}`],
    ['too short', 'gtr_abc'],
    ['an access token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
    ['10,000 characters', `gtr_${'A'.repeat(9_996)}`],
    ['well-formed but unknown', `gtr_${'A'.repeat(43)}`],
  ])('a malformed or unknown refresh token (%s) is UNAUTHENTICATED', async (_label, token) => {
    const result = await refresh(kit, token);
    expectOnlyError(result, 'UNAUTHENTICATED', ['refreshToken']);
    expect(result.data ?? null).toBeNull();
  });

  test('an expired refresh token is UNAUTHENTICATED', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const first = await loginOk(kit, alice.user.email, alice.password);
    clock.advance(31 * 86_400_000);
    expectOnlyError(await refresh(kit, first.refreshToken), 'UNAUTHENTICATED', ['refreshToken']);
  });

  test.each<[string, unknown]>([
    ['a number', 12345],
    ['null', null],
    ['an object', { token: 'gtr_x' }],
  ])('a wrongly typed token variable (%s) is BAD_USER_INPUT', async (_label, token) => {
    const result = await refresh(kit, token);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
  });
});

describe('logout', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createDemoKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  test('revokes the refresh token and every token refreshed from the same login', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const first = await loginOk(kit, alice.user.email, alice.password);
    const second = await refreshOk(kit, first.refreshToken);

    // Logging out with the older (already used) token still ends the whole login.
    const result = await kit.execute<{ logout: boolean }>(LOGOUT, { variables: { token: first.refreshToken }, as: alice });
    expect(result.errors).toBeUndefined();
    expect(result.data?.logout).toBe(true);

    expectOnlyError(await refresh(kit, second.refreshToken), 'UNAUTHENTICATED', ['refreshToken']);
    const rows = await refreshRows(kit, alice.user.id);
    expect(rows.every((row) => row.revoked_at !== null)).toBe(true);
  });

  test('logging out with the current token makes it unusable', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const session = await loginOk(kit, alice.user.email, alice.password);
    const result = await kit.execute<{ logout: boolean }>(LOGOUT, { variables: { token: session.refreshToken }, as: alice });
    expect(result.data?.logout).toBe(true);
    expectOnlyError(await refresh(kit, session.refreshToken), 'UNAUTHENTICATED', ['refreshToken']);
  });

  test('leaves the same user\u2019s other logins working', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const laptop = await loginOk(kit, alice.user.email, alice.password);
    const phone = await loginOk(kit, alice.user.email, alice.password);
    await kit.execute(LOGOUT, { variables: { token: laptop.refreshToken }, as: alice });
    await refreshOk(kit, phone.refreshToken);
  });

  test('another user\u2019s refresh token: false, and that token keeps working', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const mallory = await kit.createUser({ email: freshEmail('mallory') });
    const aliceSession = await loginOk(kit, alice.user.email, alice.password);

    const result = await kit.execute<{ logout: boolean }>(LOGOUT, { variables: { token: aliceSession.refreshToken }, as: mallory });
    expect(result.errors).toBeUndefined();
    expect(result.data?.logout).toBe(false);
    expect((await refreshRows(kit, alice.user.id)).every((row) => row.revoked_at === null)).toBe(true);
    await refreshOk(kit, aliceSession.refreshToken);
  });

  test.each([
    ['empty', ''],
    ['garbage', 'not-a-token'],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['well-formed but unknown', `gtr_${'B'.repeat(43)}`],
  ])('a malformed or unknown token (%s) gives false', async (_label, token) => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const result = await kit.execute<{ logout: boolean }>(LOGOUT, { variables: { token }, as: alice });
    expect(result.errors).toBeUndefined();
    expect(result.data?.logout).toBe(false);
  });

  test('an anonymous caller is UNAUTHENTICATED and the token stays usable', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const session = await loginOk(kit, alice.user.email, alice.password);
    const result = await kit.execute(LOGOUT, { variables: { token: session.refreshToken } });
    expectOnlyError(result, 'UNAUTHENTICATED', ['logout']);
    await refreshOk(kit, session.refreshToken);
  });

  test('a wrongly typed token variable is BAD_USER_INPUT', async () => {
    const alice = await kit.createUser({ email: freshEmail('alice') });
    const result = await kit.execute(LOGOUT, { variables: { token: 99 }, as: alice });
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
  });
});

// ---------------------------------------------------------------------------------------------
// me and users
// ---------------------------------------------------------------------------------------------

describe('me', () => {
  let kit: TestKit;
  let alice: TestUser;
  beforeAll(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser({ email: freshEmail('alice'), name: 'Alice' });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('a signed-in caller gets their own user, email included', async () => {
    const result = await kit.execute<{ me: UserView | null }>('{ me { id email name role createdAt } }', { as: alice });
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toEqual({
      id: alice.user.id,
      email: alice.user.email,
      name: 'Alice',
      role: 'USER',
      createdAt: alice.user.createdAt.toISOString(),
    });
  });

  test('a caller using an API key gets the key\u2019s owner', async () => {
    const key = await kit.createApiKey(alice);
    const result = await kit.execute<{ me: UserView | null }>('{ me { id email } }', { as: key });
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toEqual({ id: alice.user.id, email: alice.user.email });
  });

  test('a context built by hand from a viewer gets that viewer\u2019s user', async () => {
    const context = kit.contextFor({ id: alice.user.id, roles: ['USER'], via: 'jwt' });
    const result = await kit.execute<{ me: { id: string } | null }>('{ me { id } }', { as: context });
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toEqual({ id: alice.user.id });
  });

  test('an anonymous caller gets null and UNAUTHENTICATED at ["me"]; public fields still resolve', async () => {
    const result = await kit.execute<{ me: unknown; publicMessage: string }>('{ me { id } publicMessage }');
    expectOnlyError(result, 'UNAUTHENTICATED', ['me']);
    expect(result.data?.me).toBeNull();
    expect(typeof result.data?.publicMessage).toBe('string');
  });
});

describe('users (ADMIN)', () => {
  let kit: TestKit;
  let admin: TestUser;
  let plain: TestUser;
  /** Every user, in creation order (one second apart, so "oldest first" is well defined). */
  const created: TestUser[] = [];
  beforeAll(async () => {
    const clock = manualClock();
    kit = await createDemoKit({ now: clock.now });
    admin = await kit.createUser({ role: 'ADMIN', email: 'admin@example.test' });
    created.push(admin);
    clock.advance(1_000);
    for (let i = 0; i < 4; i++) {
      created.push(await kit.createUser({ email: `member-${i}@example.test` }));
      clock.advance(1_000);
    }
    plain = created[1] as TestUser;
  });
  afterAll(async () => {
    await kit.close();
  });

  async function page(variables: Record<string, unknown>, as: TestUser = admin) {
    return kit.execute<UsersPage>(USERS, { variables, as });
  }

  test('pages through every user oldest first with first/after, totalCount, hasNextPage and endCursor', async () => {
    const seen: string[] = [];
    const pages: { hasNextPage: boolean; size: number }[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const result = await page({ first: 2, after });
      expect(result.errors).toBeUndefined();
      const users = result.data?.users;
      if (!users) throw new Error('no users page');
      expect(users.totalCount).toBe(5);
      expect(users.pageInfo.endCursor).toBe(users.edges.at(-1)?.cursor ?? null);
      seen.push(...users.edges.map((edge) => edge.node.id));
      pages.push({ hasNextPage: users.pageInfo.hasNextPage, size: users.edges.length });
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    expect(pages).toEqual([
      { hasNextPage: true, size: 2 },
      { hasNextPage: true, size: 2 },
      { hasNextPage: false, size: 1 },
    ]);
    expect(seen).toEqual(created.map((user) => user.user.id));
  });

  test('an ADMIN sees every user\u2019s email', async () => {
    const result = await page({ first: 100 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.users?.edges.map((edge) => edge.node.email)).toEqual(created.map((user) => user.user.email));
  });

  test('the page after the last one is empty with hasNextPage false and endCursor null', async () => {
    const all = await page({ first: 100 });
    const last = all.data?.users?.pageInfo.endCursor;
    expect(typeof last).toBe('string');
    const result = await page({ first: 2, after: last });
    expect(result.errors).toBeUndefined();
    expect(result.data?.users).toEqual({ totalCount: 5, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  test('first defaults to 20 and accepts 1 and 100', async () => {
    expect((await kit.execute<UsersPage>('{ users { edges { cursor } } }', { as: admin })).data?.users?.edges).toHaveLength(5);
    expect((await page({ first: 1 })).data?.users?.edges).toHaveLength(1);
    expect((await page({ first: 100 })).data?.users?.edges).toHaveLength(5);
  });

  test.each([0, -1, 101, 1_000_000])('first: %d is BAD_USER_INPUT at ["users"]', async (first) => {
    const result = await page({ first });
    expectOnlyError(result, 'BAD_USER_INPUT', ['users']);
    expect(result.data?.users).toBeNull();
  });

  test.each([
    ['empty', ''],
    ['not base64url', 'not a cursor!'],
    ['base64url of garbage', Buffer.from('garbage', 'utf8').toString('base64url')],
    ['a date without id', Buffer.from('2026-12-01T09:00:00.000Z|', 'utf8').toString('base64url')],
    ['10,000 characters', 'A'.repeat(10_000)],
  ])('a malformed after cursor (%s) is BAD_USER_INPUT at ["users"]', async (_label, after) => {
    const result = await page({ first: 2, after });
    expectOnlyError(result, 'BAD_USER_INPUT', ['users']);
  });

  test.each<[string, Record<string, unknown>]>([
    ['first is a string', { first: '2' }],
    ['first is a float', { first: 1.5 }],
    ['first is beyond Int', { first: 2 ** 31 }],
    ['after is a number', { after: 12 }],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT', async (_label, variables) => {
    const result = await page(variables);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
  });

  test('a USER gets null and FORBIDDEN at ["users"]', async () => {
    const result = await page({ first: 2 }, plain);
    expectOnlyError(result, 'FORBIDDEN', ['users']);
    expect(result.data?.users).toBeNull();
  });

  test('an anonymous caller gets null and UNAUTHENTICATED at ["users"]', async () => {
    const result = await kit.execute<UsersPage>(USERS, { variables: { first: 2 } });
    expectOnlyError(result, 'UNAUTHENTICATED', ['users']);
    expect(result.data?.users).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// setUserRole
// ---------------------------------------------------------------------------------------------

describe('setUserRole', () => {
  let kit: TestKit;
  beforeEach(async () => {
    kit = await createDemoKit();
  });
  afterEach(async () => {
    await kit.close();
  });

  async function setRole(userId: unknown, role: unknown, as: TestUser | null) {
    return kit.execute<{ setUserRole: { id: string; role: string; email: string | null } | null }>(SET_ROLE, {
      variables: { userId, role },
      as,
    });
  }

  test('an ADMIN promotes a USER and demotes them again', async () => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const bob = await kit.createUser();

    const promoted = await setRole(bob.user.id, 'ADMIN', admin);
    expect(promoted.errors).toBeUndefined();
    expect(promoted.data?.setUserRole).toEqual({ id: bob.user.id, role: 'ADMIN', email: bob.user.email });
    expect(await storedRole(kit, bob.user.id)).toBe('ADMIN');

    const demoted = await setRole(bob.user.id, 'USER', admin);
    expect(demoted.errors).toBeUndefined();
    expect(demoted.data?.setUserRole?.role).toBe('USER');
    expect(await storedRole(kit, bob.user.id)).toBe('USER');
  });

  test('the id is accepted in upper case', async () => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const bob = await kit.createUser();
    const result = await setRole(bob.user.id.toUpperCase(), 'ADMIN', admin);
    expect(result.errors).toBeUndefined();
    expect(await storedRole(kit, bob.user.id)).toBe('ADMIN');
  });

  test('the last ADMIN cannot demote themself: BAD_USER_INPUT and still ADMIN', async () => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const result = await setRole(admin.user.id, 'USER', admin);
    expectOnlyError(result, 'BAD_USER_INPUT', ['setUserRole']);
    expect(result.data?.setUserRole ?? null).toBeNull();
    expect(await storedRole(kit, admin.user.id)).toBe('ADMIN');
  });

  test('with two ADMINs one may be demoted, then the remaining one is the last and cannot be', async () => {
    const first = await kit.createUser({ role: 'ADMIN' });
    const second = await kit.createUser({ role: 'ADMIN' });

    const demoted = await setRole(second.user.id, 'USER', first);
    expect(demoted.errors).toBeUndefined();
    expect(await storedRole(kit, second.user.id)).toBe('USER');

    const refused = await setRole(first.user.id, 'USER', first);
    expectOnlyError(refused, 'BAD_USER_INPUT', ['setUserRole']);
    expect(await storedRole(kit, first.user.id)).toBe('ADMIN');
  });

  test('a USER is FORBIDDEN and nothing changes', async () => {
    await kit.createUser({ role: 'ADMIN' });
    const mallory = await kit.createUser();
    const result = await setRole(mallory.user.id, 'ADMIN', mallory);
    expectOnlyError(result, 'FORBIDDEN', ['setUserRole']);
    expect(result.data?.setUserRole ?? null).toBeNull();
    expect(await storedRole(kit, mallory.user.id)).toBe('USER');
  });

  test('an anonymous caller is UNAUTHENTICATED and nothing changes', async () => {
    const bob = await kit.createUser();
    const result = await setRole(bob.user.id, 'ADMIN', null);
    expectOnlyError(result, 'UNAUTHENTICATED', ['setUserRole']);
    expect(await storedRole(kit, bob.user.id)).toBe('USER');
  });

  test('an unknown id is NOT_FOUND', async () => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const result = await setRole('00000000-0000-4000-8000-000000000000', 'ADMIN', admin);
    expectOnlyError(result, 'NOT_FOUND', ['setUserRole']);
  });

  test.each([
    ['empty', ''],
    ['not a uuid', 'user-1'],
    ['SQL', "1' OR '1'='1"],
    ['10,000 characters', 'a'.repeat(10_000)],
  ])('a malformed id (%s) is BAD_USER_INPUT and nothing changes', async (_label, userId) => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const bob = await kit.createUser();
    const result = await setRole(userId, 'ADMIN', admin);
    expectOnlyError(result, 'BAD_USER_INPUT', ['setUserRole']);
    expect(await storedRole(kit, bob.user.id)).toBe('USER');
  });

  test.each<[string, unknown, unknown]>([
    ['role is not a Role', 'valid', 'SUPERUSER'],
    ['role is lower case', 'valid', 'admin'],
    ['role is null', 'valid', null],
    ['userId is a boolean', true, 'ADMIN'],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT and nothing changes', async (_label, userId, role) => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const bob = await kit.createUser();
    const result = await setRole(userId === 'valid' ? bob.user.id : userId, role, admin);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
    expect(await storedRole(kit, bob.user.id)).toBe('USER');
  });
});

// ---------------------------------------------------------------------------------------------
// User.email and User.apiKeys
// ---------------------------------------------------------------------------------------------

describe('User.email', () => {
  let kit: TestKit;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;
  let publicNoteId: string;
  const NOTE_AUTHOR = /* GraphQL */ `
    query NoteAuthor($id: ID!) {
      note(id: $id) { id title author { id name email } }
    }
  `;
  interface NoteAuthor {
    note: { id: string; title: string; author: { id: string; name: string | null; email: string | null } } | null;
  }

  beforeAll(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser({ email: 'alice@example.test', name: 'Alice' });
    bob = await kit.createUser({ email: 'bob@example.test' });
    admin = await kit.createUser({ role: 'ADMIN', email: 'admin@example.test' });
    const created = await kit.execute<{ createNote: { id: string } }>(
      'mutation { createNote(title: "Hello", body: "world", visibility: PUBLIC) { id } }',
      { as: alice },
    );
    publicNoteId = created.data?.createNote.id ?? '';
    expect(publicNoteId).not.toBe('');
  });
  afterAll(async () => {
    await kit.close();
  });

  test('the user themself reads their email (through the author of their own note too)', async () => {
    const result = await kit.execute<NoteAuthor>(NOTE_AUTHOR, { variables: { id: publicNoteId }, as: alice });
    expect(result.errors).toBeUndefined();
    expect(result.data?.note?.author.email).toBe('alice@example.test');
  });

  test('an ADMIN reads another user\u2019s email', async () => {
    const result = await kit.execute<NoteAuthor>(NOTE_AUTHOR, { variables: { id: publicNoteId }, as: admin });
    expect(result.errors).toBeUndefined();
    expect(result.data?.note?.author.email).toBe('alice@example.test');
  });

  test('another user gets null and FORBIDDEN at the email\u2019s path; the rest of the note resolves', async () => {
    const result = await kit.execute<NoteAuthor>(NOTE_AUTHOR, { variables: { id: publicNoteId }, as: bob });
    expectOnlyError(result, 'FORBIDDEN', ['note', 'author', 'email']);
    expect(result.data?.note).toEqual({ id: publicNoteId, title: 'Hello', author: { id: alice.user.id, name: 'Alice', email: null } });
  });

  test('an anonymous caller gets null and UNAUTHENTICATED at the email\u2019s path', async () => {
    const result = await kit.execute<NoteAuthor>(NOTE_AUTHOR, { variables: { id: publicNoteId } });
    expectOnlyError(result, 'UNAUTHENTICATED', ['note', 'author', 'email']);
    expect(result.data?.note?.author).toEqual({ id: alice.user.id, name: 'Alice', email: null });
  });

  test('in a list, each foreign email is refused at its own path', async () => {
    await kit.execute('mutation { createNote(title: "Bob", body: "public", visibility: PUBLIC) { id } }', { as: bob });
    const result = await kit.execute<{ notes: { edges: { node: { author: { id: string; email: string | null } } }[] } }>(
      '{ notes { edges { node { author { id email } } } } }',
      { as: bob },
    );
    const edges = result.data?.notes.edges ?? [];
    expect(edges.map((edge) => edge.node.author)).toEqual([
      { id: alice.user.id, email: null },
      { id: bob.user.id, email: 'bob@example.test' },
    ]);
    expectOnlyError(result, 'FORBIDDEN', ['notes', 'edges', 0, 'node', 'author', 'email']);
  });

  test('the user in the AuthPayload of login and refreshToken may read their own email', async () => {
    const session = await loginOk(kit, 'bob@example.test', bob.password);
    expect(session.user.email).toBe('bob@example.test');
    const renewed = await refreshOk(kit, session.refreshToken);
    expect(renewed.user.email).toBe('bob@example.test');
  });
});

describe('User.apiKeys (ADMIN only)', () => {
  let kit: TestKit;
  let alice: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser({ email: 'alice@example.test' });
    admin = await kit.createUser({ role: 'ADMIN', email: 'admin@example.test' });
    await kit.createApiKey(alice, { name: 'alice ci' });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('an ADMIN reads another user\u2019s keys, without their secrets', async () => {
    const result = await kit.execute<{
      users: { edges: { node: { id: string; apiKeys: { name: string; prefix: string }[] | null } }[] } | null;
    }>('{ users { edges { node { id apiKeys { name prefix } } } } }', { as: admin });
    expect(result.errors).toBeUndefined();
    const aliceNode = result.data?.users?.edges.find((edge) => edge.node.id === alice.user.id)?.node;
    expect(aliceNode?.apiKeys).toEqual([{ name: 'alice ci', prefix: expect.stringMatching(/^gth_/) }]);
  });

  test('a USER asking for their own apiKeys gets null and FORBIDDEN at ["me","apiKeys"]; the rest of me resolves', async () => {
    const result = await kit.execute<{ me: { id: string; apiKeys: unknown } | null }>('{ me { id apiKeys { id } } }', { as: alice });
    expectOnlyError(result, 'FORBIDDEN', ['me', 'apiKeys']);
    expect(result.data?.me).toEqual({ id: alice.user.id, apiKeys: null });
  });

  test('the AuthPayload user of an anonymous login cannot read apiKeys', async () => {
    const result = await kit.execute(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { id apiKeys { id } } } }',
      { variables: { e: 'alice@example.test', p: alice.password } },
    );
    expect(result.codes).toEqual(['UNAUTHENTICATED']);
    expect(result.errors?.[0]?.path).toEqual(['login', 'user', 'apiKeys']);
  });
});
