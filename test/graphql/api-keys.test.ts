import { authenticateCaller as authenticate } from '../../src/services/authentication';
import type { GraphQLContext } from '../../src/graphql/context';
import { createTestKit, type ExecuteResult, type TestApiKey, type TestKit, type TestUser, manualClock } from '../../src/testkit';

type Caller = TestUser | TestApiKey | GraphQLContext | null;

/*
 * API keys through Apollo's executeOperation: createApiKey, myApiKeys, revokeApiKey, and whether a
 * key still authenticates afterwards (checked with the real `authenticate`).
 */

const CREATE = /* GraphQL */ `
  mutation Create($name: String!, $expiresInDays: Int) {
    createApiKey(name: $name, expiresInDays: $expiresInDays) {
      secret
      apiKey { id name prefix createdAt expiresAt lastUsedAt revokedAt }
    }
  }
`;
const MY_KEYS = /* GraphQL */ `
  query MyKeys {
    myApiKeys { id name prefix createdAt expiresAt lastUsedAt revokedAt }
  }
`;
const REVOKE = /* GraphQL */ `
  mutation Revoke($id: ID!) {
    revokeApiKey(id: $id) { id name revokedAt }
  }
`;

interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
interface Created {
  createApiKey: { secret: string; apiKey: ApiKeyView } | null;
}

const KEY_SHAPE = /^gth_[0-9A-Za-z]{49}$/;
const DAY_MS = 86_400_000;

function expectOnlyError(result: ExecuteResult<unknown>, code: string, path?: readonly (string | number)[]): void {
  expect(result.codes).toEqual([code]);
  if (path !== undefined) expect(result.errors?.[0]?.path).toEqual(path);
}

async function keyRows(kit: TestKit) {
  return kit.store.db.selectFrom('api_keys').selectAll().orderBy('id').execute();
}

