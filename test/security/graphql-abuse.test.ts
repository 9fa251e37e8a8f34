/*
 * Abusive GraphQL documents through the real HTTP server: depth, aliases, directives, tokens and
 * cost are refused with HTTP 400 and a clear error (never 500), both at their defaults and with the
 * environment overriding them; batches are refused; production hides the schema; and a protected
 * field stays protected whichever path reaches it.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { ApolloServer } from '@apollo/server';
import pino from 'pino';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { defaultRoleCatalog } from '../../src/auth/roles';
import type { Viewer } from '../../src/auth/viewer';
import { createApolloServer, createContext } from '../../src/graphql/apollo';
import type { GraphQLContext } from '../../src/graphql/context';
import { ensureAdmin } from '../../src/services/accounts';
import { type GqlResponse, type HttpHarness, randomSecret, startHttpServer, get, post } from '../helpers/http';
import { codes, LOGIN, PASSWORD, type SignedUp, signUp, uniqueEmail } from '../helpers/accounts';
import { countRows } from './support';

/** A limit's refusal: HTTP 400, JSON, no data, and an error whose message names the limit. */
function expectLimitRefusal(response: GqlResponse, names: RegExp): void {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body).not.toHaveProperty('data');
  const messages = (response.body.errors ?? []).map((error) => error.message);
  expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(names)]));
  expect(codes(response)).not.toContain('INTERNAL_SERVER_ERROR');
}

function expectServed(response: GqlResponse): void {
  expect(response.status).toBe(200);
  expect(response.body).toHaveProperty('data');
  expect(codes(response).filter((code) => code !== 'UNAUTHENTICATED' && code !== 'FORBIDDEN')).toEqual([]);
}

const aliases = (n: number, field = 'publicMessage') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
/** n directives without a single alias: the same field repeated, each with its own @include. */
const directives = (n: number) => `{ ${'publicMessage @include(if: true) '.repeat(n)}}`;
/**
 * A document of exactly n lexical tokens (n a multiple of 5): n / 5 operations `query Qi { publicMessage }`,
 * run as `Q0`. Separate operations, not one repeated field: graphql-js's own overlap check gives up
 * ("Validation aborted.") on a thousand copies of one field, which would hide the token limit.
 */
