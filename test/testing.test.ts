// gatehouse/testing. Its examples in docs/your-api.md run in test/docs/code-blocks.test.ts.
import { type GatehouseContext, hasRole } from '../src/index';
import { createTestKit, type TestKit, testContext } from '../src/testing';

let kit: TestKit;
beforeAll(async () => {
  kit = await createTestKit();
});
afterAll(() => kit.close());

it('gives each kit its own database', async () => {
  const other = await createTestKit();
  try {
    await other.createUser();
    const admin = await other.createUser({ role: 'ADMIN' });
    expect((await other.execute<{ users: { totalCount: number } }>('{ users { totalCount } }', { as: admin })).data?.users.totalCount).toBe(
      2,
    );
  } finally {
    await other.close();
  }
});

it('acts as a viewer built by hand', async () => {
  const target = await kit.createUser();
  const result = await kit.execute('{ users(first: 1) { edges { node { id } } } }', {
    as: kit.contextFor({ id: target.user.id, roles: ['ADMIN'], via: 'jwt' }),
  });
  expect(result.errors).toBeUndefined();
});

it('names the request in every error, as over HTTP: a fresh id per execute, or the id of the context passed', async () => {
  const user = await kit.createUser();
  const results = [
    await kit.execute('{ me { id } users { totalCount } }'),
    await kit.execute('{ users { totalCount } }', { as: user }),
    await kit.execute('{ users { totalCount } }', { as: user }),
  ];
  expect(results.map((result) => result.codes)).toEqual([['UNAUTHENTICATED', 'UNAUTHENTICATED'], ['FORBIDDEN'], ['FORBIDDEN']]);
  for (const result of results) {
    expect(result.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(result.errors?.map((error) => error.extensions?.['requestId'])).toEqual(result.codes.map(() => result.requestId));
  }
  // Each execution is a request of its own, the same user's included.
  expect(new Set(results.map((result) => result.requestId)).size).toBe(3);
  const own = await kit.execute('{ users { totalCount } }', { as: { ...kit.anonymous(), requestId: 'my-request' } });
  expect(own.requestId).toBe('my-request');
  expect(own.errors?.map((error) => error.extensions)).toEqual([
    expect.objectContaining({ code: 'UNAUTHENTICATED', requestId: 'my-request' }),
  ]);
});

describe('createTestKit with an application schema', () => {
  const typeDefs = /* GraphQL */ `
    type Greeting { text: String! for: User }
    extend type Query {
      hello: String! @public
      greeting: Greeting! @auth
      adminsOnly: Int @hasRole(role: ADMIN)
    }
  `;
  const resolvers = {
    Query: {
      hello: () => 'hello, world',
      greeting: async (_: unknown, __: unknown, context: GatehouseContext) => ({
        text: `hello, ${context.viewer?.id}`,
        for: await context.loadUser(context.viewer?.id ?? ''),
      }),
      adminsOnly: () => 42,
    },
  };
  let app: TestKit;
  beforeAll(async () => {
    app = await createTestKit({ typeDefs, resolvers });
  });
  afterAll(() => app.close());

  it('serves the application fields beside the account schema, with the directives enforced', async () => {
    expect((await app.execute('{ hello }')).data).toEqual({ hello: 'hello, world' });
    expect((await app.execute('{ greeting { text } }')).codes).toEqual(['UNAUTHENTICATED']);
    const alice = await app.createUser({ name: 'Alice' });
    const greeted = await app.execute('{ greeting { text for { id name email } } me { id } }', { as: alice });
    expect(greeted.errors).toBeUndefined();
    expect(greeted.data).toEqual({
      greeting: { text: `hello, ${alice.user.id}`, for: { id: alice.user.id, name: 'Alice', email: alice.user.email } },
      me: { id: alice.user.id },
    });
    expect((await app.execute('{ adminsOnly }', { as: alice })).codes).toEqual(['FORBIDDEN']);
    const key = await app.createApiKey(await app.createUser({ role: 'ADMIN' }));
    expect((await app.execute('{ adminsOnly }', { as: key })).data).toEqual({ adminsOnly: 42 });
  });

  it('refuses, in strict mode, an application root field that does not say who may call it', async () => {
    await expect(createTestKit({ typeDefs: 'extend type Query { leak: String }' })).rejects.toThrow(/Query\.leak/);
    const relaxed = await createTestKit({ typeDefs: 'extend type Query { leak: String }', env: { AUTH_STRICT: 'false' } });
    await relaxed.close();
  });
});

describe('testContext: a resolver unit test with no database', () => {
  it('builds the context for a hand-made viewer', () => {
    const greet = (_: unknown, __: unknown, context: GatehouseContext) =>
      hasRole(context.viewer, 'ADMIN') ? `hello, admin ${context.viewer?.id}` : 'hello';
    expect(greet({}, {}, testContext({ id: 'u1', roles: ['ADMIN'], via: 'jwt' }))).toBe('hello, admin u1');
    expect(greet({}, {}, testContext(null))).toBe('hello');
    expect(
      testContext(null, { now: () => new Date('2026-01-01T00:00:00Z') })
        .now()
        .toISOString(),
    ).toBe('2026-01-01T00:00:00.000Z');
  });

  it('says so when a resolver reaches for the database', async () => {
    const context = testContext(null);
    expect(() => context.db).toThrow(/no database: .*createTestKit/);
    await expect(context.loadUser('x')).rejects.toThrow(/no database/);
  });
});
