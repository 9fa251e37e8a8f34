// gatehouse inside an Express 5 application's Apollo Server (@as-integrations/express5), with
// gatehouse's subscriptions on the same HTTP server. Run it: `npx tsx examples/apollo/express.ts`
// (GraphQL at http://127.0.0.1:4000/graphql, WebSocket on the same path). docs/apollo.md.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler } from 'express';
import { type GatehouseContext, gatehouseForApollo } from 'gatehouse/apollo';
import { loaders, migrations, resolvers, typeDefs } from '../notes';
import type { Started } from './standalone';

/** Express answers a malformed JSON body with an HTML page (a stack trace outside production) unless told otherwise. */
const jsonErrors: ErrorRequestHandler = (error, _request, response, _next) => {
  const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  response.status(status).json({
    errors: [
      {
        message: status === 500 ? 'Internal server error' : 'The request body is not valid JSON.',
        extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' },
      },
    ],
  });
};

/** Opens gatehouse and serves it at /graphql on `port` (0: any free port). */
export async function startExpress(options: { env?: Record<string, string | undefined>; port?: number } = {}): Promise<Started> {
  const g = await gatehouseForApollo({ typeDefs, resolvers, loaders, migrations, ...(options.env ? { env: options.env } : {}) });
  const app = express();
  const httpServer = createServer(app);
  const server = new ApolloServer<GatehouseContext>({
    schema: g.schema,
    plugins: [...g.plugins, ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await server.start();
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(server, { context: g.context }));
  app.use(jsonErrors);
  // graphql-ws on the same path: connection_init's payload carries the credential.
  g.attachSubscriptions(httpServer, { path: '/graphql' });
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 4000, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      await server.stop();
      await g.close();
    },
  };
}

if (require.main === module) {
  startExpress().then(({ url }) => console.log(`GraphQL at ${url}`));
}
