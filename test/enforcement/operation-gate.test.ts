import { storedRoles } from '../helpers/store';
import { createDemoKit } from '../helpers/demo';
import assert from 'node:assert';
import type { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import pino from 'pino';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { defaultRoleCatalog } from '../../src/auth/roles';
import type { Viewer } from '../../src/auth/viewer';
import { createApolloServer } from '../../src/graphql/apollo';
import type { GraphQLContext } from '../../src/graphql/context';
import { createTestKit, type TestKit, type TestUser } from '../../src/testkit';

/** How many notes the kit's database holds: a refused mutation must leave it unchanged. */
async function notesIn(kit: TestKit): Promise<number> {
  const row = await kit.db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

describe('refusal before side effects', () => {
  let kit: TestKit;
  let user: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    kit = await createDemoKit();
    user = await kit.createUser();
    admin = await kit.createUser({ role: 'ADMIN' });
  });
  afterAll(() => kit.close());

  const countNotes = () => notesIn(kit);

  it('refuses a mutation that selects a forbidden nested field, and writes nothing', async () => {
    const before = await countNotes();
    const result = await kit.execute('mutation { createNote(title: "t", body: "b") { id author { id apiKeys { id } } } }', { as: user });
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: ['createNote', 'author', 'apiKeys'],
        extensions: { code: 'FORBIDDEN', rule: '@hasRole(role: ADMIN) on User.apiKeys', requestId: result.requestId },
      }),
    ]);
    expect(await countNotes()).toBe(before);
  });

  it('runs the same mutation for a caller allowed every field', async () => {
    const before = await countNotes();
    const result = await kit.execute('mutation { createNote(title: "t", body: "b") { id author { apiKeys { id } } } }', { as: admin });
    expect(result.errors).toBeUndefined();
    expect(await countNotes()).toBe(before + 1);
  });

  it('finds denied fields through fragments, inline fragments and aliases, one error per field', async () => {
    const before = await countNotes();
    const result = await kit.execute(
      `mutation {
        a: createNote(title: "t", body: "b") { ...N }
        b: setUserRole(userId: "${user.user.id}", role: ADMIN) { id }
      }
      fragment N on Note { author { ... on User { keys: apiKeys { id } } } }`,
      { as: user },
    );
    expect(result.data).toBeUndefined();
    expect(result.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([
      [['a', 'author', 'keys'], 'FORBIDDEN'],
      [['b'], 'FORBIDDEN'],
    ]);
    expect(await countNotes()).toBe(before);
    expect(await storedRoles(kit.store.db, user.user.id)).toEqual(['USER']);
  });

  it('answers UNAUTHENTICATED for an anonymous caller and touches nothing', async () => {
    const before = await countNotes();
    const result = await kit.execute('mutation { createNote(title: "t", body: "b") { id } }');
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: ['createNote'],
        extensions: { code: 'UNAUTHENTICATED', rule: '@auth on Mutation.createNote', requestId: result.requestId },
      }),
    ]);
    expect(await countNotes()).toBe(before);
  });

  it('honours @skip and @include: a skipped forbidden field does not refuse the mutation', async () => {
    const query =
      'mutation ($withKeys: Boolean!) { createNote(title: "t", body: "b") { id author { apiKeys @include(if: $withKeys) { id } } } }';
    expect((await kit.execute(query, { as: user, variables: { withKeys: false } })).errors).toBeUndefined();
    expect((await kit.execute(query, { as: user, variables: { withKeys: true } })).codes).toEqual(['FORBIDDEN']);
  });

  it('keeps partial results for queries by default', async () => {
    const result = await kit.execute('{ publicMessage users { totalCount } }', { as: user });
    expect(result.data).toEqual({ publicMessage: expect.any(String), users: null });
    expect(result.codes).toEqual(['FORBIDDEN']);
  });

  it('refuses denied queries whole when REFUSE_DENIED_QUERIES is on', async () => {
    const strict = await createDemoKit({ env: { REFUSE_DENIED_QUERIES: 'true' } });
    try {
      const someone = await strict.createUser();
      const result = await strict.execute('{ publicMessage users { totalCount } }', { as: someone });
      expect(result.data).toBeUndefined();
      expect(result.errors).toEqual([
        expect.objectContaining({
          path: ['users'],
          extensions: { code: 'FORBIDDEN', rule: '@hasRole(role: ADMIN) on Query.users', requestId: result.requestId },
        }),
      ]);
      expect((await strict.execute('{ publicMessage me { id } }', { as: someone })).errors).toBeUndefined();
    } finally {
      await strict.close();
    }
  });
});

