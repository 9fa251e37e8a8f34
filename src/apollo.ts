// gatehouse/apollo: gatehouse inside an Apollo Server the team constructs and serves (standalone,
// Express, Fastify, …). The same parts as gatehouse's own server, not a copy of them: the schema
// and App are opened by openApp (src/gatehouse.ts), each request's context by requestContext
// (src/graphql/request-context.ts, as gatehouse's GraphQL route), and the plugins are gatehouse's
// (src/graphql/apollo.ts) plus one that carries what its own server sets through Apollo's
// constructor options (src/graphql/plugins/embedded-server.ts): a server given only `schema` and
// `plugins` behaves as gatehouse's does.
import type { GatehouseForApollo } from './apollo-types';
import type { GatehouseOptions } from './gatehouse-options';
import { openForApollo } from './apollo-open';

export type { ApolloContextArgument, GatehouseForApollo } from './apollo-types';
export type { GatehouseOptions } from './gatehouse-options';
export type { GatehouseContext } from './context';

/**
 * gatehouse for an Apollo Server you construct: opens and migrates the database (gatehouse's tables,
 * then `migrations`), applies ADMIN_EMAIL, and gives what to pass to Apollo.
 *
 *     const g = await gatehouseForApollo({ typeDefs, resolvers });
 *     const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins });
 *     await startStandaloneServer(server, { context: g.context });
 *
 * Rejects like createGatehouse: `ConfigError` for bad configuration, `AuthCoverageError` (strict
 * mode) naming a root field that does not say who may call it.
 */
export async function gatehouseForApollo<Tables = any>(options: GatehouseOptions = {}): Promise<GatehouseForApollo<Tables>> {
  return (await openForApollo<Tables>(options)).forApollo;
}
