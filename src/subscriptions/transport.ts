/**
 * GraphQL over WebSocket (graphql-transport-ws, the `graphql-ws` package) on the HTTP server's
 * GraphQL path, through @fastify/websocket: a GET with `Upgrade: websocket` goes here (a route
 * constraint), any other GET or POST to the HTTP route as before. README, "Subscriptions".
 *
 * - Handshake: the `Origin` must be absent, this server's own or in CORS_ORIGINS (else 403 before
 *   the upgrade); `connection_init` within SUBSCRIPTION_INIT_TIMEOUT_MS (else 4408); its payload's
 *   credential is authenticated as HTTP's headers are (bad: 4401, no detail; none: anonymous);
 *   SUBSCRIPTION_SOCKETS_PER_USER sockets per user or anonymous address (else 1008); the database
 *   not answering closes with 1013 (try again later). Sockets not yet past `connection_init` count
 *   per client address (IPv6 per /64) against PENDING_SOCKETS_PER_ADDRESS (else 1008 at once).
 * - Subscribe: subscriptions only (queries and mutations stay on HTTP, with their CSRF and
 *   operation-gate rules); HTTP's operation limits (tokens while parsing, then depth, aliases,
 *   directives, cost); root fields the viewer may not read, or whose @owner(loads: …) object it may
 *   not use, answer UNAUTHENTICATED / FORBIDDEN and start nothing; SUBSCRIPTIONS_PER_SOCKET and SUBSCRIPTIONS_PER_USER (else LIMIT_EXCEEDED).
 * - While it runs: src/subscriptions/connection.ts keeps the viewer current; every event executes
 *   against it, so nested fields it may no longer read are null with their error.
 * - A client that does not read: more than SUBSCRIPTION_SEND_BUFFER_MAX_BYTES held unsent for its
 *   socket closes it with 1013 (below, `overBufferBound`); a subscription too far behind its events
 *   ends with EVENTS_MISSED (streams.ts).
 * - Errors leave as HTTP's do: ours with their code, anything unexpected as INTERNAL_SERVER_ERROR
 *   with an id that finds the detail in the log.
 * - Shutdown: every socket gets a close frame (1001) in Fastify's preClose, before the HTTP server
 *   waits for its connections (an open socket would hold it); the event bus stops in onClose.
 */
import { randomUUID } from 'node:crypto';
import websocket, { type WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type DocumentNode,
  type ExecutionArgs,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  parse,
  type SelectionSetNode,
  specifiedRules,
  validate,
} from 'graphql';
import { CloseCode, type Context, handleProtocols, makeServer, type SubscribePayload } from 'graphql-ws';
import type { App } from '../app';
import { authenticateCaller } from '../services/authentication';
import type { Viewer } from '../auth/viewer';
import { hasSuggestion, withoutHiddenSuggestions } from '../enforcement/hidden-suggestions';
import { validationErrorsSeenBy } from '../enforcement/hidden-validation';
import { createOperationGate } from '../enforcement/operation-gate';
import { readsIntrospection } from '../enforcement/visible-introspection';
import { OWNED_OBJECTS_SCOPE } from '../enforcement/ownership';
import { visibleSchemaFor } from '../enforcement/visible-schema';
import { databaseUnavailable, ErrorCode, internalError, limitExceeded } from '../graphql/errors';
import type { GraphQLContext } from '../graphql/context';
import { createContext } from '../graphql/apollo';
import { limitRules } from '../graphql/limits';
import { addressLimitKey, clientAddress } from '../client-address';
import { GRAPHQL_PATH, type RouteModule } from '../http/route';
import { isUnreachable } from '../store/failures';
import { Connection, type RunningSubscription } from './connection';
import { originAllowed, readConnectionCredential } from './handshake';
import { subscriberEvents } from './streams';