describe('the gate and @skip/@include', () => {
  let kit: TestKit;
  let user: TestUser;
  beforeAll(async () => {
    kit = await createDemoKit();
    user = await kit.createUser();
  });
  afterAll(() => kit.close());
  const notes = () => notesIn(kit);

  it('is not fooled by one fragment spread under opposite conditions', async () => {
    const before = await notes();
    const result = await kit.execute(
      `mutation ($no: Boolean!) { ... @include(if: $no) { ...F } ... @skip(if: $no) { ...F } }
       fragment F on Mutation { createNote(title: "x", body: "y") { id } setUserRole(userId: "${user.user.id}", role: USER) { id } }`,
      { as: user, variables: { no: false } },
    );
    expect(result.data).toBeUndefined();
    expect(result.codes).toEqual(['FORBIDDEN']);
    expect(await notes()).toBe(before);
  });

  it('reads a variable default: a field skipped by default does not refuse the mutation', async () => {
    const result = await kit.execute(
      `mutation ($admin: Boolean = false) { createNote(title: "x", body: "y") { id } setUserRole(userId: "${user.user.id}", role: USER) @include(if: $admin) { id } }`,
      { as: user },
    );
    expect(result.errors).toBeUndefined();
  });
});

/*
 * Mutations whose result is an interface or a union: the gate must look at every possible type of
 * the result, or a caller could reach a protected field of one member through an inline fragment,
 * and the side effect would already have happened when the field is refused.
 */
describe('the gate and abstract result types', () => {
  let kit: TestKit;
  let server: ApolloServer<GraphQLContext>;
  let effects = 0;

  beforeAll(async () => {
    kit = await createTestKit();
    const schema = applyAuthDirectives(
      makeExecutableSchema({
        typeDefs: [
          authDirectiveTypeDefs,
          /* GraphQL */ `
            enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
            interface Item { id: ID }
            type Vault implements Item @hasRole(role: ADMIN) { id: ID  combination: String }
            type Doc implements Item { id: ID  title: String }
            union Found = Vault | Doc
            type Query { ping: String @public }
            type Mutation {
              touchItem: Item @auth
              touchFound: Found @auth
            }
          `,
        ],
        resolvers: {
          Item: { __resolveType: () => 'Doc' },
          Found: { __resolveType: () => 'Doc' },
          Mutation: {
            touchItem: () => {
              effects++;
              return { id: 'd1', title: 'Hello' };
            },
            touchFound: () => {
              effects++;
              return { id: 'd1', title: 'Hello' };
            },
          },
        },
      }),
    );
    server = createApolloServer(kit.app, { log: pino({ level: 'silent' }), schema });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await kit?.close();
  });

  const USER: Viewer = { id: 'u1', roles: defaultRoleCatalog().expand('USER'), via: 'jwt' };
  const ADMIN: Viewer = { id: 'a1', roles: defaultRoleCatalog().expand('ADMIN'), via: 'jwt' };

  async function run(query: string, viewer: Viewer) {
    const response = await server.executeOperation({ query }, { contextValue: kit.contextFor(viewer) });
    assert(response.body.kind === 'single');
    const { data, errors } = response.body.singleResult;
    return { data, denials: (errors ?? []).map((e) => [e.path, e.extensions?.['code']]) };
  }

  it.each([
    ['an interface', 'touchItem'],
    ['a union', 'touchFound'],
  ])('refuses, before it runs, a mutation returning %s that selects a member’s protected field', async (_kind, field) => {
    const before = effects;
    const refused = await run(`mutation { ${field} { ... on Vault { combination } ... on Doc { title } } }`, USER);
    expect(refused.data).toBeUndefined();
    expect(refused.denials).toEqual([[[field, 'combination'], 'FORBIDDEN']]);
    expect(effects).toBe(before);

    // Through a named fragment on the abstract type too.
    const viaFragment = await run(`mutation { ${field} { ...V } } fragment V on Vault { id }`, USER);
    expect(viaFragment.denials).toEqual([[[field, 'id'], 'FORBIDDEN']]);
    expect(effects).toBe(before);

    const allowed = await run(`mutation { ${field} { ... on Vault { combination } ... on Doc { title } } }`, ADMIN);
    expect(allowed.denials).toEqual([]);
    expect(effects).toBe(before + 1);
  });
});
