// gatehouse/apollo: gatehouse inside an Apollo Server the team constructs and serves (standalone,
// Express, Fastify, …). The same parts as gatehouse's own server, not a copy of them: the schema
// and App are opened by openApp (src/gatehouse.ts), each request's context by requestContext
// (src/graphql/request-context.ts, as gatehouse's GraphQL route), and the plugins are gatehouse's
// (src/graphql/apollo.ts) plus one that carries what its own server sets through Apollo's
// constructor options (src/graphql/plugins/embedded-server.ts): a server given only `schema` and
// `plugins` behaves as gatehouse's does.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { App } from './app';
import { clientAddress } from './client-address';
import type { GatehouseContext } from './context';
import { type GatehouseOptions, openApp } from './gatehouse';
import { errorPolicy, formatGatehouseError, gatehousePlugins, gatehouseValidationRules, subscriptionRuleThrows } from './graphql/apollo';
import type { GraphQLContext } from './graphql/context';
import { embeddedServerPlugin } from './graphql/plugins/embedded-server';
import { requestContext } from './graphql/request-context';
import { startEventBus } from './http/server';
import { type AttachedSubscriptions, attachSubscriptions } from './subscriptions/node-server';

export type { GatehouseOptions } from './gatehouse';
export type { GatehouseContext } from './context';

/** What every Node HTTP integration hands a context function: at least the incoming request. */
export interface ApolloContextArgument {
  readonly req: Pick<IncomingMessage, 'headers' | 'socket'>;
}

export interface GatehouseForApollo<Tables = any> {
  /** The schema to serve: gatehouse's account schema and yours, every directive enforced. */
  readonly schema: GraphQLSchema;
  /**
   * gatehouse's plugins: give them to your ApolloServer (beside your own). They carry the mutation
   * gate, per-caller introspection, the query limits (400), error masking with request ids and
   * the telemetry.
   */
  readonly plugins: ApolloServerPlugin<GatehouseContext>[];
  /**
   * The context function for your integration (`startStandaloneServer`, `expressMiddleware`, …):
   * authenticates the request's `Authorization` / `X-API-Key`; an invalid credential is refused
   * with HTTP 401 and `UNAUTHENTICATED`.
   */
  readonly context: (argument: ApolloContextArgument) => Promise<GatehouseContext>;
  /** The database, migrated: the same Kysely instance as `context.db`. Closed by `close()`. */
  readonly db: Kysely<Tables>;
  /**
   * Serves gatehouse's subscriptions (GraphQL over WebSocket, graphql-transport-ws) on `path` of
   * your HTTP server, with the same handshake, credential, caps and rules as gatehouse's own
   * server (docs/subscriptions.md). Call once per server; `close()` ends the sockets.
   */
  attachSubscriptions(httpServer: Server, options: { readonly path: string }): void;
  /** Closes every subscription socket (1001), the database and gatehouse's background work. Stop your ApolloServer first. */
  close(): Promise<void>;
}

/** The client's address behind one trusted proxy: the last X-Forwarded-For entry, which that proxy added. */
function forwardedFor(headers: IncomingMessage['headers']): string | undefined {
  const header = headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return undefined;
  return value.slice(value.lastIndexOf(',') + 1).trim();
}

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

/** @internal gatehouseForApollo with the App behind it, for gatehouse's own tests and benchmark. */
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
  const { log, plugins } = opened.attached;
  let closed: Promise<void> | undefined;
  const attached: AttachedSubscriptions[] = [];
  const forApollo: GatehouseForApollo<Tables> = {
    schema,
    plugins: plugins as unknown as ApolloServerPlugin<GatehouseContext>[],
    async context({ req }) {
      const context = await requestContext(app, {
        headers: req.headers,
        requestId: randomUUID(),
        clientAddress: clientAddress(config.trustProxy ? forwardedFor(req.headers) : undefined, req.socket.remoteAddress),
        log,
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