/** Close code for a socket over SUBSCRIPTION_SOCKETS_PER_USER (RFC 6455: policy violation). */
export const CLOSE_TOO_MANY_SOCKETS = 1008;
/**
 * Close code when the database does not answer during the handshake, and for a socket whose client
 * does not read what it is sent (SUBSCRIPTION_SEND_BUFFER_MAX_BYTES): RFC 6455's "try again later",
 * which clients treat as worth reconnecting. Not a 4xxx of graphql-ws: those (4400, 4401, 4409, …)
 * mean the client did something wrong and should not retry unchanged.
 */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** Close code for every socket when the server shuts down (RFC 6455: going away); clients reconnect elsewhere. */
export const CLOSE_GOING_AWAY = 1001;
/**
 * Sockets one client address may hold before their `connection_init` is answered (README,
 * "Subscriptions"). Fixed, not SUBSCRIPTION_SOCKETS_PER_USER: before `connection_init` there is no
 * user, and every user behind one proxy or NAT shares the address, so a per-user number would
 * refuse their simultaneous handshakes; a real client sends `connection_init` as soon as the socket
 * opens, so a handshake lasts milliseconds and 16 at once from one address is already a crowd.
 */
export const PENDING_SOCKETS_PER_ADDRESS = 16;
/** How often every open socket is pinged, and how long its pong may take before the socket is dropped (no close frame). */
const KEEP_ALIVE_MS = 12_000;
/** How long a client has to answer a close frame (shutdown, or a reader past the send-buffer bound) before its socket is dropped. */
const CLOSE_GRACE_MS = 1_000;

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

interface Extra {
  readonly socket: WebSocket;
  readonly request: FastifyRequest;
  /** The handshake has been answered (or the socket closed): it no longer counts as pending. */
  readonly handshakeDone: () => void;
  connection?: Connection;
}

/** Did-you-mean suggestions name fields; in production they are left out, as HTTP does. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Registers @fastify/websocket and the WebSocket route on `options.path`, and the hooks that end
 * them with the server. Call before the HTTP routes are declared.
 */
