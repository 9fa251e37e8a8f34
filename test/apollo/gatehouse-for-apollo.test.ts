// gatehouse inside an Apollo Server the test constructs (gatehouse/apollo), served by Apollo's
// startStandaloneServer and asked through real HTTP: the server is given only `schema` and
// `plugins` (and the context function), as the contract's snippet does, and must behave as
// gatehouse's own server does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { type Kysely, sql } from 'kysely';
import { type GatehouseContext, gatehouseForApollo } from '../../src/apollo';
import { createUser } from '../../src/services/accounts';
import { NO_STACK_OR_HTML, readResponse } from '../helpers/http';
import { type ApolloHarness, startApolloHarness, testEnv } from '../helpers/apollo';

const origin = { actorId: null, address: 'apollo-test', source: 'request' } as const;

async function signIn(h: ApolloHarness, role: 'USER' | 'ADMIN', email: string): Promise<Record<string, string>> {
  await createUser(h.app, { email, password: 'apollo password', role }, origin);
  const login = await h.gql('mutation ($e: String!) { login(email: $e, password: "apollo password") { accessToken } }', {
    variables: { e: email },
  });
  return { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
}

describe('gatehouseForApollo in a standalone Apollo Server (the notes example)', () => {
  let h: ApolloHarness;
  let user: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    h = await startApolloHarness();
    user = await signIn(h, 'USER', 'user@apollo.test');
    admin = await signIn(h, 'ADMIN', 'admin@apollo.test');
  });
  afterAll(() => h.close());

  it('answers `me` for a JWT and UNAUTHENTICATED at the field for an anonymous caller', async () => {
    const signedIn = await h.gql('{ me { email } }', { headers: user });
    expect(signedIn.body).toEqual({ data: { me: { email: 'user@apollo.test' } } });
    const anonymous = await h.gql('{ publicMessage me { id } }');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.data).toEqual({ publicMessage: expect.any(String), me: null });
    expect(anonymous.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['me'], 'UNAUTHENTICATED']]);
  });

  it('names the request in every error of a 200 answer: denials, bad input, a failed login (an id per answer, none shared)', async () => {
    const answers = [
      await h.gql('{ publicMessage me { id } users { totalCount } }'),
      await h.gql('{ users { totalCount } }', { headers: user }),
      await h.gql('mutation { signUp(email: "not an email", password: "apollo password") { accessToken } }'),
      await h.gql('mutation { login(email: "user@apollo.test", password: "not the password") { accessToken } }'),
    ];
    expect(answers.map((answer) => [answer.status, answer.body.errors?.map((e) => e.extensions?.['code'])])).toEqual([
      [200, ['UNAUTHENTICATED', 'UNAUTHENTICATED']],
      [200, ['FORBIDDEN']],
      [200, ['BAD_USER_INPUT']],
      [200, ['UNAUTHENTICATED']],
    ]);
    const ids = answers.map((answer) => new Set(answer.body.errors?.map((e) => e.extensions?.['requestId'])));
    for (const id of ids)
      expect([...id]).toEqual([expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)]);
    expect(new Set(ids.flatMap((id) => [...id])).size).toBe(answers.length);
  });

  it('refuses an invalid token with HTTP 401, WWW-Authenticate and one UNAUTHENTICATED error, never as anonymous', async () => {
    const refused: Record<string, string>[] = [
      { authorization: 'Bearer not.a.token' },
      { 'x-api-key': 'gh_nope' },
      { ...user, 'x-api-key': 'gh_two' },
    ];
    for (const headers of refused) {
      const response = await h.gql('{ publicMessage }', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^(Bearer|ApiKey) /);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
      expect(response.body.errors?.[0]?.extensions?.['requestId']).toEqual(expect.any(String));
      expect(response.text).not.toMatch(NO_STACK_OR_HTML);
    }
  });

  it('refuses a mutation that selects a denied field before anything runs: no data, nothing written', async () => {
    const count = async () => (await h.gql('{ notes { totalCount } }', { headers: user })).body.data?.['notes']?.totalCount;
    const before = await count();
    const refused = await h.gql('mutation { createNote(title: "t", body: "b") { id author { apiKeys { id } } } }', { headers: user });
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['createNote', 'author', 'apiKeys'], 'FORBIDDEN']]);
    expect(await count()).toBe(before);
    // The same mutation without the denied field runs.
    const allowed = await h.gql('mutation { createNote(title: "t", body: "b") { id } }', { headers: user });
    expect(allowed.body.errors).toBeUndefined();
    expect(await count()).toBe(before + 1);
  });

  it('shows each caller only the fields it can reach in introspection, and names no hidden field in suggestions', async () => {
    const fields = async (headers: Record<string, string>) =>
      ((await h.gql('{ __type(name: "Query") { fields { name } } }', { headers })).body.data?.['__type']?.fields ?? []).map(
        (f: { name: string }) => f.name,
      );
    const anonymous = await fields({});
    expect(anonymous).toContain('publicMessage');
    expect(anonymous).not.toContain('users');
    expect(anonymous).not.toContain('me');
    expect(await fields(admin)).toEqual(expect.arrayContaining(['users', 'me']));
    const suggestion = await h.gql('{ user }');
    expect(suggestion.status).toBe(400);
    expect(suggestion.text).not.toMatch(/users/);
  });

  it('refuses a document over the depth or cost limit with 400, also when Apollo has the document cached', async () => {
    const limited = await startApolloHarness({ env: { MAX_QUERY_DEPTH: '2', MAX_QUERY_COST: '50' } });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await limited.gql('{ notes(first: 1) { edges { node { title } } } }');
        expect(response.status).toBe(400);
        expect(response.body.errors?.map((e) => [e.message, e.extensions?.['code']])).toEqual([
          ['The operation is nested 4 levels deep; the limit is 2.', 'GRAPHQL_VALIDATION_FAILED'],
        ]);
      }
      // Beside graphql's own validation errors, as in gatehouse's server.
      const both = await limited.gql('{ notes { edges { node { title nope } } } }');
      expect(both.status).toBe(400);
      expect(both.body.errors?.map((e) => e.message)).toEqual(
        expect.arrayContaining(['The operation is nested 4 levels deep; the limit is 2.', expect.stringMatching(/nope/)]),
      );
      expect((await limited.gql('{ notes { totalCount } }')).status).toBe(200);
      const costly = await limited.gql('{ a: notes(first: 60) { totalCount } b: notes { totalCount } }');
      expect(costly.status).toBe(400);
      expect(costly.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(costly.body.errors?.[0]?.message).toMatch(/cost/);
    } finally {
      await limited.close();
    }
  });

  it('refuses a document over the token limit with 400, before parsing it', async () => {
    const tokens = await h.gql(`{ ${'publicMessage '.repeat(2100)} }`);
    expect(tokens.status).toBe(400);
    expect(tokens.body.errors?.map((e) => [e.message, e.extensions?.['code']])).toEqual([
      ['Syntax Error: Document contains more than 2000 tokens. Parsing aborted.', 'GRAPHQL_PARSE_FAILED'],
    ]);
  });

  it('refuses a subscription over HTTP with 400', async () => {
    const response = await h.gql('subscription { noteAdded { id } }');
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('BAD_REQUEST');
  });
});

