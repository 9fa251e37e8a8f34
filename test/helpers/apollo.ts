// An Apollo Server a team would construct, with gatehouse inside through gatehouse/apollo, served by
// Apollo's own startStandaloneServer on 127.0.0.1 and a random port: the harness the HTTP tests use
// for gatehouse's own server (test/helpers/http.ts), with the same `gql` and `app`.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { openForApollo } from '../../src/apollo-open';
import type { GatehouseContext, GatehouseForApollo, GatehouseOptions } from '../../src/apollo';
import type { App } from '../../src/app';
import * as notes from '../../examples/notes';
import { type GqlResponse, type GqlOptions, randomSecret, readResponse } from './http';

export interface ApolloHarness {
  readonly url: string;
  readonly app: App;
  readonly gatehouse: GatehouseForApollo;
  readonly server: ApolloServer<GatehouseContext>;
  gql(query: string, options?: GqlOptions): Promise<GqlResponse>;
  close(): Promise<void>;
}

/** The environment the HTTP harness uses: in-memory SQLite, a random secret, cheap password hashes. */
export function testEnv(env: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: 'file::memory:',
    JWT_SECRET: randomSecret(),
    PASSWORD_HASH_COST: '10',
    SIGNUPS_PER_ADDRESS: '100000',
    LOG_LEVEL: 'silent',
    ...env,
  };
}

/** gatehouseForApollo (the notes example unless `options` names another schema) in a standalone Apollo Server. */
export async function startApolloHarness(
  options: Omit<GatehouseOptions, 'env'> & { env?: Readonly<Record<string, string>> } = {},
): Promise<ApolloHarness> {
  const schemaOptions =
    options.typeDefs === undefined
      ? { typeDefs: notes.typeDefs, resolvers: notes.resolvers, migrations: notes.migrations, loaders: notes.loaders }
      : {};
  const { forApollo: gatehouse, app } = await openForApollo({ ...schemaOptions, ...options, env: testEnv(options.env) });
  const server = new ApolloServer<GatehouseContext>({ schema: gatehouse.schema, plugins: gatehouse.plugins });
  let url: string;
  try {
    ({ url } = await startStandaloneServer(server, { context: gatehouse.context, listen: { port: 0, host: '127.0.0.1' } }));
  } catch (error) {
    await gatehouse.close();
    throw error;
  }
  const base = url.replace(/\/$/, '');
  let closed: Promise<void> | undefined;
  return {
    url: base,
    app,
    gatehouse,
    server,
    async gql(query, { variables, headers = {}, operationName } = {}) {
      const response = await fetch(`${base}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) }),
      });
      return readResponse(response);
    },
    close() {
      closed ??= (async () => {
        await server.stop();
        await gatehouse.close();
      })();
      return closed;
    },
  };
}