export async function registerSubscriptions(fastify: FastifyInstance, app: App, options: SubscriptionsOptions): Promise<Subscriptions> {
  const { config } = app;
  const limits = config.subscriptions;
  const production = config.nodeEnv === 'production';
  const { schema } = options;
  const gate = createOperationGate();
  const validationRules = [...specifiedRules, ...limitRules(config.operationLimits)];
  /** Open sockets (acknowledged) by limit key. */
  const byKey = new Map<string, Set<Connection>>();
  const sockets = new Set<WebSocket>();
  /** Sockets whose `connection_init` is not yet answered, by addressLimitKey of the client address. */
  const pendingByAddress = new Map<string, number>();
  let closing = false;

  const deniedRoots = (subscription: RunningSubscription, viewer: GraphQLContext['viewer']): GraphQLError[] =>
    gate
      .deniedFields(schema, subscription.document, subscription.operation, viewer, subscription.variables)
      .filter((error) => error.path?.length === 1);

  const subscriptionsOf = (key: string): number => {
    let count = 0;
    for (const connection of byKey.get(key) ?? []) count += connection.subscriptions.size;
    return count;
  };

  /**
   * Client-facing errors: ours keep their code; anything without one (a resolver's exception, a
   * null in a non-null field) is logged and masked, as Apollo and formatError do over HTTP.
   */
  const format = (errors: readonly GraphQLError[], request: FastifyRequest, viewer: Viewer | null): GraphQLFormattedError[] =>
    errors.map((error) => {
      if (error.extensions['code'] === undefined) {
        const cause = error.originalError ?? error;
        const down = isUnreachable(cause);
        request.log[down ? 'warn' : 'error']({ err: cause, path: error.path }, 'unexpected error in subscription');
        const masked = down ? databaseUnavailable(request.id) : internalError(request.id);
        return { message: masked.message, ...(error.path ? { path: error.path } : {}), extensions: masked.extensions };
      }
      const formatted = error.toJSON();
      if (production) return { ...formatted, message: formatted.message.replace(SUGGESTION, '') };
      // As over HTTP (src/enforcement/visible-introspection.ts): suggest only what this caller may see.
      return hasSuggestion(formatted.message)
        ? { ...formatted, message: withoutHiddenSuggestions(formatted.message, visibleSchemaFor(schema, viewer)) }
        : formatted;
    });

  const refuse = (message: string, code: string): GraphQLError[] => [new GraphQLError(message, { extensions: { code } })];

  /** `connection_init`: authenticate, count the socket against its user's (or address's) cap. */
  const connect = async (ctx: Context<Record<string, unknown>, Extra>): Promise<boolean> => {
    const { socket, request } = ctx.extra;
    if (closing) {
      socket.close(CLOSE_GOING_AWAY, 'Server shutting down');
      return false;
    }
    const credential = readConnectionCredential(ctx.connectionParams);
    let authentication: Awaited<ReturnType<typeof authenticateCaller>>;
    try {
      authentication = await authenticateCaller(app, credential);
    } catch (error) {
      // The store did not answer: the client may try again (RFC 6455 1013), as HTTP answers 503.
      request.log.warn({ err: error }, 'authentication failed on a WebSocket handshake');
      socket.close(CLOSE_TRY_AGAIN_LATER, 'Try again later');
      return false;
    }
    if (!authentication.ok) {
      socket.close(CloseCode.Unauthorized, 'Unauthorized');
      return false;
    }
    if (socket.readyState !== socket.OPEN) return false;
    const address = clientAddress(config.trustProxy ? request.ip : undefined, request.socket.remoteAddress);
    const key = authentication.viewer === null ? `address:${addressLimitKey(address)}` : `user:${authentication.viewer.id}`;
    const peers = byKey.get(key);
    if (peers !== undefined && peers.size >= limits.socketsPerUser) {
      socket.close(CLOSE_TOO_MANY_SOCKETS, 'Too many connections');
      return false;
    }
    const connection = new Connection(app, credential, authentication, key, address, {
      close: (code, reason) => socket.close(code, reason),
      // A root @owner field loads its object again: a role change (or the object's change) that
      // denies it ends the subscription as a denied root field does.
      deniedRoots: async (subscription, viewer) => {
        const denied = deniedRoots(subscription, viewer);
        if (denied.length > 0) return denied;
        const context = createContext(app, { viewer, user: null, clientAddress: address, requestId: randomUUID() });
        const owned = await gate.deniedOwnership(
          schema,
          subscription.document,
          subscription.operation,
          viewer,
          subscription.variables,
          context,
        );
        return owned.filter((error) => error.path?.length === 1);
      },
      warn: (details, message) => request.log.warn(details, message),
    });
    if (connection.closed) return false; // a token already past its exp
    ctx.extra.connection = connection;
    if (peers === undefined) byKey.set(key, new Set([connection]));
    else peers.add(connection);
    return true;
  };

  const server = makeServer<Record<string, unknown>, Extra>({
    connectionInitWaitTimeout: limits.initTimeoutMs,

    async onConnect(ctx) {
      try {
        return await connect(ctx);
      } finally {
        ctx.extra.handshakeDone();
      }
    },

    async onSubscribe(ctx, id, payload: SubscribePayload) {
      const connection = ctx.extra.connection;
      if (connection === undefined || connection.closed) return refuse('The connection is closing.', ErrorCode.UNAUTHENTICATED);
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: config.operationLimits.maxTokens });
      } catch (error) {
        return [
          new GraphQLError(error instanceof GraphQLError ? error.message : 'The document could not be parsed.', {
            extensions: { code: 'GRAPHQL_PARSE_FAILED' },
          }),
        ];
      }
      let invalid: readonly GraphQLError[];
      try {
        invalid = validate(schema, document, validationRules);
      } catch (error) {
        // graphql 16's SingleFieldSubscriptionsRule evaluates a root @skip/@include without the
        // variables and throws when one is required; an answer, not a closed socket.
        if (!(error instanceof GraphQLError)) throw error;
        invalid = [error];
      }
      if (invalid.length > 0) {
        // As over HTTP: the errors the caller would get were the parts hidden from it absent.
        const seen = validationErrorsSeenBy(invalid, document, visibleSchemaFor(schema, connection.viewer), validationRules);
        return seen.map((error) =>
          error.extensions['code'] === undefined
            ? new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })
            : error,
        );
      }
      const operation = getOperationAST(document, payload.operationName);
      if (operation === null || operation === undefined) return refuse('Name the operation to run.', 'BAD_REQUEST');
      if (operation.operation !== 'subscription') {
        return refuse('Only subscriptions are served over WebSocket; send queries and mutations over HTTP.', 'BAD_REQUEST');
      }
      // Below the root (a field returning Query) introspection would answer from the whole schema,
      // whoever asks and whether or not INTROSPECTION is on: refused, as HTTP refuses it there.
      if (readsIntrospection(document, operation)) {
        return refuse('Introspection (__schema, __type) is answered at the root of a query only.', 'BAD_REQUEST');
      }
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
      if (coerced.errors !== undefined) {
        return coerced.errors.map(
          (error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } }),
        );
      }
      // graphql 16's subscribe() throws a TypeError when no root field is left (not a GraphQLError
      // it could answer), which graphql-ws turns into closing the whole socket.
      if (!selectsSomething(document, operation.selectionSet, coerced.coerced)) {
        return refuse('@skip/@include leave this subscription without a root field.', 'BAD_REQUEST');
      }
      // Named in the log line of an outage below and carried by the subscription's context.
      const requestId = randomUUID();
      // The store did not answer: 503's error, as HTTP answers the same outage, with the id that
      // finds the log line; the socket stays open for a later try.
      const unavailable = (error: unknown): GraphQLError[] => {
        ctx.extra.request.log.warn({ err: error, requestId }, 'database unreachable on a WebSocket subscribe');
        return [databaseUnavailable(requestId)];
      };
      // The viewer as of now, not as of the handshake.
      const freshness = await connection.refresh();
      if (freshness === 'unknown') return unavailable(undefined);
      if (freshness !== 'current') return refuse('The credential could not be confirmed.', ErrorCode.UNAUTHENTICATED);
      const subscription: RunningSubscription = { document, operation, variables: coerced.coerced };
      const denied = deniedRoots(subscription, connection.viewer);
      if (denied.length > 0) return denied;
      if (connection.subscriptions.size >= limits.perSocket) {
        return [limitExceeded(`At most ${limits.perSocket} subscriptions run on one connection.`)];
      }
      if (subscriptionsOf(connection.limitKey) >= limits.perUser) {
        return [limitExceeded(`At most ${limits.perUser} subscriptions run for one user at a time.`)];
      }
      // Counted now, before anything else is awaited, so parallel subscribes cannot all pass the limits.
      connection.subscriptions.set(id, subscription);
      const base = (): GraphQLContext =>
        createContext(app, {
          viewer: connection.viewer,
          user: connection.user,
          sessionId: connection.sessionId,
          clientAddress: connection.clientAddress,
          requestId,
          log: ctx.extra.request.log as never,
        });
      let current = base();
      // A root field's @owner(loads: …) names an object the subscriber may not use: refused as a
      // field it may not read is, starting nothing. Each event then decides on the object as it is.
      const release = () => {
        if (connection.subscriptions.get(id) === subscription) connection.subscriptions.delete(id);
      };
      let notOwned: readonly GraphQLError[];
      try {
        notOwned = await gate.deniedOwnership(schema, document, operation, connection.viewer, coerced.coerced, current, {
          rethrow: isUnreachable,
        });
      } catch (error) {
        release();
        if (isUnreachable(error)) return unavailable(error);
        throw error;
      }
      if (notOwned.length > 0) {
        release();
        return [...notOwned];
      }
      const events = subscriberEvents(app.events, {
        refresh: async () => {
          const freshness = await connection.refresh();
          // A fresh per-request cache for each event: users read for it are read as of now.
          if (freshness === 'current') current = base();
          return freshness;
        },
        warn: (details, message) => ctx.extra.request.log.warn(details, message),
      });
      // The viewer and loaders are read through the connection on every access: each event sees the current ones.
      const contextValue = Object.defineProperties(
        { ...current },
        {
          viewer: { get: () => connection.viewer, enumerable: true },
          viewerUser: { get: () => connection.user, enumerable: true },
          sessionId: { get: () => connection.sessionId, enumerable: true },
          loaders: { get: () => current.loaders, enumerable: true },
          loadUser: { get: () => current.loadUser, enumerable: true },
          events: { value: events, enumerable: true },
          // Objects loaded for @owner are remembered per event, not for the subscription's life.
          [OWNED_OBJECTS_SCOPE]: { get: () => current },
        },
      ) as GraphQLContext;
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: payload.operationName ?? null,
        variableValues: payload.variables ?? null,
        contextValue,
      };
      return args;
    },

    onOperation(ctx, id, _payload, _args, result) {
      const connection = ctx.extra.connection;
      const subscription = connection?.subscriptions.get(id);
      if (connection === undefined || subscription === undefined) return;
      const release = () => {
        if (connection.subscriptions.get(id) === subscription) connection.subscriptions.delete(id);
      };
      if (!(Symbol.asyncIterator in (result as object))) {
        release(); // it failed to start: the result carries its errors
        return;
      }
      const endable = new EndableStream(result as AsyncIterableIterator<unknown>, release);
      subscription.end = (errors) => endable.fail(errors);
      return endable as never;
    },

    onNext(ctx, _id, _payload, _args, result) {
      if (result.errors === undefined) return;
      return {
        ...result,
        errors: format(result.errors as readonly GraphQLError[], ctx.extra.request, ctx.extra.connection?.viewer ?? null),
      } as never;
    },

    onError(ctx, _id, _payload, errors) {
      return format(errors, ctx.extra.request, ctx.extra.connection?.viewer ?? null);
    },

    onComplete(ctx, id) {
      ctx.extra.connection?.subscriptions.delete(id);
    },

    onClose(ctx: Context<Record<string, unknown>, Extra>) {
      const connection = ctx.extra.connection;
      if (connection === undefined) return;
      connection.dispose();
      const peers = byKey.get(connection.limitKey);
      peers?.delete(connection);
      if (peers?.size === 0) byKey.delete(connection.limitKey);
    },
  });

  // Every signed-in socket, re-authenticated on a timer: a credential that ends between events
  // still ends the socket within SUBSCRIPTION_RECHECK_MS (plus one store read).
  const recheck = setInterval(() => {
    for (const peers of byKey.values()) for (const connection of peers) void connection.refresh();
  }, limits.recheckMs);
  recheck.unref();

  await fastify.register(websocket, {
    options: { maxPayload: limits.maxMessageBytes, handleProtocols: (protocols) => handleProtocols(protocols) },
    // Shutdown closes the sockets itself (close() below), with the code it chooses.
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

  fastify.route({
    method: 'GET',
    url: options.path,
    constraints: { websocketUpgrade: 'yes' },
    preValidation: (request, reply, done) => {
      if (closing) {
        void reply.code(503).send({ errors: [{ message: 'The server is shutting down.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
        return;
      }
      const origin = request.headers.origin;
      if (!originAllowed(origin, request.headers.host, config.corsOrigins)) {
        request.log.info({ origin }, 'WebSocket refused: origin not allowed');
        void reply
          .code(403)
          .send({ errors: [{ message: 'This origin may not open a WebSocket here.', extensions: { code: 'FORBIDDEN' } }] });
        return;
      }
      done();
    },
    handler: (_request, reply) => {
      void reply
        .code(426)
        .send({ errors: [{ message: 'Upgrade to a WebSocket (graphql-transport-ws).', extensions: { code: 'BAD_REQUEST' } }] });
    },
    wsHandler: (socket, request) => {
      sockets.add(socket);
      const address = clientAddress(config.trustProxy ? request.ip : undefined, request.socket.remoteAddress);
      const addressKey = addressLimitKey(address); // an IPv6 client counts per /64
      const pending = pendingByAddress.get(addressKey) ?? 0;
      if (pending >= PENDING_SOCKETS_PER_ADDRESS) {
        request.log.info({ address }, 'WebSocket refused: too many sockets before connection_init from this address');
        socket.once('close', () => sockets.delete(socket));
        socket.close(CLOSE_TOO_MANY_SOCKETS, 'Too many connections');
        return;
      }
      pendingByAddress.set(addressKey, pending + 1);
      let counted = true;
      const handshakeDone = () => {
        if (!counted) return;
        counted = false;
        const left = (pendingByAddress.get(addressKey) ?? 1) - 1;
        if (left <= 0) pendingByAddress.delete(addressKey);
        else pendingByAddress.set(addressKey, left);
      };
      const extra: Extra = { socket, request, handshakeDone };
      // Ids of the subscribe messages graphql-ws is still handling here (starting, running or ending).
      // graphql-ws frees an id as soon as the client completes it, though the handling of that
      // subscribe goes on (it may still be starting) and ends by deleting the id from its table: a
      // subscribe reusing the id meanwhile would run beside the first, past SUBSCRIPTIONS_PER_SOCKET,
      // with one of them out of the client's reach and left listening after the socket closes. The
      // id is free again once that handling has ended; before, it is a duplicate (4409, as graphql-ws
      // answers one).
      const handling = new Set<string>();
      let pongWait: NodeJS.Timeout | undefined;
      const ping = setInterval(() => {
        if (socket.readyState !== socket.OPEN) return;
        pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
        socket.once('pong', () => clearTimeout(pongWait));
        socket.ping();
      }, KEEP_ALIVE_MS);
      ping.unref();
      // What the server holds unsent for this socket (ws `bufferedAmount`: past the kernel's buffer)
      // is checked before each message and each pong ws answers a ping with; past the bound the
      // client is not reading, and the socket closes (1013) rather than hold memory for it. Events
      // alone cannot get here (graphql-ws awaits each send, streams.ts bounds what waits behind it);
      // answers to the client's own messages (subscribe errors, pongs) can, without a bound.
      let tooSlow = false;
      const overBufferBound = (): boolean => {
        if (tooSlow) return true;
        const buffered = socket.bufferedAmount;
        if (buffered <= limits.maxBufferedBytes) return false;
        tooSlow = true;
        request.log.warn(
          { viewerId: extra.connection?.viewer?.id ?? null, bufferedBytes: buffered, limit: limits.maxBufferedBytes },
          'WebSocket client not reading what it is sent: closed (1013)',
        );
        socket.close(CLOSE_TRY_AGAIN_LATER, 'Try again later: messages not read');
        // The close frame waits behind what the client does not read: drop the socket (and what it
        // holds) if the client has not answered it soon, as shutdown does.
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
        return true;
      };
      socket.on('ping', overBufferBound);
      const closed = server.opened(
        {
          protocol: socket.protocol,
          send: (data) =>
            new Promise<void>((resolve, reject) => {
              if (socket.readyState !== socket.OPEN || overBufferBound()) return resolve();
              socket.send(data, (error) => (error ? reject(error) : resolve()));
            }),
          close: (code, reason) => socket.close(code, reason),
          onMessage: (handle) =>
            socket.on('message', async (data) => {
              const text = String(data);
              const id = subscribeId(text);
              if (id !== undefined) {
                if (handling.has(id)) {
                  socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id.slice(0, 50)} already exists`);
                  return;
                }
                handling.add(id);
              }
              try {
                await handle(text);
              } catch (error) {
                // graphql-ws throws for a message type it does not know; anything else is ours.
                request.log.info({ err: error }, 'WebSocket message refused');
                socket.close(CloseCode.BadRequest, 'Invalid message received');
              } finally {
                if (id !== undefined) handling.delete(id);
              }
            }),
        },
        extra,
      );
      socket.once('close', (code, reason) => {
        sockets.delete(socket);
        handshakeDone();
        clearInterval(ping);
        clearTimeout(pongWait);
        void closed(code, String(reason));
      });
    },
  });

  await app.events.start({
    log(event, detail) {
      if (event === 'lost')
        fastify.log.warn({ err: detail }, 'event listener lost: events are delivered late, read from the event log once it reconnects');
      else if (event === 'listening') fastify.log.info('event listener connected: events from every instance reach this one');
      else if (event === 'unreadable') fastify.log.warn({ err: detail }, 'event log not readable: events are delivered late, once it is');
      else if (event === 'listener') fastify.log.error({ ...(detail as object) }, 'event listener threw: that subscriber missed the event');
      else
        fastify.log.warn(
          { ...(detail as object) },
          'event log gap: this instance was out of touch for longer than SUBSCRIPTION_EVENT_RETENTION_SECONDS; events may have been missed',
        );
    },
  });

  // Fastify runs preClose before it closes the server: a socket left open would hold that close.
  fastify.addHook('preClose', async () => {
    closing = true;
    clearInterval(recheck);
    await Promise.all(
      [...sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
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
          }),
      ),
    );
  });
  fastify.addHook('onClose', async () => {
    await app.events.close();
  });

  return { socketCount: () => sockets.size };
}

/** Does `selectionSet` select at least one field once @skip/@include are applied with `variables`? */
function selectsSomething(
  document: DocumentNode,
  selectionSet: SelectionSetNode,
  variables: Record<string, unknown>,
  seen = new Set<string>(),
): boolean {
  for (const selection of selectionSet.selections) {
    if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.['if'] === true) continue;
    if (getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.['if'] === false) continue;
    if (selection.kind === Kind.FIELD) return true;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (selectsSomething(document, selection.selectionSet, variables, seen)) return true;
      continue;
    }
    const name = selection.name.value;
    if (seen.has(name)) continue;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    if (fragment?.kind === Kind.FRAGMENT_DEFINITION && selectsSomething(document, fragment.selectionSet, variables, seen)) return true;
  }
  return false;
}

/** The id of a `subscribe` message, or undefined for any other message (graphql-ws judges those). */
function subscribeId(text: string): string | undefined {
  if (!text.includes('"subscribe"')) return undefined;
  try {
    const message = JSON.parse(text) as { type?: unknown; id?: unknown } | null;
    return message?.type === 'subscribe' && typeof message.id === 'string' ? message.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A running subscription's results, which the server can end with errors (a role change denied
 * it): the client gets an `error` message for it, and the source stops.
 */
class EndableStream<T> implements AsyncIterableIterator<T> {
  private rejectWaiting: ((error: unknown) => void) | undefined;
  private failure: GraphQLError | undefined;
  private finished = false;

  constructor(
    private readonly source: AsyncIterableIterator<T>,
    private readonly onFinish: () => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.rejectWaiting = reject;
      this.source.next().then(
        (result) => {
          if (this.rejectWaiting !== reject) return; // failed meanwhile
          this.rejectWaiting = undefined;
          if (result.done) this.finish();
          resolve(result);
        },
        (error: unknown) => {
          if (this.rejectWaiting !== reject) return;
          this.rejectWaiting = undefined;
          this.finish();
          reject(error);
        },
      );
    });
  }

  /** Ends with `errors` (graphql-ws sends the first one's message and extensions as the subscription's error). */
  fail(errors: readonly GraphQLError[]): void {
    if (this.finished) return;
    const error = errors[0] as GraphQLError;
    this.finish();
    void this.source.return?.();
    const reject = this.rejectWaiting;
    this.rejectWaiting = undefined;
    if (reject !== undefined) reject(error);
    else this.failure = error;
  }

  async return(): Promise<IteratorResult<T>> {
    this.finish();
    await this.source.return?.();
    return { value: undefined, done: true };
  }
}
