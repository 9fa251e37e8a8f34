import { buildDemoSchema } from '../helpers/demo';
import { accountLoaders } from '../../src/graphql/loaders';
import { createDemoKit } from '../helpers/demo';
import assert from 'node:assert';
import type { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { isNonNullType, isObjectType } from 'graphql';
import pino from 'pino';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { fieldRequirement, guardedRequirement } from '../../src/enforcement/requirements';
import type { Viewer } from '../../src/auth/viewer';
import { createApolloServer } from '../../src/graphql/apollo';
import type { GraphQLContext } from '../../src/graphql/context';
import { resolvers } from '../../src/graphql/resolvers';
import { loadTypeDefs } from '../../src/graphql/schema';
import type { ExecuteResult, TestKit, TestUser } from '../../src/testkit';

/*
 * The @auth / @hasRole / @public directives as they are used in gatehouse's own schema, through
 * Apollo's executeOperation: field-level denials with partial results, hand-built contexts, the
 * role hierarchy, and the mutation rule (a mutation selecting a denied field runs nothing).
 */

type Path = readonly (string | number)[];

function expectOnlyError(result: ExecuteResult<unknown>, code: string, path: Path): void {
  expect(result.codes).toEqual([code]);
  expect(result.errors?.[0]?.path).toEqual(path);
}

/** The errors as `code@path` strings, sorted: order between sibling fields is not part of the contract. */
function denials(result: ExecuteResult<unknown>): string[] {
  return (result.errors ?? []).map((error) => `${String(error.extensions?.['code'])}@${(error.path ?? []).join('.')}`).sort();
}

/** Every row of every table the GraphQL API can change, to prove "nothing changed". */
async function snapshot(kit: TestKit) {
  const db = kit.db;
  return {
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
    apiKeys: await db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    refreshTokens: await db.selectFrom('refresh_tokens').selectAll().orderBy('id').execute(),
    notes: await db.selectFrom('notes').selectAll().orderBy('id').execute(),
  };
}

// ---------------------------------------------------------------------------------------------

describe('which fields gatehouse protects', () => {
  const schema = buildDemoSchema();

  /** Every object field whose directives (read from the SDL) demand a signed-in caller. */
  function protectedFields(): string[] {
    const out: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const name of Object.keys(type.getFields())) {
        if (fieldRequirement(schema, type, name).signedIn) out.push(`${type.name}.${name}`);
      }
    }
    return out.sort();
  }

  function fieldOf(coordinate: string) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const type = schema.getType(typeName);
    assert(isObjectType(type), `${typeName} is an object type`);
    const field = type.getFields()[fieldName];
    assert(field !== undefined, `${coordinate} exists`);
    return field;
  }

  const EXPECTED = [
    'Query.me',
    'Query.users',
    'Query.auditEvents',
    'Query.myApiKeys',
    'Mutation.logout',
    'Mutation.logoutEverywhere',
    'Mutation.changePassword',
    'Mutation.endUserSessions',
    'Mutation.createApiKey',
    'Mutation.revokeApiKey',
    'Mutation.rotateApiKey',
    'Mutation.setUserRole',
    'Mutation.grantRole',
    'Mutation.revokeRole',
    'Mutation.createNote',
    'Mutation.deleteNote',
    'Mutation.createOrganizationNote',
    'Organization.notes',
    'Subscription.organizationNoteAdded',
    'User.apiKeys',
    'User.disabledAt',
    'ApiKey.owner',
    'Query.user',
    'Query.apiKeys',
    'Query.authMap',
    'Mutation.disableUser',
    'Mutation.enableUser',
    'Query.myOrganizations',
    'Query.organization',
    'Mutation.createOrganization',
    'Mutation.addMember',
    'Mutation.setMemberRole',
    'Mutation.removeMember',
  ].sort();

  test('the protected fields are exactly the ones these tests exercise', () => {
    expect(protectedFields()).toEqual(EXPECTED);
  });

  test('every protected query or object field is nullable, so a denial nulls only that field', () => {
    // The contract's `myOrganizations: [Organization!]! @auth`: only an anonymous caller is denied it,
    // and then the whole answer is that denial.
    const contractNonNull = ['Query.myOrganizations'];
    const nonNull = protectedFields().filter(
      (coordinate) =>
        !coordinate.startsWith('Mutation.') && !contractNonNull.includes(coordinate) && isNonNullType(fieldOf(coordinate).type),
    );
    expect(nonNull).toEqual([]);
  });

  test('ADMIN-only fields require ADMIN, @auth fields only a signed-in caller, @public fields nothing', () => {
    const requirementOf = (coordinate: string) => {
      const [typeName, fieldName] = coordinate.split('.') as [string, string];
      const type = schema.getType(typeName);
      assert(isObjectType(type));
      const requirement = fieldRequirement(schema, type, fieldName);
      return { signedIn: requirement.signedIn, roles: [...requirement.roles] };
    };
    expect(requirementOf('Query.users')).toEqual({ signedIn: true, roles: [['ADMIN']] });
    expect(requirementOf('Mutation.setUserRole')).toEqual({ signedIn: true, roles: [['ADMIN']] });
    expect(requirementOf('User.apiKeys')).toEqual({ signedIn: true, roles: [['ADMIN']] });
    expect(requirementOf('Query.me')).toEqual({ signedIn: true, roles: [] });
    expect(requirementOf('Mutation.createNote')).toEqual({ signedIn: true, roles: [] });
    expect(requirementOf('Query.notes')).toEqual({ signedIn: false, roles: [] });
    expect(requirementOf('Mutation.signUp')).toEqual({ signedIn: false, roles: [] });
  });

  test('guardedRequirement reports, on the built schema, the requirement each protected field enforces', () => {
    const reported = Object.fromEntries(
      EXPECTED.map((coordinate) => [coordinate, guardedRequirement(fieldOf(coordinate))?.roles ?? 'missing']),
    );
    expect(reported).toEqual({
      'Query.me': [],
      'Query.users': [['ADMIN']],
      'Query.auditEvents': [['ADMIN']],
      'Query.myApiKeys': [],
      'Mutation.logout': [],
      'Mutation.logoutEverywhere': [],
      'Mutation.changePassword': [],
      'Mutation.endUserSessions': [['ADMIN']],
      'Mutation.createApiKey': [],
      'Mutation.revokeApiKey': [],
      'Mutation.rotateApiKey': [],
      'Mutation.setUserRole': [['ADMIN']],
      'Mutation.grantRole': [['ADMIN']],
      'Mutation.revokeRole': [['ADMIN']],
      'Mutation.createNote': [],
      'Mutation.deleteNote': [],
      'User.apiKeys': [['ADMIN']],
      'User.disabledAt': [['ADMIN']],
      'ApiKey.owner': [['ADMIN']],
      'Query.user': [['ADMIN']],
      'Query.apiKeys': [['ADMIN']],
      'Query.authMap': [['ADMIN']],
      'Mutation.disableUser': [['ADMIN']],
      'Mutation.enableUser': [['ADMIN']],
      'Mutation.createOrganizationNote': [],
      'Organization.notes': [],
      'Subscription.organizationNoteAdded': [],
      'Query.myOrganizations': [],
      'Query.organization': [],
      'Mutation.createOrganization': [],
      'Mutation.addMember': [],
      'Mutation.setMemberRole': [],
      'Mutation.removeMember': [],
    });
    expect(guardedRequirement(fieldOf('Query.publicMessage'))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('protected query fields', () => {
  let kit: TestKit;
  let alice: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser({ email: 'alice@example.test' });
    admin = await kit.createUser({ role: 'ADMIN', email: 'admin@example.test' });
    await kit.createApiKey(alice, { name: 'alice key' });
    await kit.execute('mutation { createNote(title: "hello", body: "world", visibility: PUBLIC) { id } }', { as: alice });
  });
  afterAll(async () => {
    await kit.close();
  });

  const PROTECTED_QUERIES: readonly [string, string][] = [
    ['me', 'me { id }'],
    ['users', 'users { totalCount }'],
    ['auditEvents', 'auditEvents { totalCount }'],
    ['myApiKeys', 'myApiKeys { id }'],
    ['user', 'user(id: "00000000-0000-4000-8000-000000000000") { id }'],
    ['apiKeys', 'apiKeys { totalCount }'],
    ['authMap', 'authMap { callers }'],
  ];

  test.each(PROTECTED_QUERIES)(
    'anonymous: %s is null with UNAUTHENTICATED at its path; publicMessage still resolves',
    async (field, selection) => {
      const result = await kit.execute<Record<string, unknown>>(`{ publicMessage ${selection} }`);
      expectOnlyError(result, 'UNAUTHENTICATED', [field]);
      expect(result.data?.[field]).toBeNull();
      expect(typeof result.data?.['publicMessage']).toBe('string');
    },
  );

  test('anonymous: several protected fields in one query each fail at their own path, the public ones resolve', async () => {
    const result = await kit.execute<Record<string, unknown>>(
      '{ publicMessage notes { totalCount } me { id } users { totalCount } myApiKeys { id } }',
    );
    expect(denials(result)).toEqual(['UNAUTHENTICATED@me', 'UNAUTHENTICATED@myApiKeys', 'UNAUTHENTICATED@users']);
    expect(result.data).toEqual({
      publicMessage: expect.any(String),
      notes: { totalCount: 1 },
      me: null,
      users: null,
      myApiKeys: null,
    });
  });

  test('anonymous: an aliased protected field fails at the alias\u2019s path', async () => {
    const result = await kit.execute<Record<string, unknown>>('{ first: me { id } second: me { id } }');
    expect(denials(result)).toEqual(['UNAUTHENTICATED@first', 'UNAUTHENTICATED@second']);
    expect(result.data).toEqual({ first: null, second: null });
  });

  test('USER: an ADMIN field is null with FORBIDDEN; the USER\u2019s own @auth fields resolve', async () => {
    const result = await kit.execute<Record<string, unknown>>('{ me { id } users { totalCount } myApiKeys { name } }', { as: alice });
    expectOnlyError(result, 'FORBIDDEN', ['users']);
    expect(result.data).toEqual({ me: { id: alice.user.id }, users: null, myApiKeys: [{ name: 'alice key' }] });
  });

  test('USER: the ADMIN field reached through a fragment is still FORBIDDEN', async () => {
    const result = await kit.execute<Record<string, unknown>>('query { ...Admin } fragment Admin on Query { users { totalCount } }', {
      as: alice,
    });
    expectOnlyError(result, 'FORBIDDEN', ['users']);
  });

  test('USER: a nested ADMIN field (User.apiKeys) is null with FORBIDDEN at its path; its parent resolves', async () => {
    const result = await kit.execute<{ me: { id: string; apiKeys: unknown } | null }>('{ me { id apiKeys { id } } }', { as: alice });
    expectOnlyError(result, 'FORBIDDEN', ['me', 'apiKeys']);
    expect(result.data?.me).toEqual({ id: alice.user.id, apiKeys: null });
  });

  test('USER: a nested ADMIN field inside a list fails once per item, at each item\u2019s path', async () => {
    const result = await kit.execute<{ notes: { edges: { node: { title: string; author: { id: string; apiKeys: unknown } } }[] } }>(
      '{ notes { edges { node { title author { id apiKeys { id } } } } } }',
      { as: alice },
    );
    expect(denials(result)).toEqual(['FORBIDDEN@notes.edges.0.node.author.apiKeys']);
    expect(result.data?.notes.edges).toEqual([{ node: { title: 'hello', author: { id: alice.user.id, apiKeys: null } } }]);
  });

  test('USER through an API key: the same rules as through a JWT', async () => {
    const key = await kit.createApiKey(alice);
    const result = await kit.execute<Record<string, unknown>>('{ me { id } users { totalCount } }', { as: key });
    expectOnlyError(result, 'FORBIDDEN', ['users']);
    expect(result.data?.['me']).toEqual({ id: alice.user.id });
  });

  test('ADMIN: every protected query field resolves, nested ADMIN fields too', async () => {
    const result = await kit.execute<{
      me: { id: string; apiKeys: unknown[] } | null;
      users: { totalCount: number } | null;
      myApiKeys: unknown[] | null;
    }>('{ me { id apiKeys { id } } users { totalCount } myApiKeys { id } }', { as: admin });
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toEqual({ id: admin.user.id, apiKeys: [] });
    expect(result.data?.users?.totalCount).toBe(2);
    expect(result.data?.myApiKeys).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('contexts built by hand with kit.contextFor', () => {
  let kit: TestKit;
  let alice: TestUser;
  beforeAll(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser({ email: 'alice@example.test' });
    await kit.createApiKey(alice, { name: 'alice key' });
  });
  afterAll(async () => {
    await kit.close();
  });

  const viewer = (roles: readonly string[], via: Viewer['via'] = 'jwt'): Viewer => ({ id: alice.user.id, roles, via });

  test('{ roles: ["ADMIN"] } passes ADMIN fields, top-level and nested', async () => {
    const context = kit.contextFor(viewer(['ADMIN']));
    const result = await kit.execute<{
      users: { totalCount: number; edges: { node: { id: string; apiKeys: { name: string }[] | null } }[] } | null;
    }>('{ users { totalCount edges { node { id apiKeys { name } } } } }', { as: context });
    expect(result.errors).toBeUndefined();
    expect(result.data?.users?.totalCount).toBe(1);
    expect(result.data?.users?.edges[0]?.node).toEqual({ id: alice.user.id, apiKeys: [{ name: 'alice key' }] });
  });

  test('{ roles: ["ADMIN"] } passes @auth fields (an ADMIN is a signed-in caller)', async () => {
    const context = kit.contextFor(viewer(['ADMIN']));
    const result = await kit.execute<{ myApiKeys: { name: string }[] | null }>('{ myApiKeys { name } }', { as: context });
    expect(result.errors).toBeUndefined();
    expect(result.data?.myApiKeys).toEqual([{ name: 'alice key' }]);
  });

  test('{ roles: ["ADMIN"], via: "api-key" } passes ADMIN fields as well', async () => {
    const result = await kit.execute<{ users: { totalCount: number } | null }>('{ users { totalCount } }', {
      as: kit.contextFor(viewer(['ADMIN'], 'api-key')),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.users?.totalCount).toBe(1);
  });

  test('an ADMIN context by hand may call an ADMIN mutation', async () => {
    const bob = await kit.createUser();
    const admin = await kit.createUser({ role: 'ADMIN' });
    const result = await kit.execute<{ setUserRole: { role: string } | null }>(
      'mutation($id: ID!) { setUserRole(userId: $id, role: USER) { role } }',
      { variables: { id: bob.user.id }, as: kit.contextFor({ id: admin.user.id, roles: ['ADMIN'], via: 'jwt' }) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.setUserRole?.role).toBe('USER');
  });

  test.each<[string, readonly string[]]>([
    ['USER', ['USER']],
    ['no roles', []],
    ['an unknown role', ['SUPERUSER']],
    ['a lower-case admin', ['admin']],
  ])('%s: ADMIN fields are FORBIDDEN, @auth fields resolve', async (_label, roles) => {
    const result = await kit.execute<{ users: unknown; myApiKeys: { name: string }[] | null }>(
      '{ users { totalCount } myApiKeys { name } }',
      {
        as: kit.contextFor(viewer(roles)),
      },
    );
    expectOnlyError(result, 'FORBIDDEN', ['users']);
    expect(result.data?.users).toBeNull();
    expect(result.data?.myApiKeys).toEqual([{ name: 'alice key' }]);
  });

  test('a null viewer is anonymous: UNAUTHENTICATED, never FORBIDDEN', async () => {
    const result = await kit.execute('{ users { totalCount } myApiKeys { id } publicMessage }', { as: kit.contextFor(null) });
    expect(denials(result)).toEqual(['UNAUTHENTICATED@myApiKeys', 'UNAUTHENTICATED@users']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the role hierarchy: an ADMIN passes @hasRole(role: USER)', () => {
  let kit: TestKit;
  let server: ApolloServer<GraphQLContext>;
  let alice: TestUser;

  beforeAll(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser();
    // gatehouse's own schema plus one field that needs the USER role.
    const schema = applyAuthDirectives(
      makeExecutableSchema({
        typeDefs: [authDirectiveTypeDefs, ...loadTypeDefs(), 'extend type Query { memberGreeting: String @hasRole(role: USER) }'],
        resolvers: [...resolvers, { Query: { memberGreeting: () => 'hello, member' } }] as never,
      }),
      { loaders: accountLoaders },
    );
    server = createApolloServer(kit.app, { log: pino({ level: 'silent' }), schema });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await kit.close();
  });

  async function run(query: string, contextValue: GraphQLContext) {
    const response = await server.executeOperation({ query }, { contextValue });
    assert(response.body.kind === 'single');
    const { data, errors } = response.body.singleResult;
    return {
      data: data as Record<string, unknown> | null | undefined,
      errors,
      codes: (errors ?? []).map((e) => String(e.extensions?.['code'])),
    };
  }

  test.each<[string, readonly string[]]>([
    ['["ADMIN"] (as a test builds it by hand)', ['ADMIN']],
    ['["USER"]', ['USER']],
    ['["ADMIN", "USER"] (as rolesOf expands it)', ['ADMIN', 'USER']],
  ])('roles %s pass', async (_label, roles) => {
    const result = await run('{ memberGreeting }', kit.contextFor({ id: alice.user.id, roles, via: 'jwt' }));
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ memberGreeting: 'hello, member' });
  });

  test('a real ADMIN user\u2019s context passes', async () => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const result = await run('{ memberGreeting }', admin.context);
    expect(result.data).toEqual({ memberGreeting: 'hello, member' });
  });

  test('a signed-in caller with no role is FORBIDDEN; an anonymous one UNAUTHENTICATED', async () => {
    const noRole = await run('{ memberGreeting publicMessage }', kit.contextFor({ id: alice.user.id, roles: [], via: 'jwt' }));
    expect(noRole.codes).toEqual(['FORBIDDEN']);
    expect(noRole.errors?.[0]?.path).toEqual(['memberGreeting']);
    expect(noRole.data?.['memberGreeting']).toBeNull();
    expect(typeof noRole.data?.['publicMessage']).toBe('string');

    const anonymous = await run('{ memberGreeting }', kit.anonymous());
    expect(anonymous.codes).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.errors?.[0]?.path).toEqual(['memberGreeting']);
  });

  test('a USER does not pass @hasRole(role: ADMIN) (the hierarchy only goes down)', async () => {
    const result = await run('{ users { totalCount } }', kit.contextFor({ id: alice.user.id, roles: ['USER'], via: 'jwt' }));
    expect(result.codes).toEqual(['FORBIDDEN']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('protected mutations', () => {
  let kit: TestKit;
  let alice: TestUser;
  let mallory: TestUser;
  let aliceNoteId: string;
  let aliceKeyId: string;
  beforeEach(async () => {
    kit = await createDemoKit();
    alice = await kit.createUser({ email: 'alice@example.test' });
    mallory = await kit.createUser({ email: 'mallory@example.test' });
    await kit.createUser({ role: 'ADMIN', email: 'admin@example.test' });
    aliceKeyId = (await kit.createApiKey(alice)).id;
    const created = await kit.execute<{ createNote: { id: string } }>('mutation { createNote(title: "a", body: "b") { id } }', {
      as: alice,
    });
    aliceNoteId = created.data?.createNote.id ?? '';
    assert(aliceNoteId !== '');
  });
  afterEach(async () => {
    await kit.close();
  });

  const anonymousMutations = (): [string, string][] => [
    ['logout', 'mutation { logout(refreshToken: "gtr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") }'],
    ['logoutEverywhere', 'mutation { logoutEverywhere }'],
    ['changePassword', 'mutation { changePassword(currentPassword: "correct horse battery staple", newPassword: "anonymous wants in") }'],
    ['endUserSessions', `mutation { endUserSessions(userId: "${alice.user.id}") }`],
    ['createApiKey', 'mutation { createApiKey(name: "anon") { secret } }'],
    ['revokeApiKey', `mutation { revokeApiKey(id: "${aliceKeyId}") { id } }`],
    ['rotateApiKey', `mutation { rotateApiKey(id: "${aliceKeyId}") { secret } }`],
    ['setUserRole', `mutation { setUserRole(userId: "${mallory.user.id}", role: ADMIN) { id } }`],
    ['createNote', 'mutation { createNote(title: "anon", body: "anon") { id } }'],
    ['deleteNote', `mutation { deleteNote(id: "${aliceNoteId}") }`],
  ];

  test('anonymous: each protected mutation fails UNAUTHENTICATED at its path and changes nothing', async () => {
    for (const [field, mutation] of anonymousMutations()) {
      const before = await snapshot(kit);
      const result = await kit.execute(mutation);
      expect({ field, codes: result.codes, path: result.errors?.[0]?.path }).toEqual({ field, codes: ['UNAUTHENTICATED'], path: [field] });
      expect(await snapshot(kit)).toEqual(before);
    }
  });

  test('USER: an ADMIN mutation fails FORBIDDEN at its path and changes nothing', async () => {
    const before = await snapshot(kit);
    const result = await kit.execute(`mutation { setUserRole(userId: "${mallory.user.id}", role: ADMIN) { id role } }`, { as: mallory });
    expectOnlyError(result, 'FORBIDDEN', ['setUserRole']);
    const ending = await kit.execute(`mutation { endUserSessions(userId: "${alice.user.id}") }`, { as: mallory });
    expectOnlyError(ending, 'FORBIDDEN', ['endUserSessions']);
    expect(await snapshot(kit)).toEqual(before);
  });

  test('USER: a mutation that selects only permitted fields runs normally', async () => {
    const result = await kit.execute<{ createNote: { id: string; author: { id: string; email: string | null } } | null }>(
      'mutation { createNote(title: "ok", body: "ok") { id author { id email } } }',
      { as: mallory },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createNote?.author).toEqual({ id: mallory.user.id, email: 'mallory@example.test' });
  });

  // docs/contract.md, "Authorization": "A mutation that selects any field the caller may not access, at any depth, is
  // refused before any resolver runs: no data, one error per denied field with its path and code,
  // nothing changed."

  test('anonymous: a denied mutation field gives no data at all, not a null field', async () => {
    const result = await kit.execute('mutation { createNote(title: "anon", body: "anon") { id } }');
    expectOnlyError(result, 'UNAUTHENTICATED', ['createNote']);
    expect(result.data ?? null).toBeNull();
  });

  test('anonymous: signUp selecting user.apiKeys is refused before it runs: no data, no account', async () => {
    const before = await snapshot(kit);
    const result = await kit.execute(
      'mutation { signUp(email: "eve@example.test", password: "long enough password") { accessToken user { apiKeys { id } } } }',
    );
    expectOnlyError(result, 'UNAUTHENTICATED', ['signUp', 'user', 'apiKeys']);
    expect(result.data ?? null).toBeNull();
    expect(await snapshot(kit)).toEqual(before);
  });

  test('USER: a permitted mutation next to a denied one does not run either', async () => {
    const before = await snapshot(kit);
    const result = await kit.execute(
      `mutation { createApiKey(name: "smuggled") { secret } setUserRole(userId: "${mallory.user.id}", role: ADMIN) { id } }`,
      { as: mallory },
    );
    expect(denials(result)).toEqual(['FORBIDDEN@setUserRole']);
    expect(result.data ?? null).toBeNull();
    expect(await snapshot(kit)).toEqual(before);
  });
});
