// A team's ApolloServer that leaves out gatehouse's plugins, or its context function, must not serve
// with the directives alone (introspection showing hidden fields, a mutation's side effects run
// before its denied field is refused): gatehouse/apollo refuses every request with a message naming
// the fix. Through real HTTP (startStandaloneServer), as a team would serve it.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { mergeSchemas } from '@graphql-tools/schema';
import { type GatehouseContext, type GatehouseForApollo, gatehouseForApollo } from '../../src/apollo';
import { unenforcedFields } from '../../src/enforcement/served-schema';
import { openForApollo } from '../../src/apollo-open';
import type { App } from '../../src/app';
import * as notes from '../../examples/notes';
import { testEnv } from '../helpers/apollo';
import { NO_STACK_OR_HTML, readResponse } from '../helpers/http';
import { rowCount } from '../helpers/store';

describe('gatehouseForApollo in a server not wired as documented', () => {
  // One gatehouse per test: once its plugins started in some server, a second server without them
  // is not told apart (the documented limit of the check).
  let g: GatehouseForApollo;
  let app: App;
  const servers: ApolloServer<GatehouseContext>[] = [];
  /** What Apollo's logger was told at error level: where a team sees why its requests fail. */
  const logged: string[] = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (message: unknown) => void logged.push(String(message)) };

  beforeEach(async () => {
    ({ forApollo: g, app } = await openForApollo({ ...notes, env: testEnv() }));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    await g.close();
  });

  async function serve(options: { plugins?: boolean; context?: 'gatehouse' | 'spread' | 'own' }): Promise<string> {
    const server = new ApolloServer<GatehouseContext>({
      schema: g.schema,
      logger,
      ...(options.plugins === false ? {} : { plugins: g.plugins }),
    });
    servers.push(server);
    const context =
      options.context === 'own'
        ? async () => ({ viewer: null }) as unknown as GatehouseContext
        : options.context === 'spread'
          ? async (argument: Parameters<typeof g.context>[0]) => ({ ...(await g.context(argument)), team: 'extra' })
          : g.context;
    const { url } = await startStandaloneServer(server, { context, listen: { port: 0, host: '127.0.0.1' } });
    return url;
  }
  const ask = async (url: string, query: string) =>
    readResponse(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }));
  const users = () => rowCount(app.store.db, 'users');

  it('refuses every request of a server started without g.plugins: no hidden field shown, no mutation run', async () => {
    const url = await serve({ plugins: false });
    const before = await users();
    const introspection = await ask(url, '{ __type(name: "User") { fields { name } } }');
    expect(introspection.status).toBe(500);
    expect(introspection.body.data).toBeUndefined();
    expect(introspection.text).not.toContain('apiKeys');
    expect(introspection.body.errors?.[0]?.message).toMatch(/started without gatehouse's plugins.*plugins: \[\.\.\.g\.plugins/);
    const mutation = await ask(
      url,
      'mutation { signUp(email: "nope@wiring.test", password: "wiring password") { user { apiKeys { id } } } }',
    );
    expect(mutation.status).toBe(500);
    expect(await users()).toBe(before);
    expect(mutation.text).not.toMatch(NO_STACK_OR_HTML);
  });

  it("refuses every request whose context is not g.context's, before any resolver runs", async () => {
    const url = await serve({ context: 'own' });
    const before = await users();
    const response = await ask(url, 'mutation { signUp(email: "own@wiring.test", password: "wiring password") { accessToken } }');
    expect(response.status).toBe(500);
    expect(response.body.data).toBeUndefined();
    expect(await users()).toBe(before);
    expect(logged.at(-1)).toMatch(/context was not made by g\.context.*\{ context: g\.context \}/);
  });

  it("serves a context that spreads g.context's result, and a server wired as documented", async () => {
    for (const url of [await serve({ context: 'spread' }), await serve({})]) {
      const response = await ask(url, '{ publicMessage me { id } }');
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ publicMessage: expect.any(String), me: null });
      expect(response.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('names what to pass when g.context is handed something other than a Node request', async () => {
    await serve({});
    for (const argument of [{}, { request: { headers: {} } }, { req: { headers: {} } }])
      await expect(g.context(argument as never)).rejects.toThrow(/g\.context takes \{ req \}.*request\.raw/);
  });

  it('refuses to start on a schema built from g.schema that serves a field open, or a rule nothing enforces', async () => {
    const extended = (typeDefs: string) =>
      new ApolloServer<GatehouseContext>({
        schema: mergeSchemas({ schemas: [g.schema], typeDefs, resolvers: { Query: { extra: () => 'extra' } } }),
        plugins: g.plugins,
        logger,
      });
    await expect(extended('extend type Query { extra: String }').start()).rejects.toThrow(/Query\.extra: root field\(s\) with no rule/);
    await expect(extended('extend type Query { extra: String @auth }').start()).rejects.toThrow(
      /Query\.extra declares gatehouse rules that the served schema does not enforce/,
    );
    // Built from g.schema with nothing unenforced: it starts, and gatehouse's rules hold in it.
    const server = extended('extend type Query { extra: String @public }');
    servers.push(server);
    const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
    const response = await ask(
      url,
      'mutation { signUp(email: "merged@wiring.test", password: "wiring password") { user { apiKeys { id } } } }',
    );
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
    expect((await ask(url, '{ extra }')).body.data).toEqual({ extra: 'extra' });
  });

  it("refuses to start on a schema built from g.schema with an argument rule nothing enforces, or a guarded field's resolver replaced", async () => {
    const merged = (schema: ReturnType<typeof mergeSchemas>) => new ApolloServer<GatehouseContext>({ schema, plugins: g.plugins, logger });
    const argumentRule = mergeSchemas({
      schemas: [g.schema],
      typeDefs: 'extend type Query { extra(all: Boolean @hasRole(role: ADMIN)): String @public }',
      resolvers: { Query: { extra: () => 'extra' } },
    });
    await expect(merged(argumentRule).start()).rejects.toThrow(
      /Query\.extra declares gatehouse rules that the served schema does not enforce/,
    );
    // Query.users is @hasRole(role: ADMIN): gatehouse's resolver checks it, the team's would not.
    const replaced = mergeSchemas({ schemas: [g.schema], resolvers: { Query: { users: () => ({ totalCount: 7 }) } } });
    await expect(merged(replaced).start()).rejects.toThrow(
      /Query\.users declares gatehouse rules .*given a resolver in place of gatehouse's/,
    );
    // A resolver of a field without a rule may be replaced.
    const server = merged(mergeSchemas({ schemas: [g.schema], resolvers: { Query: { publicMessage: () => 'ours' } } }));
    servers.push(server);
    const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
    expect((await ask(url, '{ publicMessage }')).body.data).toEqual({ publicMessage: 'ours' });
  });

  it("finds nothing unenforced in gatehouse's own schemas, the subgraph's included", async () => {
    expect(unenforcedFields(g.schema)).toEqual([]);
    const subgraph = await gatehouseForApollo({ ...notes, subgraph: true, env: testEnv() });
    try {
      expect(unenforcedFields(subgraph.schema)).toEqual([]);
    } finally {
      await subgraph.close();
    }
  });
});
