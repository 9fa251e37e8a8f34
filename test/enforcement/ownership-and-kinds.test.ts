// @owner, @credentials and @requiresScopes enforced on a schema of the user's own, through
// graphql's execute (fields) and the operation gate (mutations, before anything runs).
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type ExecutionResult, parse } from 'graphql';
import type { Viewer } from '../../src/auth/viewer';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { createOperationGate } from '../../src/enforcement/operation-gate';
import { ownedByCaller } from '../../src/enforcement/ownership';

const typeDefs = /* GraphQL */ `
  enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
  type Doc { id: ID! ownerId: ID! secret: String @owner(field: "ownerId", orRole: ADMIN) }
  "Plain properties (no resolver of their own): graphql's default resolver reads them."
  type Ledger { id: ID! balance: Int @requiresScopes(scopes: [["ledger:read"]]) }
  type Report @credentials(allow: [JWT]) { title: String @credentials(allow: [JWT, API_KEY]) }
  type Query {
    docs(n: Int!): [Doc!]! @public
    mine: Doc @public
    scoped: String @requiresScopes(scopes: [["docs:read"], ["docs:all"]])
    ledger: Ledger @auth
    report: Report @public
  }
  type Mutation {
    dropDoc(id: ID!): Boolean @auth @owner(loads: "Doc", field: "ownerId", orRole: ADMIN)
    mint: String @auth @credentials(allow: [JWT, EXTERNAL])
  }
`;

interface Doc {
  id: string;
  ownerId: string;
  secret: string;
}
const docs = new Map<string, Doc>([
  ['d1', { id: 'd1', ownerId: 'u1', secret: 'one' }],
  ['d2', { id: 'd2', ownerId: 'u2', secret: 'two' }],
]);
const loaderCalls: string[][] = [];
const dropped: string[] = [];

const schema = applyAuthDirectives(
  makeExecutableSchema({
    typeDefs: [authDirectiveTypeDefs, typeDefs],
    resolvers: {
      Query: {
        docs: (_: unknown, { n }: { n: number }) =>
          Array.from({ length: n }, (_unused, i) => ({ id: `x${i}`, ownerId: i % 2 === 0 ? 'u1' : 'u2', secret: `s${i}` })),
        mine: () => ownedByCaller({ id: 'd9', ownerId: 'someone', secret: 'issued to the caller' }),
        scoped: () => 'scoped',
        ledger: () => ({ id: 'l1', balance: 42 }),
        report: () => ({ title: 'quarterly' }),
      },
      Mutation: {
        dropDoc: (_: unknown, { id }: { id: string }) => {
          dropped.push(id);
          return true;
        },
        mint: () => 'minted',
      },
    },
  }),
  {
    loaders: {
      Doc: async (ids) => {
        loaderCalls.push([...ids]);
        return ids.map((id) => docs.get(id) ?? null);
      },
    },
  },
);

const u1: Viewer = { id: 'u1', roles: ['USER'], via: 'jwt' };
const u2: Viewer = { id: 'u2', roles: ['USER'], via: 'jwt' };
const admin: Viewer = { id: 'a', roles: ['ADMIN'], via: 'jwt' };
const keyOf = (viewer: Viewer, scopes?: string[]): Viewer => ({ ...viewer, via: 'api-key', ...(scopes ? { scopes } : {}) });

async function run(query: string, viewer: Viewer | null): Promise<ExecutionResult> {
  return execute({ schema, document: parse(query), contextValue: { viewer } });
}
const errors = (result: ExecutionResult) => (result.errors ?? []).map((e) => ({ path: e.path, code: e.extensions['code'] }));

beforeEach(() => {
  loaderCalls.length = 0;
  dropped.length = 0;
});

