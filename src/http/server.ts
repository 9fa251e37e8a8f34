// The HTTP server: Fastify with gatehouse's options, Apollo, and the pieces each in its own module
// (hooks.ts: what every request goes through; errors.ts: answers outside GraphQL; route modules;
// lifecycle.ts: listen and shutdown). Tests and the benchmark reach inside through App
// (src/app.ts), never through options here.
import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { App } from '../app';
import type { Config } from '../config';
import { createApolloServer } from '../graphql/apollo';
import type { GraphQLContext } from '../graphql/context';
import { buildSchema } from '../graphql/schema';
import { adminConsoleRoute } from './admin-console';
import { registerErrorHandlers } from './errors';
import { graphqlRoute } from './graphql-route';
import { healthRoutes } from './health';
import { metricsRoute } from './metrics';
import { registerHooks } from './hooks';
import { createLifecycle } from './lifecycle';
import type { RequestViewers, RouteModule } from './route';
import { signInRoute } from './signin-page';
import { wellKnownRoutes } from './well-known';
import { subscriptionsRoute } from '../subscriptions/transport';

export { GRAPHQL_PATH, SIGN_IN_PATH } from './route';

/** The route modules served, in order. Adding a route (a WebSocket endpoint, say) is one line here. */
const ROUTES: readonly RouteModule[] = [
  subscriptionsRoute,
  signInRoute,
  adminConsoleRoute,
  healthRoutes,
  wellKnownRoutes,
  metricsRoute,
  graphqlRoute,
];

export interface HttpServer {
  readonly fastify: FastifyInstance;
  readonly apollo: ApolloServer<GraphQLContext>;
  /** Starts listening on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, finishes those in flight, closes the store. */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** The enforced schema to serve (buildSchema); default: gatehouse's account schema alone. */
  readonly schema?: GraphQLSchema;
}

function createFastify(config: Config): FastifyInstance {
  return Fastify({
    logger: {
      level: config.logLevel,
      serializers: {
        // Method, path and address only. Never headers (Authorization, X-API-Key), and never the
        // query string: it can carry a GraphQL document with its variables (a password, a token).
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          path: request.url.split('?')[0],
          remoteAddress: request.ip,
        }),
      },
    },
    // At most one line per request, written when it is answered (src/http/hooks.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // Node checks requestTimeout (here: for the headers) only every connectionsCheckingInterval,
    // 30 s by default; the body has its own deadline (src/http/hooks.ts).
    requestTimeout: config.requestTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(config.requestTimeoutMs / 4))) },
    // One proxy in front: the client address is the last X-Forwarded-For entry that proxy added,
    // not the first, which any client can write.
    trustProxy: config.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });
}

/** Starts the event bus (src/events/), reporting to `log`: the server's, or gatehouse/apollo's. */
export async function startEventBus(app: App, log: Pick<FastifyInstance['log'], 'info' | 'warn' | 'error'>): Promise<void> {
  await app.events.start({
    log(event, detail) {
      if (event === 'lost')
        log.warn({ err: detail }, 'event listener lost: events are delivered late, read from the event log once it reconnects');
      else if (event === 'listening') log.info('event listener connected: events from every instance reach this one');
      else if (event === 'unreadable') log.warn({ err: detail }, 'event log not readable: events are delivered late, once it is');
      else if (event === 'listener') log.error({ ...(detail as object) }, 'event listener threw: that subscriber missed the event');
      else
        log.warn(
          { ...(detail as object) },
          'event log gap: this instance was out of touch for longer than SUBSCRIPTION_EVENT_RETENTION_SECONDS; events may have been missed',
        );
    },
  });
}

/** Fastify + Apollo with gatehouse's security defaults. Does not listen until `listen()`. */
export async function createHttpServer(app: App, options: HttpServerOptions = {}): Promise<HttpServer> {
  const { config } = app;
  const fastify = createFastify(config);
  const schema = options.schema ?? buildSchema({}, { strict: config.authStrict, policyTimeoutMs: config.policyTimeoutMs });
  const apollo = createApolloServer(app, { log: fastify.log as never, plugins: [fastifyApolloDrainPlugin(fastify)], schema });
  await apollo.start();
  const lifecycle = createLifecycle(fastify, apollo, app.store, config);

  const viewers: RequestViewers = new WeakMap();
  await registerHooks(fastify, { config, viewers, closing: lifecycle.closing });
  registerErrorHandlers(fastify, config);
  for (const route of ROUTES) await route(fastify, { app, apollo, schema, viewers });
  await startEventBus(app, fastify.log);
  // Closed with the server.
  fastify.addHook('onClose', async () => {
    await app.events.close();
  });

  return { fastify, apollo, listen: lifecycle.listen, close: lifecycle.close };
}