async function keyRow(kit: TestKit, id: string) {
  return kit.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Who the key authenticates as, or null when it is refused. */
async function ownerOf(kit: TestKit, key: string): Promise<string | null> {
  const result = await authenticate(kit.app, { kind: 'api-key', key });
  if (!result.ok) {
    expect(result.problem).toBe('invalid_api_key');
    return null;
  }
  expect(result.viewer?.via).toBe('api-key');
  return result.viewer?.id ?? null;
}

async function create(kit: TestKit, as: TestUser | null, variables: Record<string, unknown>) {
  return kit.execute<Created>(CREATE, { variables, as });
}

async function createOk(kit: TestKit, as: TestUser, variables: Record<string, unknown> = { name: 'ci' }) {
  const result = await create(kit, as, variables);
  expect(result.errors).toBeUndefined();
  const created = result.data?.createApiKey;
  if (!created) throw new Error('createApiKey returned nothing');
  return created;
}

// ---------------------------------------------------------------------------------------------

describe('createApiKey', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  let alice: TestUser;
  beforeAll(async () => {
    clock = manualClock();
    kit = await createTestKit({ now: clock.now });
    alice = await kit.createUser({ email: 'alice@example.test' });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('returns a gth_ secret once, with the key\u2019s details; the secret authenticates as the owner', async () => {
    const created = await createOk(kit, alice, { name: 'deploy bot' });

    expect(created.secret).toMatch(KEY_SHAPE);
    expect(created.apiKey).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'deploy bot',
      prefix: created.secret.slice(0, created.apiKey.prefix.length),
      createdAt: clock.now().toISOString(),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(created.apiKey.prefix).toMatch(/^gth_/);
    expect(created.apiKey.prefix.length).toBeLessThan(created.secret.length - 20);
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test('the database holds only a hash of the secret', async () => {
    const created = await createOk(kit, alice);
    const row = await keyRow(kit, created.apiKey.id);
    expect(row).toBeDefined();
    for (const value of Object.values(row ?? {})) {
      if (typeof value === 'string') expect(value).not.toContain(created.secret);
    }
    expect(row?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('every key gets a different secret', async () => {
    const a = await createOk(kit, alice);
    const b = await createOk(kit, alice);
    expect(a.secret).not.toBe(b.secret);
    expect(a.apiKey.id).not.toBe(b.apiKey.id);
  });

  test('the ApiKey type has no field that could return the secret', async () => {
    const result = await kit.execute(`{ myApiKeys { id secret } }`, { as: alice });
    expect(result.codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(result.data ?? null).toBeNull();
  });

  test.each([1, 30, 365])('expiresInDays: %d sets expiresAt that many days from now', async (days) => {
    const created = await createOk(kit, alice, { name: `expires in ${days}`, expiresInDays: days });
    expect(created.apiKey.expiresAt).toBe(new Date(clock.now().getTime() + days * DAY_MS).toISOString());
  });

  test.each([0, -1, 366, 100_000, 2 ** 31 - 1, -(2 ** 31)])('expiresInDays: %d is BAD_USER_INPUT and makes no key', async (days) => {
    const before = (await keyRows(kit)).length;
    const result = await create(kit, alice, { name: 'bad expiry', expiresInDays: days });
    expectOnlyError(result, 'BAD_USER_INPUT', ['createApiKey']);
    expect(result.errors?.[0]?.extensions?.['argument']).toBe('expiresInDays');
    expect(result.data?.createApiKey ?? null).toBeNull();
    expect(await keyRows(kit)).toHaveLength(before);
  });

  test.each([
    ['empty', ''],
    ['blank', '   '],
    ['101 characters', 'k'.repeat(101)],
    ['1 MB', 'k'.repeat(1_000_000)],
  ])('a name that is %s is BAD_USER_INPUT and makes no key', async (_label, name) => {
    const before = (await keyRows(kit)).length;
    const result = await create(kit, alice, { name });
    expectOnlyError(result, 'BAD_USER_INPUT', ['createApiKey']);
    expect(result.errors?.[0]?.extensions?.['argument']).toBe('name');
    expect(await keyRows(kit)).toHaveLength(before);
  });

  test('a name of 100 characters is accepted', async () => {
    const created = await createOk(kit, alice, { name: 'k'.repeat(100) });
    expect(created.apiKey.name).toBe('k'.repeat(100));
  });

  test.each<[string, Record<string, unknown>]>([
    ['expiresInDays is a string', { name: 'x', expiresInDays: '7' }],
    ['expiresInDays is a float', { name: 'x', expiresInDays: 1.5 }],
    ['expiresInDays is beyond Int', { name: 'x', expiresInDays: 2 ** 31 }],
    ['name is a number', { name: 42 }],
    ['name is null', { name: null }],
    ['name is missing', {}],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT and make no key', async (_label, variables) => {
    const before = (await keyRows(kit)).length;
    const result = await create(kit, alice, variables);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
    expect(await keyRows(kit)).toHaveLength(before);
  });

  test('an anonymous caller is UNAUTHENTICATED and no key is made', async () => {
    const before = (await keyRows(kit)).length;
    const result = await create(kit, null, { name: 'sneaky' });
    expectOnlyError(result, 'UNAUTHENTICATED', ['createApiKey']);
    expect(result.data?.createApiKey ?? null).toBeNull();
    expect(await keyRows(kit)).toHaveLength(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('myApiKeys', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  beforeEach(async () => {
    clock = manualClock();
    kit = await createTestKit({ now: clock.now });
  });
  afterEach(async () => {
    await kit.close();
  });

  test('lists only the caller\u2019s keys, newest first, revoked ones included, never a secret or a hash', async () => {
    const alice = await kit.createUser();
    const bob = await kit.createUser();
    const first = await createOk(kit, alice, { name: 'first' });
    clock.advance(1_000);
    const second = await createOk(kit, alice, { name: 'second' });
    clock.advance(1_000);
    await createOk(kit, bob, { name: 'bob key' });
    const revoked = await kit.execute(REVOKE, { variables: { id: first.apiKey.id }, as: alice });
    expect(revoked.errors).toBeUndefined();

    const result = await kit.execute<{ myApiKeys: ApiKeyView[] | null }>(MY_KEYS, { as: alice });
    expect(result.errors).toBeUndefined();
    const keys = result.data?.myApiKeys ?? [];
    expect(keys.map((key) => key.name)).toEqual(['second', 'first']);
    expect(keys[0]?.revokedAt).toBeNull();
    expect(keys[1]?.revokedAt).toBe(clock.now().toISOString());

    const text = JSON.stringify(result);
    const hashes = (await keyRows(kit)).map((row) => row.secret_hash);
    for (const secret of [first.secret, second.secret]) expect(text).not.toContain(secret);
    for (const hash of hashes) expect(text).not.toContain(hash);
  });

  test('a user without keys gets an empty list', async () => {
    const alice = await kit.createUser();
    const result = await kit.execute<{ myApiKeys: ApiKeyView[] | null }>(MY_KEYS, { as: alice });
    expect(result.errors).toBeUndefined();
    expect(result.data?.myApiKeys).toEqual([]);
  });

  test('lastUsedAt shows when the key last authenticated', async () => {
    const alice = await kit.createUser();
    const created = await createOk(kit, alice);
    clock.advance(5 * 60_000);
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);

    const result = await kit.execute<{ myApiKeys: ApiKeyView[] | null }>(MY_KEYS, { as: alice });
    expect(result.data?.myApiKeys?.[0]?.lastUsedAt).toBe(clock.now().toISOString());
  });

  test('a caller using an API key sees the keys of the key\u2019s owner', async () => {
    const alice = await kit.createUser();
    const key = await kit.createApiKey(alice, { name: 'kit key' });
    const result = await kit.execute<{ myApiKeys: ApiKeyView[] | null }>(MY_KEYS, { as: key });
    expect(result.errors).toBeUndefined();
    expect(result.data?.myApiKeys?.map((k) => k.id)).toEqual([key.id]);
  });

  test('an anonymous caller gets null and UNAUTHENTICATED at ["myApiKeys"]', async () => {
    const result = await kit.execute<{ myApiKeys: unknown }>(MY_KEYS);
    expectOnlyError(result, 'UNAUTHENTICATED', ['myApiKeys']);
    expect(result.data?.myApiKeys).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe('revokeApiKey', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;
  beforeEach(async () => {
    clock = manualClock();
    kit = await createTestKit({ now: clock.now });
    alice = await kit.createUser({ email: 'alice@example.test' });
    bob = await kit.createUser({ email: 'bob@example.test' });
    admin = await kit.createUser({ role: 'ADMIN', email: 'admin@example.test' });
  });
  afterEach(async () => {
    await kit.close();
  });

  async function revoke(id: unknown, as: Caller) {
    return kit.execute<{ revokeApiKey: { id: string; name: string; revokedAt: string | null } | null }>(REVOKE, { variables: { id }, as });
  }

  test('the owner revokes their key: revokedAt is set and the key no longer authenticates', async () => {
    const created = await createOk(kit, alice, { name: 'laptop' });
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
    clock.advance(60_000);

    const result = await revoke(created.apiKey.id, alice);
    expect(result.errors).toBeUndefined();
    expect(result.data?.revokeApiKey).toEqual({ id: created.apiKey.id, name: 'laptop', revokedAt: clock.now().toISOString() });
    expect((await keyRow(kit, created.apiKey.id))?.revoked_at).toBe(clock.now().toISOString());
    expect(await ownerOf(kit, created.secret)).toBeNull();
  });

  // CONTRACT.md: an API key cannot create or revoke API keys unless the schema allows it, and
  // gatehouse's schema does not (@credentials on revokeApiKey). Its owner's session can.
  test('a key cannot revoke a key, not even itself: FORBIDDEN before anything runs, and it keeps working', async () => {
    const key = await kit.createApiKey(alice);
    const result = await revoke(key.id, key);
    expect(result.data ?? null).toBeNull();
    expect(result.codes).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.path).toEqual(['revokeApiKey']);
    expect((await keyRow(kit, key.id))?.revoked_at).toBeNull();
    expect(await ownerOf(kit, key.secret)).toBe(alice.user.id);
    expect((await revoke(key.id, alice)).errors).toBeUndefined();
    expect(await ownerOf(kit, key.secret)).toBeNull();
  });

  test('revoking twice keeps the first revocation time', async () => {
    const created = await createOk(kit, alice);
    const firstTime = clock.now().toISOString();
    await revoke(created.apiKey.id, alice);
    clock.advance(DAY_MS);
    const again = await revoke(created.apiKey.id, alice);
    expect(again.errors).toBeUndefined();
    expect(again.data?.revokeApiKey?.revokedAt).toBe(firstTime);
    expect(await ownerOf(kit, created.secret)).toBeNull();
  });

  test('revoking one key leaves the owner\u2019s other keys working', async () => {
    const a = await createOk(kit, alice, { name: 'a' });
    const b = await createOk(kit, alice, { name: 'b' });
    await revoke(a.apiKey.id, alice);
    expect(await ownerOf(kit, a.secret)).toBeNull();
    expect(await ownerOf(kit, b.secret)).toBe(alice.user.id);
  });

  test('another user\u2019s key: FORBIDDEN, and the key is unchanged and still authenticates', async () => {
    const created = await createOk(kit, alice);
    const before = await keyRow(kit, created.apiKey.id);

    const result = await revoke(created.apiKey.id, bob);
    expectOnlyError(result, 'FORBIDDEN', ['revokeApiKey']);
    expect(result.data?.revokeApiKey ?? null).toBeNull();
    expect(JSON.stringify(result.errors)).not.toContain(created.apiKey.prefix);

    expect(await keyRow(kit, created.apiKey.id)).toEqual(before);
    expect(before?.revoked_at).toBeNull();
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test('another user\u2019s key through that user\u2019s API key: FORBIDDEN, nothing changed', async () => {
    const created = await createOk(kit, alice);
    const bobKey = await kit.createApiKey(bob);
    const result = await revoke(created.apiKey.id, bobKey);
    expectOnlyError(result, 'FORBIDDEN', ['revokeApiKey']);
    expect((await keyRow(kit, created.apiKey.id))?.revoked_at).toBeNull();
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test('an ADMIN may revoke any user\u2019s key', async () => {
    const created = await createOk(kit, alice);
    const result = await revoke(created.apiKey.id, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data?.revokeApiKey?.revokedAt).toBe(clock.now().toISOString());
    expect(await ownerOf(kit, created.secret)).toBeNull();
  });

  test('an ADMIN context built by hand may revoke any user\u2019s key', async () => {
    const created = await createOk(kit, alice);
    const context = kit.contextFor({ id: admin.user.id, roles: ['ADMIN'], via: 'jwt' });
    const result = await revoke(created.apiKey.id, context);
    expect(result.errors).toBeUndefined();
    expect(await ownerOf(kit, created.secret)).toBeNull();
  });

  test('an anonymous caller is UNAUTHENTICATED and the key still works', async () => {
    const created = await createOk(kit, alice);
    const result = await revoke(created.apiKey.id, null);
    expectOnlyError(result, 'UNAUTHENTICATED', ['revokeApiKey']);
    expect((await keyRow(kit, created.apiKey.id))?.revoked_at).toBeNull();
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test('an unknown id is NOT_FOUND', async () => {
    const result = await revoke('00000000-0000-4000-8000-000000000000', alice);
    expectOnlyError(result, 'NOT_FOUND', ['revokeApiKey']);
    expect(result.data?.revokeApiKey ?? null).toBeNull();
  });

  test.each([
    ['empty', ''],
    ['not a uuid', 'key-1'],
    ['the key prefix', 'gth_abcdefgh'],
    ['SQL', "' OR 1=1 --"],
    ['10,000 characters', 'f'.repeat(10_000)],
  ])('a malformed id (%s) is BAD_USER_INPUT and no key changes', async (_label, id) => {
    const created = await createOk(kit, alice);
    const result = await revoke(id, alice);
    expectOnlyError(result, 'BAD_USER_INPUT', ['revokeApiKey']);
    expect((await keyRows(kit)).every((row) => row.revoked_at === null)).toBe(true);
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test('the secret in place of the id is BAD_USER_INPUT and does not revoke the key', async () => {
    const created = await createOk(kit, alice);
    const result = await revoke(created.secret, alice);
    expectOnlyError(result, 'BAD_USER_INPUT', ['revokeApiKey']);
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test.each<[string, unknown]>([
    ['a number', 42],
    ['a boolean', true],
    ['null', null],
    ['a list', ['00000000-0000-4000-8000-000000000000']],
  ])('a wrongly typed id variable (%s) is refused with BAD_USER_INPUT', async (_label, id) => {
    const result = await revoke(id, alice);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('expiry', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  beforeEach(async () => {
    clock = manualClock();
    kit = await createTestKit({ now: clock.now });
  });
  afterEach(async () => {
    await kit.close();
  });

  test('a key authenticates until expiresAt and not from then on', async () => {
    const alice = await kit.createUser();
    const created = await createOk(kit, alice, { name: 'one day', expiresInDays: 1 });

    clock.advance(DAY_MS - 1);
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
    clock.advance(1);
    expect(await ownerOf(kit, created.secret)).toBeNull();
    clock.advance(DAY_MS);
    expect(await ownerOf(kit, created.secret)).toBeNull();
  });

  test('a key made through the kit with expiresInDays also expires', async () => {
    const alice = await kit.createUser();
    const key = await kit.createApiKey(alice, { expiresInDays: 7 });
    expect(await ownerOf(kit, key.secret)).toBe(alice.user.id);
    clock.advance(8 * DAY_MS);
    expect(await ownerOf(kit, key.secret)).toBeNull();
  });

  test('a key without expiresInDays still authenticates years later', async () => {
    const alice = await kit.createUser();
    const created = await createOk(kit, alice, { name: 'forever' });
    clock.advance(10 * 365 * DAY_MS);
    expect(await ownerOf(kit, created.secret)).toBe(alice.user.id);
  });

  test('an expired key is still listed, with its expiresAt in the past', async () => {
    const alice = await kit.createUser();
    const created = await createOk(kit, alice, { name: 'short', expiresInDays: 1 });
    clock.advance(2 * DAY_MS);
    const result = await kit.execute<{ myApiKeys: ApiKeyView[] | null }>(MY_KEYS, { as: alice });
    expect(result.data?.myApiKeys?.map((key) => key.id)).toEqual([created.apiKey.id]);
    expect(Date.parse(result.data?.myApiKeys?.[0]?.expiresAt ?? '')).toBeLessThan(clock.now().getTime());
  });

  test('a malformed or altered key is refused without naming anyone', async () => {
    const alice = await kit.createUser();
    const created = await createOk(kit, alice);
    const last = created.secret.at(-1) === 'A' ? 'B' : 'A';
    expect(await ownerOf(kit, `${created.secret.slice(0, -1)}${last}`)).toBeNull();
    expect(await ownerOf(kit, created.secret.slice(0, -1))).toBeNull();
    expect(await ownerOf(kit, '')).toBeNull();
    expect(await ownerOf(kit, `gth_${'x'.repeat(10_000)}`)).toBeNull();
  });
});