describe('@owner on an object field', () => {
  it('the owner and orRole read it; others get null and FORBIDDEN (UNAUTHENTICATED anonymous) at the path', async () => {
    const result = await run('{ docs(n: 2) { id secret } }', u1);
    expect(result.data).toEqual({
      docs: [
        { id: 'x0', secret: 's0' },
        { id: 'x1', secret: null },
      ],
    });
    expect(errors(result)).toEqual([{ path: ['docs', 1, 'secret'], code: 'FORBIDDEN' }]);
    expect(errors(await run('{ docs(n: 2) { secret } }', null))).toEqual([
      { path: ['docs', 0, 'secret'], code: 'UNAUTHENTICATED' },
      { path: ['docs', 1, 'secret'], code: 'UNAUTHENTICATED' },
    ]);
    expect((await run('{ docs(n: 2) { secret } }', admin)).errors).toBeUndefined();
  });

  it('an object marked as the caller’s own passes even for an anonymous caller', async () => {
    expect(await run('{ mine { secret } }', null)).toEqual({ data: { mine: { secret: 'issued to the caller' } } });
  });

  it('decides 10,000 items from the parents alone: no loader call', async () => {
    const result = await run('{ docs(n: 10000) { secret } }', u2);
    expect(result.errors).toHaveLength(5000);
    expect(loaderCalls).toEqual([]);
  });
});

describe('@owner on a root mutation field, with the gate', () => {
  const gate = createOperationGate();
  const denied = async (query: string, viewer: Viewer | null, context: object = { viewer }) => {
    const document = parse(query);
    const operation = document.definitions[0] as Parameters<typeof gate.deniedFields>[2];
    const denied = [
      ...gate.deniedFields(schema, document, operation, viewer, {}),
      ...(await gate.deniedOwnership(schema, document, operation, viewer, {}, context)),
    ];
    return denied.map((e) => ({ path: e.path, code: e.extensions['code'] }));
  };

  it('refuses a non-owner before anything runs, one error per denied field, loading each object once per batch', async () => {
    expect(await denied('mutation { a: dropDoc(id: "d1") b: dropDoc(id: "d2") }', u2)).toEqual([{ path: ['a'], code: 'FORBIDDEN' }]);
    expect(loaderCalls).toEqual([['d1', 'd2']]);
    expect(dropped).toEqual([]);
  });

  it('lets the owner, an ADMIN and an unknown id through (the resolver answers for the last)', async () => {
    expect(await denied('mutation { dropDoc(id: "d1") }', u1)).toEqual([]);
    expect(await denied('mutation { dropDoc(id: "d1") }', admin)).toEqual([]);
    expect(await denied('mutation { dropDoc(id: "nope") }', u2)).toEqual([]);
  });

  it('the field checks too, sharing what the gate loaded in the same request', async () => {
    const context = { viewer: u2 };
    expect(await denied('mutation { dropDoc(id: "d1") }', u2, context)).toHaveLength(1);
    const result = await execute({ schema, document: parse('mutation { dropDoc(id: "d1") }'), contextValue: context });
    expect(errors(result)).toEqual([{ path: ['dropDoc'], code: 'FORBIDDEN' }]);
    expect(dropped).toEqual([]);
    expect(loaderCalls).toEqual([['d1']]);
  });
});

