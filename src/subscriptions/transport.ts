/**
 * GraphQL over WebSocket (graphql-transport-ws, the `graphql-ws` package) on the HTTP server's
 * GraphQL path, through @fastify/websocket: a GET with `Upgrade: websocket` goes here (a route
 * constraint), any other GET or POST to the HTTP route as before. docs/subscriptions.md.
 *
 * - Handshake: the `Origin` must be absent, this server's own or in CORS_ORIGINS (else 403 before
 *   the upgrade); `connection_init` within SUBSCRIPTION_INIT_TIMEOUT_MS (else 4408); its payload's
 *   credential is authenticated as HTTP's headers are (bad: 4401, no detail; none: anonymous);
 *   the socket caps of socket-guard.ts (else 1008: SUBSCRIPTION_MAX_SOCKETS and
 *   PENDING_SOCKETS_PER_ADDRESS at once, the per-user and per-network caps after `connection_init`);
 *   the database not answering closes with 1013 (try again later).
 *   protocol.ts, socket-guard.ts.
 * - Subscribe: subscriptions only (queries and mutations stay on HTTP, with their CSRF and
 *   operation-gate rules), with HTTP's checks and the viewer's (subscribe.ts).
 * - While it runs: connection.ts keeps the viewer current; every event executes against it
 *   (live-context.ts), so nested fields it may no longer read are null with their error.
 * - A client that does not read: more than SUBSCRIPTION_SEND_BUFFER_MAX_BYTES held unsent for its
 *   socket closes it with 1013 (socket-channel.ts); a subscription too far behind its events
 *   ends with EVENTS_MISSED (streams.ts).
 * - Errors leave as HTTP's do (client-errors.ts).
 * - Shutdown: every socket gets a close frame (1001) in Fastify's preClose, before the HTTP server
 *   waits for its connections (an open socket would hold it). The event bus is started and
 *   stopped by the server (src/http/server.ts).
 *
 * This module is the route: Fastify's wiring, the credential re-check timer and shutdown.
 */