describe('gatehouseForApollo with a schema of its own', () => {
  const typeDefs = `
    extend type Query {
      boom: String @public
      widgets: [String!]! @auth
    }`;

  it('masks an unexpected resolver error: INTERNAL_SERVER_ERROR with the request id, no message, no stack', async () => {
    const h = await startApolloHarness({
      typeDefs,
      resolvers: {
        Query: {
          boom: () => {
            throw new Error('secret detail in /srv/app.js:12');
          },
          widgets: () => [],
        },
      },
    });
    try {
      const response = await h.gql('{ boom publicMessage }');
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ boom: null, publicMessage: expect.any(String) });
      expect(response.body.errors).toEqual([
        { message: expect.any(String), path: ['boom'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } },
      ]);
      expect(response.text).not.toMatch(/secret detail/);
      expect(response.text).not.toMatch(NO_STACK_OR_HTML);
    } finally {
      await h.close();
    }
  });

  it("sends no stack even where the team turned Apollo's stack traces on", async () => {
    const g = await gatehouseForApollo({
      typeDefs,
      resolvers: {
        Query: {
          boom: () => {
            throw new Error('x');
          },
          widgets: () => [],
        },
      },
      env: testEnv(),
    });
    const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins, includeStacktraceInErrorResponses: true });
    const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
    try {
      const ask = async (query: string, headers: Record<string, string> = {}) =>
        readResponse(
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ query }),
          }),
        );
      for (const response of [await ask('{ boom widgets }'), await ask('{ boom }', { authorization: 'Bearer bad' })]) {
        expect(response.text).not.toMatch(/stacktrace/);
        expect(response.text).not.toMatch(NO_STACK_OR_HTML);
      }
    } finally {
      await server.stop();
      await g.close();
    }
  });

  it('serves a federation subgraph with { subgraph: true }: _service to the router, _entities under the entity rules', async () => {
    const g = await gatehouseForApollo({ subgraph: true, env: testEnv() });
    const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins });
    const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
    const ask = async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
      readResponse(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query, variables }),
        }),
      );
    try {
      const sdl = await ask('{ _service { sdl } }');
      expect(String(sdl.body.data?.['_service']?.sdl)).toMatch(/type User\s+@key\(fields: "id"\)/);
      const signUp = await ask('mutation { signUp(email: "e@apollo.test", password: "apollo password") { user { id } } }');
      const id = signUp.body.data?.['signUp']?.user?.id as string;
      const entities = await ask('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }', {
        r: [{ __typename: 'User', id }],
      });
      expect(entities.body.data?.['_entities']).toEqual([{ id, email: null }]);
      expect(entities.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
      // As every error of every answer, a subgraph's entity denial names its request.
      expect(entities.body.errors?.map((e) => e.extensions?.['requestId'])).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    } finally {
      await server.stop();
      await g.close();
    }
  });

  it('rejects a schema with an open root field in strict mode, naming it', async () => {
    await expect(gatehouseForApollo({ typeDefs: 'extend type Query { open: String }', env: testEnv() })).rejects.toThrow(/Query\.open/);
  });

  it("runs the application's migrations after gatehouse's, exposes `db`, and `close()` releases the database", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-apollo-'));
    const migrations = {
      '001_widgets': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('widgets')
            .addColumn('name', 'text', (c) => c.notNull())
            .execute();
        },
      },
    };
    const resolvers = {
      Query: {
        boom: () => null,
        widgets: async (_: unknown, __: unknown, context: GatehouseContext) =>
          (
            await context.db
              .selectFrom('widgets' as never)
              .select('name' as never)
              .execute()
          ).map((row: any) => row.name),
      },
    };
    try {
      const env = testEnv({ DATABASE_URL: `file:${join(dir, 'g.db')}` });
      const g = await gatehouseForApollo<{ widgets: { name: string } }>({ typeDefs, resolvers, migrations, env });
      await g.db.insertInto('widgets').values({ name: 'sprocket' }).execute();
      const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins });
      const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
      const signUp = await readResponse(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'mutation { signUp(email: "w@apollo.test", password: "apollo password") { accessToken } }' }),
        }),
      );
      const token = signUp.body.data?.['signUp']?.accessToken as string;
      const widgets = await readResponse(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ widgets }' }),
        }),
      );
      expect(widgets.body).toEqual({ data: { widgets: ['sprocket'] } });
      await server.stop();
      await g.close();
      await expect(sql`select 1`.execute(g.db)).rejects.toThrow();
      // Opened again on the same file: gatehouse's and the application's migrations are recorded, the row is there.
      const again = await gatehouseForApollo<{ widgets: { name: string } }>({ typeDefs, resolvers, migrations, env });
      expect(await again.db.selectFrom('widgets').select('name').execute()).toEqual([{ name: 'sprocket' }]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