describe('@credentials and @requiresScopes', () => {
  it('refuses a kind the field does not allow, before execution and during it', async () => {
    const gate = createOperationGate();
    const document = parse('mutation { mint }');
    const operation = document.definitions[0] as Parameters<typeof gate.deniedFields>[2];
    const viaKey = keyOf(u1);
    expect(gate.deniedFields(schema, document, operation, viaKey, {}).map((e) => e.extensions['code'])).toEqual(['FORBIDDEN']);
    expect(errors(await run('mutation { mint }', viaKey))).toEqual([{ path: ['mint'], code: 'FORBIDDEN' }]);
    expect(await run('mutation { mint }', u1)).toEqual({ data: { mint: 'minted' } });
    expect(await run('mutation { mint }', { ...u1, via: 'external' })).toEqual({ data: { mint: 'minted' } });
  });

  it('checks the credential’s scopes; a caller with no scope list holds every scope; anonymous is UNAUTHENTICATED', async () => {
    expect(await run('{ scoped }', keyOf(u1, ['docs:read']))).toEqual({ data: { scoped: 'scoped' } });
    expect(await run('{ scoped }', keyOf(u1, ['docs:all']))).toEqual({ data: { scoped: 'scoped' } });
    expect(errors(await run('{ scoped }', keyOf(u1, ['docs:write'])))).toEqual([{ path: ['scoped'], code: 'FORBIDDEN' }]);
    expect(await run('{ scoped }', u1)).toEqual({ data: { scoped: 'scoped' } });
    expect(errors(await run('{ scoped }', null))).toEqual([{ path: ['scoped'], code: 'UNAUTHENTICATED' }]);
  });

  it('checks the scopes of a plain-property field (default resolver) too: null and FORBIDDEN for a key without them', async () => {
    expect(await run('{ ledger { id balance } }', keyOf(u1, ['ledger:read']))).toEqual({ data: { ledger: { id: 'l1', balance: 42 } } });
    const without = await run('{ ledger { id balance } }', keyOf(u1, ['docs:read']));
    expect(without.data).toEqual({ ledger: { id: 'l1', balance: null } });
    expect(errors(without)).toEqual([{ path: ['ledger', 'balance'], code: 'FORBIDDEN' }]);
    expect(await run('{ ledger { balance } }', u1)).toEqual({ data: { ledger: { balance: 42 } } });
  });

  it('applies @credentials of a type and of its field both: a key the field allows but the type does not is refused', async () => {
    expect(await run('{ report { title } }', u1)).toEqual({ data: { report: { title: 'quarterly' } } });
    const viaKey = await run('{ report { title } }', keyOf(u1));
    expect(viaKey.data).toEqual({ report: { title: null } });
    expect(errors(viaKey)).toEqual([{ path: ['report', 'title'], code: 'FORBIDDEN' }]);
    expect(errors(await run('{ report { title } }', { ...u1, via: 'external' }))).toEqual([
      { path: ['report', 'title'], code: 'FORBIDDEN' },
    ]);
  });

  it('refuses a schema whose root @owner names a type without a loader', () => {
    const source = makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, typeDefs] });
    expect(() => applyAuthDirectives(source)).toThrow('Mutation.dropDoc: @owner(loads: "Doc") needs a loader for Doc');
  });
});

describe('@owner misplaced or pointed at the wrong argument', () => {
  // Each of these once built and let every caller through: the ownership check ran only on a string
  // id it never found (or checked the parent instead of the object named).
  const build = (mutation: string, extraTypes = '') =>
    applyAuthDirectives(
      makeExecutableSchema({
        typeDefs: [
          authDirectiveTypeDefs,
          `enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Doc { id: ID! ownerId: ID! } input DocRef { id: ID! } ${extraTypes}
           type Query { x: Int @public } type Mutation { ${mutation} }`,
        ],
      }),
      { loaders: { Doc: async (ids) => ids.map((id) => docs.get(id) ?? null) } },
    );

  it.each([
    ['a misspelt argument', 'drop(docId: ID!): Boolean @auth @owner(loads: "Doc", field: "ownerId")', 'argument "id"'],
    ['an Int argument', 'drop(id: Int!): Boolean @auth @owner(loads: "Doc", field: "ownerId")', 'argument "id"'],
    ['an input object', 'drop(ref: DocRef!): Boolean @auth @owner(loads: "Doc", field: "ownerId", idArgument: "ref")', 'argument "ref"'],
    ['a list of ids', 'drop(id: [ID!]!): Boolean @auth @owner(loads: "Doc", field: "ownerId")', 'argument "id"'],
  ])('refuses %s as the id', (_what, mutation, named) => {
    expect(() => build(mutation)).toThrow(
      `Mutation.drop: @owner(loads: "Doc") reads the id from ${named}, which must be an argument of type ID or String`,
    );
  });

  it('refuses loads on an object field', () => {
    expect(() =>
      build(
        'x: Int @public',
        'type Folder { id: ID! ownerId: ID! doc(id: ID!): Doc @owner(loads: "Doc", field: "ownerId") }  extend type Query { folder: Folder @public }',
      ),
    ).toThrow('Folder.doc: @owner(loads: "Doc") is for root fields');
  });

  it('takes a nullable ID or a String, named by idArgument', () => {
    expect(() => build('drop(docId: ID): Boolean @auth @owner(loads: "Doc", field: "ownerId", idArgument: "docId")')).not.toThrow();
    expect(() => build('drop(id: String!): Boolean @auth @owner(loads: "Doc", field: "ownerId")')).not.toThrow();
  });
});