import websocket, { type WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { specifiedRules } from 'graphql';
import { handleProtocols } from 'graphql-ws';
import type { App } from '../app';
import { limitKeyOf } from '../client-address';
import { limitRules } from '../graphql/limits';
import { GRAPHQL_PATH, type RouteModule } from '../http/route';
import { originAllowed } from './handshake';
import { CLOSE_GOING_AWAY, CLOSE_TOO_MANY_SOCKETS } from './close-codes';
import type { Connection } from './connection';
import { createProtocolServer, type SocketExtra, type SocketRequest, socketAddress } from './protocol';
import { RootChecks } from './root-checks';
import { CLOSE_GRACE_MS, openChannel } from './socket-channel';
import { SocketGuard } from './socket-guard';

export interface SubscriptionsOptions {
  /** The enforced schema (the one HTTP serves). */
  readonly schema: GraphQLSchema;
  /** The GraphQL path shared with HTTP. */
  readonly path: string;
}

export interface Subscriptions {
  /** Sockets open now (tests, the memory check). */
  socketCount(): number;
}

/** The route module src/http/server.ts lists: subscriptions on the GraphQL path. Listed first, so @fastify/websocket sees every route. */
export const subscriptionsRoute: RouteModule = async (fastify, { app, schema }) => {
  await registerSubscriptions(fastify, app, { schema, path: GRAPHQL_PATH });
};

/** The sockets of one server: admitted, authenticated, served and re-checked, whatever HTTP server carries them. */
export interface SocketHost extends Subscriptions {
  /** Serves `socket`, opened by `request`'s upgrade (refused with 1008 past the socket caps). */
  accept(socket: WebSocket, request: SocketRequest): void;
  /** True once close() was called: upgrades are refused with 503. */
  closing(): boolean;
  /** Refuses new sockets, stops the re-check timer, closes every socket with 1001. */
  close(): Promise<void>;
}

/** The socket host for `schema`: the guard, graphql-ws's server, the re-check timer, the open sockets. */
export function createSocketHost(app: App, schema: GraphQLSchema): SocketHost {
  const { config } = app;
  const limits = config.subscriptions;
  const guard = new SocketGuard<Connection>(limits);
  app.telemetry.metrics.observe({
    subscriptionSockets: () => guard.counts().sockets,
    subscriptionsActive: () => guard.counts().subscriptions,
  });
  const sockets = new Set<WebSocket>();
  let closing = false;
  const server = createProtocolServer({
    app,
    rules: {
      schema,
      validationRules: [...specifiedRules, ...limitRules(config.operationLimits)],
      maxTokens: config.operationLimits.maxTokens,
    },
    checks: new RootChecks(app, schema),
    guard,
    errors: { schema, production: config.nodeEnv === 'production', explainDenials: config.explainDenials },
    closing: () => closing,
  });

  // Every signed-in socket, re-authenticated on a timer: a credential that ends between events
  // still ends the socket within SUBSCRIPTION_RECHECK_MS (plus one store read).
  const recheck = setInterval(() => {
    for (const connection of guard.connections()) void connection.refresh();
  }, limits.recheckMs);
  recheck.unref();

  return {
    socketCount: () => sockets.size,
    closing: () => closing,
    accept(socket, request) {
      sockets.add(socket);
      const address = socketAddress(app, request);
      const admitted = guard.admitSocket(limitKeyOf(address, config.ipv6LimitPrefix));
      if (typeof admitted === 'string') {
        request.log.info(
          { address },
          admitted === 'server'
            ? 'WebSocket refused: SUBSCRIPTION_MAX_SOCKETS open on this server'
            : 'WebSocket refused: too many sockets before connection_init from this address',
        );
        socket.once('close', () => sockets.delete(socket));
        socket.close(CLOSE_TOO_MANY_SOCKETS, 'Too many connections');
        return;
      }
      const extra: SocketExtra = { socket, request, handshakeDone: admitted.handshakeDone };
      openChannel(server, socket, extra, {
        maxBufferedBytes: limits.maxBufferedBytes,
        log: request.log,
        viewerId: () => extra.connection?.viewer?.id ?? null,
        onClose: () => {
          sockets.delete(socket);
          admitted.closed();
        },
      });
    },
    async close() {
      closing = true;
      clearInterval(recheck);
      await Promise.all([...sockets].map(closeGoingAway));
    },
  };
}

/**
 * Registers @fastify/websocket and the WebSocket route on `options.path`, and the hooks that end
 * them with the server. Call before the HTTP routes are declared.
 */
export async function registerSubscriptions(fastify: FastifyInstance, app: App, options: SubscriptionsOptions): Promise<Subscriptions> {
  const host = createSocketHost(app, options.schema);
  await registerWebSocketPlugin(fastify, app.config.subscriptions.maxMessageBytes);
  fastify.route({
    method: 'GET',
    url: options.path,
    constraints: { websocketUpgrade: 'yes' },
    preValidation: (request, reply, done) => {
      if (refusedUpgrade(app, request, reply, host.closing())) return;
      done();
    },
    handler: (_request, reply) => {
      void reply
        .code(426)
        .send({ errors: [{ message: 'Upgrade to a WebSocket (graphql-transport-ws).', extensions: { code: 'BAD_REQUEST' } }] });
    },
    wsHandler: (socket, request) => host.accept(socket, request),
  });

  // Fastify runs preClose before it closes the server: a socket left open would hold that close.
  fastify.addHook('preClose', () => host.close());

  return { socketCount: host.socketCount };
}

/** @fastify/websocket, and the route constraint that sends a GET with `Upgrade: websocket` to the WebSocket route. */
async function registerWebSocketPlugin(fastify: FastifyInstance, maxPayload: number): Promise<void> {
  await fastify.register(websocket, {
    options: { maxPayload, handleProtocols: (protocols) => handleProtocols(protocols) },
    // Shutdown closes the sockets itself (closeGoingAway), with the code it chooses.
    preClose: (done) => done(),
  });
  fastify.addConstraintStrategy({
    name: 'websocketUpgrade',
    storage() {
      const handlers = new Map<string, unknown>();
      return {
        get: (value: string) => (handlers.get(value) ?? null) as never,
        set: (value: string, handler: unknown) => handlers.set(value, handler),
      };
    },
    deriveConstraint: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const upgrade = request.headers['upgrade'];
      return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket' ? 'yes' : (undefined as never);
    },
    mustMatchWhenDerived: false,
  });
}

/** Answers an upgrade refused before it happens (shutting down: 503; an origin not allowed: 403); false when it may go on. */
function refusedUpgrade(app: App, request: FastifyRequest, reply: FastifyReply, closing: boolean): boolean {
  if (closing) {
    void reply.code(503).send({ errors: [{ message: 'The server is shutting down.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    return true;
  }
  const origin = request.headers.origin;
  if (originAllowed(origin, request.headers.host, app.config.corsOrigins)) return false;
  request.log.info({ origin }, 'WebSocket refused: origin not allowed');
  void reply.code(403).send({ errors: [{ message: 'This origin may not open a WebSocket here.', extensions: { code: 'FORBIDDEN' } }] });
  return true;
}

/** Sends the close frame of shutdown (1001) and resolves once the socket closed, or after CLOSE_GRACE_MS with it dropped. */
export function closeGoingAway(socket: WebSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) return resolve();
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, CLOSE_GRACE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(CLOSE_GOING_AWAY, 'Server shutting down');
  });
}
