// Opens gatehouse for a team's Apollo Server (gatehouse/apollo, src/apollo.ts): the App behind
// gatehouseForApollo, which gatehouse's own tests and benchmark also reach. See src/apollo.ts.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { App } from './app';
import type { ApolloContextArgument, GatehouseForApollo } from './apollo-types';
import { clientAddress } from './client-address';
import type { GatehouseContext } from './context';
import type { GatehouseOptions } from './gatehouse-options';
import { openApp } from './open-app';
import { errorPolicy, formatGatehouseError, gatehousePlugins, gatehouseValidationRules, subscriptionRuleThrows } from './graphql/apollo';
import type { GraphQLContext } from './graphql/context';
import { servedSchemaProblem } from './enforcement/served-schema';
import { apolloWiring } from './graphql/plugins/apollo-wiring';
import { embeddedServerPlugin } from './graphql/plugins/embedded-server';
import { requestContext } from './graphql/request-context';
import { startEventBus } from './http/server';
import { type AttachedSubscriptions, attachSubscriptions } from './subscriptions/node-server';

/** The client's address behind one trusted proxy: the last X-Forwarded-For entry, which that proxy added. */
function forwardedFor(headers: IncomingMessage['headers']): string | undefined {
  const header = headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return undefined;
  return value.slice(value.lastIndexOf(',') + 1).trim();
}

/**
 * The Node request an integration handed the context function. Integrations that hand something
 * else (Fastify's `request`, a serverless event) failed with a TypeError about `headers` or
 * `remoteAddress`; this one says what to pass.
 */
function nodeRequestOf(argument: unknown): ApolloContextArgument['req'] {
  const req = (argument as Partial<ApolloContextArgument> | null | undefined)?.req;
  if (typeof req?.headers !== 'object' || req.headers === null || typeof req.socket !== 'object' || req.socket === null)
    throw new TypeError(
      'gatehouse/apollo: g.context takes { req }, the Node request (req.headers, req.socket) of your integration; ' +
        'with @as-integrations/fastify, pass context: (request) => g.context({ req: request.raw }).',
    );
  return req;
}

/** gatehouseForApollo with the App behind it, for gatehouse's own tests and benchmark. */
export async function openForApollo<Tables = any>(options: GatehouseOptions): Promise<{ forApollo: GatehouseForApollo<Tables>; app: App }> {
  const opened = await openApp(options, async (app, schema) => {
    const log = pino({ level: app.config.logLevel });
    const policy = errorPolicy(app, log);
    const validationRules = gatehouseValidationRules(app);
    const plugins: ApolloServerPlugin<GraphQLContext>[] = [
      embeddedServerPlugin({
        schema,
        validationRules,
        maxTokens: app.config.operationLimits.maxTokens,
        formatError: (formatted, error) => formatGatehouseError(policy, formatted, error),
        subscriptionRuleThrows,
      }),
      ...gatehousePlugins(app, policy, validationRules),
      ...(app.apolloPlugins ?? []),
    ];
    await startEventBus(app, log);
    return { log, attached: { log, plugins } };
  });
  const { app, store, schema, config } = opened;
  const { log } = opened.attached;
  // Refuses every request of a server missing g.plugins or g.context, rather than serving without them.
  const wiring = apolloWiring(
    opened.attached.plugins,
    (context) => (context as { app?: unknown } | null)?.app === app,
    (message) => log.error(message),
    (served) => (served === schema ? null : servedSchemaProblem(served, config.authStrict, schema)),
  );
  let closed: Promise<void> | undefined;
  const attached: AttachedSubscriptions[] = [];
  const forApollo: GatehouseForApollo<Tables> = {
    schema,
    plugins: wiring.plugins as ApolloServerPlugin<GatehouseContext>[],
    async context(argument) {
      wiring.assertStarted();
      const req = nodeRequestOf(argument);
      const requestId = randomUUID();
      const context = await requestContext(app, {
        headers: req.headers,
        requestId,
        clientAddress: clientAddress(config.trustProxy ? forwardedFor(req.headers) : undefined, req.socket.remoteAddress),
        // Every line the request writes carries its id as `reqId`, as Fastify's request logger
        // does in gatehouse's own server: the id its errors carry (src/graphql/request-ids.ts).
        log: log.child({ reqId: requestId }),
      }).catch((error: unknown) => {
        // Apollo adds a stack to an error the context function throws, outside production; ours
        // are refusals (401, 503) and masked failures, complete without one.
        if (error instanceof Error) Object.defineProperty(error, 'stack', { value: undefined });
        throw error;
      });
      return context;
    },
    db: store.db as unknown as Kysely<Tables>,
    attachSubscriptions(httpServer, { path }) {
      attached.push(attachSubscriptions(app, schema, httpServer, { path, log: log as never }));
    },
    close() {
      closed ??= (async () => {
        await Promise.all(attached.map((subscriptions) => subscriptions.close()));
        await app.events.close();
        await app.accessTokens.close();
        await store.close();
      })();
      return closed;
    },
  };
  return { forApollo, app };
}