const tokens = (n: number) => Array.from({ length: n / 5 }, (_, i) => `query Q${i} { publicMessage }`).join('\n');
/** The same, as a single selection set that the token limit has to cut off while parsing. */
const flatTokens = (n: number) => `{ ${'publicMessage '.repeat(n - 2)}}`;
/** A selection n fields deep (the names below the 2nd level do not exist: depth is counted before that matters). */
const nested = (n: number) => `{ notes ${Array.from({ length: n - 1 }, (_, i) => `{ f${i} `).join('')}${'}'.repeat(n - 1)} }`;

describe('GraphQL limits at their defaults', () => {
  let h: HttpHarness;
  /** An ADMIN's headers: `users` is absent to anyone else, so its cost is theirs to test. */
  let asAdmin: Record<string, string>;
  beforeAll(async () => {
    h = await startHttpServer();
    const adminEmail = uniqueEmail('admin');
    await ensureAdmin(h.app, adminEmail, PASSWORD);
    const loggedIn = await h.gql(LOGIN, { variables: { email: adminEmail, password: PASSWORD } });
    asAdmin = { authorization: `Bearer ${loggedIn.body.data?.['login']?.accessToken}` };
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the defaults are depth 8, aliases 15, directives 5, tokens 2000, cost 5000', () => {
    expect(h.app.config.operationLimits).toEqual({ maxDepth: 8, maxAliases: 15, maxDirectives: 5, maxTokens: 2000, maxCost: 5000 });
  });

  it('depth: 9 levels → 400 naming the depth limit; 8 levels draws no depth error', async () => {
    expectLimitRefusal(await h.gql(nested(9)), /nested 9 levels deep; the limit is 8/);
    const eight = await h.gql(nested(8));
    expect(eight.status).toBe(400); // the made-up fields are still unknown…
    expect(eight.text).not.toMatch(/levels deep/); // …but the depth is fine
    // the deepest real path in the schema (6) runs
    expectServed(await h.gql('{ notes { edges { node { author { apiKeys { id } } } } } }'));
  });

  it('aliases: 16 → 400; 15 → served', async () => {
    expectLimitRefusal(await h.gql(aliases(16)), /16 aliases; the limit is 15/);
    expectServed(await h.gql(aliases(15)));
  });

  it('aliases of __typename are counted too', async () => {
    expectLimitRefusal(await h.gql(aliases(16, '__typename')), /aliases/);
    expectLimitRefusal(await h.gql(aliases(200, '__typename')), /aliases/);
    expectServed(await h.gql(aliases(15, '__typename')));
  });

  it('directives: 6 @include → 400; 5 → served', async () => {
    expectLimitRefusal(await h.gql(directives(6)), /6 directives; the limit is 5/);
    expectLimitRefusal(await h.gql(directives(200)), /directives/);
    expectServed(await h.gql(directives(5)));
  });

  it('directives in fragments and on fragment spreads are counted', async () => {
    const query = `{ ...F @include(if: true) ... @skip(if: false) { publicMessage @include(if: true) } } fragment F on Query { publicMessage @include(if: true) publicMessage @skip(if: false) publicMessage @include(if: true) }`;
    expectLimitRefusal(await h.gql(query), /6 directives/);
  });

  it('tokens: a document of 5000 tokens → 400 (not 500); 2005 → 400; 1900 and 2000 → served', async () => {
    for (const document of [flatTokens(5000), tokens(5000), tokens(2100), tokens(2005)]) {
      const response = await h.gql(document, { operationName: 'Q0' });
      expectLimitRefusal(response, /token/i);
      expect(response.text).toMatch(/2000/);
    }
    expectServed(await h.gql(tokens(1900), { operationName: 'Q0' }));
    expectServed(await h.gql(tokens(2000), { operationName: 'Q0' }));
  });

  it('tokens: 5000 tokens that also never close → 400, not 500', async () => {
    expectLimitRefusal(await h.gql(`{ ${'publicMessage '.repeat(5000)}`), /token/i);
    expectLimitRefusal(await h.gql(`${tokens(5000)} query Broken {`), /token/i);
  });

  it('cost: list sizes count — users(first: 10) nested runs, the same with first: 100 is over 5000 → 400', async () => {
    const shape = (first: number | string) =>
      `{ users(first: ${first}) { edges { node { apiKeys { id name prefix createdAt expiresAt } } } } }`;
    expectServed(await h.gql(shape(10), { headers: asAdmin })); // 531
    expectLimitRefusal(await h.gql(shape(100), { headers: asAdmin }), /cost/i); // 5301
  });

  it('cost: a variable page size cannot sneak past the estimate', async () => {
    const query = 'query ($n: Int) { users(first: $n) { edges { node { apiKeys { id name prefix createdAt expiresAt } } } } }';
    expectLimitRefusal(await h.gql(query, { variables: { n: 100 }, headers: asAdmin }), /cost/i);
  });

  it('cost: many cheap-looking top-level lists add up', async () => {
    const one = (i: number) => `n${i}: notes(first: 100) { edges { node { id title author { id name } } } }`;
    // 8 × (1 + 100 × (1 + 1 + 2 + 1 + 2)) = 5608 > 5000, with fewer aliases than the alias limit
    expectLimitRefusal(await h.gql(`{ ${Array.from({ length: 8 }, (_, i) => one(i)).join(' ')} }`), /cost/i);
    expectServed(await h.gql(`{ ${Array.from({ length: 2 }, (_, i) => one(i)).join(' ')} }`));
  });

  it('a small query is served', async () => {
    expectServed(await h.gql('{ publicMessage notes(first: 5) { totalCount edges { node { id title } } } }'));
  });

  it('a fragment bomb (each fragment spreads the next twice; ~250 tokens) is refused or answered quickly, never hangs the server', async () => {
    const n = 23;
    const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const started = performance.now();
    const response = await h.gql(`{ ...F0 }\n${fragments}\nfragment F${n} on Query { publicMessage }`);
    const ms = performance.now() - started;
    expect(response.status).not.toBe(500);
    expect([200, 400]).toContain(response.status);
    expect(ms).toBeLessThan(1000);
  });

  it('the same fragment bomb in a mutation (where the operation gate plans every field) is answered quickly', async () => {
    const n = 20;
    const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Mutation { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const started = performance.now();
    const response = await h.gql(`mutation { ...F0 }\n${fragments}\nfragment F${n} on Mutation { __typename }`);
    const ms = performance.now() - started;
    expect(response.status).not.toBe(500);
    expect([200, 400]).toContain(response.status);
    expect(ms).toBeLessThan(1000);
  });

  it('a batched HTTP request (JSON array) is refused, and runs nothing', async () => {
    const email = uniqueEmail('batch');
    const signUpOp = { query: `mutation { signUp(email: "${email}", password: "${PASSWORD}") { accessToken } }` };
    for (const batch of [[signUpOp], [signUpOp, { query: '{ publicMessage }' }]]) {
      const response = await post(h, JSON.stringify(batch), { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(Array.isArray(response.body)).toBe(false);
      expect(response.body).not.toHaveProperty('data');
      expect(response.body.errors?.[0]?.message).toEqual(expect.any(String));
    }
    const rows = await h.store.db.selectFrom('users').select('id').where('email_normalized', '=', email).execute();
    expect(rows).toHaveLength(0);
  });
});

describe('GraphQL limits follow the environment', () => {
  const servers: HttpHarness[] = [];
  async function serverWith(env: Record<string, string>): Promise<HttpHarness> {
    const h = await startHttpServer({ env });
    servers.push(h);
    return h;
  }
  afterAll(async () => {
    await Promise.all(servers.map((h) => h.close()));
  });

  it('MAX_QUERY_DEPTH=3: 4 real levels → 400, 3 → served', async () => {
    const h = await serverWith({ MAX_QUERY_DEPTH: '3' });
    expectLimitRefusal(await h.gql('{ notes { edges { node { id } } } }'), /nested 4 levels deep; the limit is 3/);
    expectServed(await h.gql('{ notes { totalCount pageInfo { hasNextPage } } }'));
  });

  it('MAX_ALIASES=2: 3 → 400, 2 → served', async () => {
    const h = await serverWith({ MAX_ALIASES: '2' });
    expectLimitRefusal(await h.gql(aliases(3)), /3 aliases; the limit is 2/);
    expectLimitRefusal(await h.gql(aliases(3, '__typename')), /aliases/);
    expectServed(await h.gql(aliases(2)));
  });

  it('MAX_DIRECTIVES=1: 2 → 400, 1 → served', async () => {
    const h = await serverWith({ MAX_DIRECTIVES: '1' });
    expectLimitRefusal(await h.gql(directives(2)), /2 directives; the limit is 1/);
    expectServed(await h.gql(directives(1)));
  });

  it('MAX_QUERY_TOKENS=100: 150 → 400, 90 → served', async () => {
    const h = await serverWith({ MAX_QUERY_TOKENS: '100' });
    expectLimitRefusal(await h.gql(tokens(150), { operationName: 'Q0' }), /token/i);
    expectLimitRefusal(await h.gql(flatTokens(150)), /token/i);
    expectServed(await h.gql(tokens(90), { operationName: 'Q0' }));
  });

  it('a literal nested deeper than the parser recurses, within MAX_QUERY_TOKENS: 400 GRAPHQL_PARSE_FAILED in our words, not Node’s', async () => {
    // 40,001 tokens, under the limit: 20,000 levels are deeper than the parser's recursion reaches.
    const h = await serverWith({ MAX_QUERY_TOKENS: '100000' });
    const levels = 20_000;
    const deep = await h.gql(`{ publicMessage(x: ${'['.repeat(levels)}1${']'.repeat(levels)}) }`);
    expect(deep.status).toBe(400);
    expect(deep.body.errors?.map((e) => [e.message, e.extensions?.['code']])).toEqual([
      ['The document could not be parsed.', 'GRAPHQL_PARSE_FAILED'],
    ]);
    expect(JSON.stringify(deep.body)).not.toMatch(/stack|RangeError/i);
    // A syntax error keeps graphql's own message.
    const syntax = await h.gql('{ publicMessage(');
    expect(syntax.body.errors?.[0]?.message).toMatch(/^Syntax Error: /);
  });

  it('MAX_QUERY_COST=50: notes(first: 20) (cost 81) → 400, a cheap query → served', async () => {
    const h = await serverWith({ MAX_QUERY_COST: '50' });
    expectLimitRefusal(await h.gql('{ notes(first: 20) { edges { node { id title } } } }'), /cost/i);
    expectServed(await h.gql('{ publicMessage notes(first: 5) { edges { node { id } } } }'));
  });
});

describe('production hides the schema', () => {
  let prod: HttpHarness;
  let dev: HttpHarness;
  let asProd: Record<string, string>;
  let asDev: Record<string, string>;
  beforeAll(async () => {
    prod = await startHttpServer({ env: { NODE_ENV: 'production', JWT_SECRET: randomSecret(), LOG_LEVEL: 'silent' } });
    dev = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    // createNote is absent to anonymous callers (src/enforcement/hidden-validation.ts): sign one in on each.
    asProd = { authorization: `Bearer ${(await signUp(prod)).accessToken}` };
    asDev = { authorization: `Bearer ${(await signUp(dev)).accessToken}` };
  });
  afterAll(async () => {
    await prod?.close();
    await dev?.close();
  });

  it.each([
    ['__schema', '{ __schema { types { name fields { name } } } }'],
    ['__type', '{ __type(name: "User") { name fields { name } } }'],
    ['aliased __schema', '{ s: __schema { queryType { name } } }'],
    ['__type in a fragment', 'query { ...F } fragment F on Query { __type(name: "ApiKey") { fields { name } } }'],
    ['__schema in an inline fragment', '{ ... on Query { __schema { mutationType { fields { name } } } } }'],
  ])('introspection (%s) is refused in production with 400 and reveals no type', async (_label, query) => {
    const response = await prod.gql(query);
    expect(response.status).toBe(400);
    expect(response.body).not.toHaveProperty('data');
    expect(response.text).not.toMatch(/"(User|ApiKey|apiKeys|Mutation|createApiKey)"/);
    // the same query works in development, so it is production that refuses it
    const inDev = await dev.gql(query, { headers: asDev });
    expect(inDev.status).toBe(200);
  });

  it('__typename is not introspection and still works in production', async () => {
    const response = await prod.gql('{ __typename publicMessage }');
    expect(response.status).toBe(200);
    expect(response.body.data?.['__typename']).toBe('Query');
  });

  it('no landing page in production (GET /graphql from a browser)', async () => {
    const attempts: Record<string, string>[] = [
      { accept: 'text/html' },
      { accept: 'text/html', 'apollo-require-preflight': 'true' },
      { accept: '*/*' },
    ];
    for (const headers of attempts) {
      const response = await get(prod, '/graphql', headers);
      expect(response.status).not.toBe(200);
      expect(response.status).toBeLessThan(500);
      expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      expect(response.text).not.toMatch(/<html|<script|sandbox|embeddable/i);
    }
    // development does serve one (control)
    expect((await get(dev, '/graphql', { accept: 'text/html' })).headers.get('content-type')).toMatch(/text\/html/);
  });

  it.each([
    ['a field', '{ publicMesage }', 'publicMessage'],
    ['an argument', '{ notes(frist: 1) { totalCount } }', 'first'],
    ['an enum value', 'mutation { createNote(title: "t", body: "b", visibility: PUBLC) { id } }', 'PUBLIC'],
    ['a type in a fragment', 'query { ...F } fragment F on Usr { id }', 'User'],
    ['a nested field', '{ notes { edges { node { titel } } } }', 'title'],
  ])('no "Did you mean" for a typo in %s in production (development does suggest)', async (_label, query, hint) => {
    const inDev = await dev.gql(query, { headers: asDev });
    expect(inDev.status).toBe(400);
    expect(inDev.text).toContain('Did you mean');
    expect(inDev.text).toContain(hint);

    const inProd = await prod.gql(query, { headers: asProd });
    expect(inProd.status).toBe(400);
    expect(inProd.body.errors?.length).toBeGreaterThanOrEqual(1);
    expect(inProd.text).not.toContain('Did you mean');
    expect(inProd.text).not.toContain(`"${hint}"`);
    expect(inProd.text).not.toMatch(/stacktrace|\n\s+at /);
  });
});

describe('a protected field stays protected whatever the path', () => {
  let h: HttpHarness;
  let user: SignedUp;
  let adminToken: string;
  let noteId: string;

  const as = (token: string | null): Record<string, string> => (token === null ? {} : { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    h = await startHttpServer();
    user = await signUp(h);
    const created = await h.gql('mutation { createNote(title: "public one", body: "b", visibility: PUBLIC) { id } }', {
      headers: as(user.accessToken),
    });
    expect(created.body.errors).toBeUndefined();
    noteId = created.body.data?.['createNote']?.id;
    const adminEmail = uniqueEmail('admin');
    await ensureAdmin(h.app, adminEmail, PASSWORD);
    const loggedIn = await h.gql(LOGIN, { variables: { email: adminEmail, password: PASSWORD } });
    adminToken = loggedIn.body.data?.['login']?.accessToken;
    expect(adminToken).toEqual(expect.any(String));
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The errors of `response` as path → code. */
  function denials(response: GqlResponse): Array<[string, string]> {
    return (response.body.errors ?? []).map((error) => [JSON.stringify(error.path), String(error.extensions?.['code'])]);
  }

  const cases: Array<[string, string, (string | number)[], (data: Record<string, any>) => unknown]> = [
    ['an alias', '{ publicMessage x: users { totalCount } }', ['x'], (d) => d['x']],
    ['a named fragment', 'query { publicMessage ...F } fragment F on Query { users { totalCount } }', ['users'], (d) => d['users']],
    ['an inline fragment', '{ publicMessage ... on Query { users { totalCount } } }', ['users'], (d) => d['users']],
    ['__typename alongside', '{ __typename users { __typename totalCount } }', ['users'], (d) => d['users']],
    [
      'an aliased named fragment inside an inline fragment',
      '{ ... on Query { ...F } } fragment F on Query { y: users(first: 1) { edges { node { id } } } }',
      ['y'],
      (d) => d['y'],
    ],
    ['@include(if: true)', '{ publicMessage users @include(if: true) { totalCount } }', ['users'], (d) => d['users']],
  ];

  it.each(cases)('via %s: FORBIDDEN for a USER, UNAUTHENTICATED for anonymous, at the right path', async (_label, query, path, pick) => {
    for (const [token, code] of [
      [user.accessToken, 'FORBIDDEN'],
      [null, 'UNAUTHENTICATED'],
    ] as const) {
      const response = await h.gql(query, { headers: as(token) });
      expect(response.status).toBe(200);
      expect(pick(response.body.data ?? {})).toBeNull();
      expect(denials(response)).toEqual([[JSON.stringify(path), code]]);
    }
    // an ADMIN gets it (control)
    const admin = await h.gql(query, { headers: as(adminToken) });
    expect(admin.body.errors).toBeUndefined();
    expect(pick(admin.body.data ?? {})).not.toBeNull();
  });

  it('nested under a public field: notes → author → apiKeys is FORBIDDEN for a USER at its full path', async () => {
    const query = '{ notes(first: 100) { edges { node { id author { id apiKeys { id } } } } } }';
    const response = await h.gql(query, { headers: as(user.accessToken) });
    expect(response.status).toBe(200);
    const edges: Array<{ node: { id: string; author: { id: string; apiKeys: unknown } } }> = response.body.data?.['notes']?.edges ?? [];
    const index = edges.findIndex((edge) => edge.node.id === noteId);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(edges[index]?.node.author).toEqual({ id: user.id, apiKeys: null });
    expect(denials(response)).toContainEqual([JSON.stringify(['notes', 'edges', index, 'node', 'author', 'apiKeys']), 'FORBIDDEN']);
    expect(denials(response).every(([, code]) => code === 'FORBIDDEN')).toBe(true);

    const viaFragment = await h.gql('{ notes(first: 100) { edges { node { author { ...K } } } } } fragment K on User { apiKeys { id } }', {
      headers: as(user.accessToken),
    });
    expect(denials(viaFragment)).toContainEqual([JSON.stringify(['notes', 'edges', index, 'node', 'author', 'apiKeys']), 'FORBIDDEN']);

    const anonymous = await h.gql(query);
    expect(denials(anonymous)).toContainEqual([JSON.stringify(['notes', 'edges', index, 'node', 'author', 'apiKeys']), 'UNAUTHENTICATED']);

    const admin = await h.gql(query, { headers: as(adminToken) });
    expect(admin.body.errors).toBeUndefined();
    expect(admin.body.data?.['notes']?.edges[index]?.node.author.apiKeys).toEqual([]);
  });

  it("another user's email through a public path is FORBIDDEN (resolver rule)", async () => {
    const other = await signUp(h);
    const response = await h.gql(`{ note(id: "${noteId}") { author { id email } } }`, { headers: as(other.accessToken) });
    expect(response.body.data?.['note']?.author).toEqual({ id: user.id, email: null });
    expect(denials(response)).toEqual([[JSON.stringify(['note', 'author', 'email']), 'FORBIDDEN']]);
    expect(response.text).not.toContain(user.email);
  });

  it('a mutation selecting a protected field at depth is refused before it runs: no data, nothing created', async () => {
    const before = await countRows(h, 'notes');
    const queries = [
      'mutation { createNote(title: "sneaky", body: "b", visibility: PUBLIC) { id author { apiKeys { id } } } }',
      'mutation { n: createNote(title: "sneaky", body: "b") { ...N } } fragment N on Note { author { k: apiKeys { id } } }',
      'mutation { createNote(title: "sneaky", body: "b") { ... on Note { author { ... on User { apiKeys { id } } } } } }',
    ];
    for (const query of queries) {
      const response = await h.gql(query, { headers: as(user.accessToken) });
      expect(response.body.data ?? null).toBeNull();
      expect(codes(response)).toEqual(['FORBIDDEN']);
      expect(response.body.errors?.[0]?.path?.slice(-1)).toEqual([query.includes('k: apiKeys') ? 'k' : 'apiKeys']);
    }
    expect(await countRows(h, 'notes')).toBe(before);
  });

  it('@skip with a variable: refused when the protected field is selected, runs when it is skipped', async () => {
    const query =
      'mutation ($hide: Boolean!) { createNote(title: "conditional", body: "b") { id author { apiKeys @skip(if: $hide) { id } } } }';
    const before = await countRows(h, 'notes');
    const shown = await h.gql(query, { variables: { hide: false }, headers: as(user.accessToken) });
    expect(shown.body.data ?? null).toBeNull();
    expect(codes(shown)).toEqual(['FORBIDDEN']);
    expect(await countRows(h, 'notes')).toBe(before);

    const hidden = await h.gql(query, { variables: { hide: true }, headers: as(user.accessToken) });
    expect(hidden.body.errors).toBeUndefined();
    expect(hidden.body.data?.['createNote']?.id).toEqual(expect.any(String));
    expect(await countRows(h, 'notes')).toBe(before + 1);
  });
});

/*
 * Interfaces and unions: gatehouse's own schema has none, so this builds a small schema with both,
 * wraps it with applyAuthDirectives (src/enforcement/apply-directives.ts), and serves it with gatehouse's own
 * createApolloServer(app, { log, schema }) (src/graphql/apollo.ts: same limits, operation gate and
 * error policy as over HTTP), executed with Apollo's executeOperation and a context made by
 * createContext — not over HTTP.
 */
describe('interfaces and unions (createApolloServer + executeOperation)', () => {
  let h: HttpHarness;
  let server: ApolloServer<GraphQLContext>;

  const typeDefs = [
    authDirectiveTypeDefs,
    /* GraphQL */ `
      enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
      interface Item { id: ID  secret: String @auth }
      type Vault implements Item @hasRole(role: ADMIN) { id: ID  secret: String  combination: String }
      type Doc implements Item { id: ID  secret: String  title: String }
      union SearchResult = Vault | Doc
      type Query {
        item(id: ID!): Item @public
        items: [Item]! @public
        search: [SearchResult]! @public
      }
    `,
  ];
  const records = [
    { kind: 'Vault', id: 'v1', secret: 'vault-secret', combination: '12-34-56' },
    { kind: 'Doc', id: 'd1', secret: 'doc-secret', title: 'Hello' },
  ];
  const resolveType = (value: { kind: string }) => value.kind;

  beforeAll(async () => {
    h = await startHttpServer();
    const schema = applyAuthDirectives(
      makeExecutableSchema({
        typeDefs,
        resolvers: {
          Item: { __resolveType: resolveType },
          SearchResult: { __resolveType: resolveType },
          Query: {
            item: (_: unknown, args: { id: string }) => records.find((r) => r.id === args.id) ?? null,
            items: () => records,
            search: () => records,
          },
        },
      }),
    );
    server = createApolloServer(h.app, { log: pino({ level: 'silent' }), schema });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await h?.close();
  });

  async function run(query: string, viewer: Viewer | null) {
    const context = createContext(h.app, { viewer, user: null, clientAddress: '127.0.0.1', requestId: 'interfaces-test' });
    const response = await server.executeOperation({ query }, { contextValue: context });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    const { data, errors } = response.body.singleResult;
    return {
      data: data as Record<string, any> | null | undefined,
      denials: (errors ?? []).map((e) => [JSON.stringify(e.path), String(e.extensions?.['code'])]),
    };
  }
  const USER: Viewer = { id: 'u1', roles: defaultRoleCatalog().expand('USER'), via: 'jwt' };
  const ADMIN: Viewer = { id: 'a1', roles: defaultRoleCatalog().expand('ADMIN'), via: 'jwt' };

  const LIST = '{ items { id secret ... on Doc { title } ... on Vault { combination } } }';

  it('through an interface: type-level @hasRole on an implementation and @auth on the interface field both hold', async () => {
    const anonymous = await run(LIST, null);
    expect(anonymous.data?.['items']).toEqual([
      { id: null, secret: null, combination: null },
      { id: 'd1', secret: null, title: 'Hello' },
    ]);
    expect(anonymous.denials).toEqual(
      expect.arrayContaining([
        ['["items",0,"id"]', 'UNAUTHENTICATED'],
        ['["items",0,"secret"]', 'UNAUTHENTICATED'],
        ['["items",0,"combination"]', 'UNAUTHENTICATED'],
        ['["items",1,"secret"]', 'UNAUTHENTICATED'],
      ]),
    );
    expect(anonymous.denials).toHaveLength(4);

    const user = await run(LIST, USER);
    expect(user.data?.['items']).toEqual([
      { id: null, secret: null, combination: null },
      { id: 'd1', secret: 'doc-secret', title: 'Hello' },
    ]);
    expect(user.denials.sort()).toEqual(
      [
        ['["items",0,"combination"]', 'FORBIDDEN'],
        ['["items",0,"id"]', 'FORBIDDEN'],
        ['["items",0,"secret"]', 'FORBIDDEN'],
      ].sort(),
    );

    const admin = await run(LIST, ADMIN);
    expect(admin.denials).toEqual([]);
    expect(admin.data?.['items']?.[0]).toEqual({ id: 'v1', secret: 'vault-secret', combination: '12-34-56' });
  });

  it('through a union, with inline and named fragments', async () => {
    const query = '{ search { ... on Vault { combination } ...D } } fragment D on Doc { title secret }';
    const user = await run(query, USER);
    expect(user.data?.['search']).toEqual([{ combination: null }, { title: 'Hello', secret: 'doc-secret' }]);
    expect(user.denials).toEqual([['["search",0,"combination"]', 'FORBIDDEN']]);

    const anonymous = await run(query, null);
    expect(anonymous.data?.['search']).toEqual([{ combination: null }, { title: 'Hello', secret: null }]);
    expect(anonymous.denials.sort()).toEqual(
      [
        ['["search",0,"combination"]', 'UNAUTHENTICATED'],
        ['["search",1,"secret"]', 'UNAUTHENTICATED'],
      ].sort(),
    );
  });

  it('an interface field read on a single item through an alias and a fragment on the interface', async () => {
    const user = await run('{ v: item(id: "v1") { ...I } } fragment I on Item { s: secret }', USER);
    expect(user.data?.['v']).toEqual({ s: null });
    expect(user.denials).toEqual([['["v","s"]', 'FORBIDDEN']]);
  });
});
