// gatehouse inside Apollo Server's own standalone HTTP server: the notes example's schema, served by
// an ApolloServer you construct. Run it: `npx tsx examples/apollo/standalone.ts` (GraphQL at
// http://127.0.0.1:4000/). docs/apollo.md explains each line.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { type GatehouseContext, gatehouseForApollo } from 'gatehouse/apollo';
import { loaders, migrations, resolvers, typeDefs } from '../notes';

export interface Started {
  /** Where GraphQL is served. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Opens gatehouse (database migrated, ADMIN_EMAIL applied) and serves it on `port` (0: any free port). */
export async function startStandalone(options: { env?: Record<string, string | undefined>; port?: number } = {}): Promise<Started> {
  const g = await gatehouseForApollo({ typeDefs, resolvers, loaders, migrations, ...(options.env ? { env: options.env } : {}) });
  const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins });
  const { url } = await startStandaloneServer(server, {
    context: g.context,
    listen: { port: options.port ?? 4000, host: '127.0.0.1' },
  });
  return {
    url,
    async stop() {
      await server.stop();
      await g.close();
    },
  };
}

if (require.main === module) {
  startStandalone().then(({ url }) => console.log(`GraphQL at ${url}`));
}
