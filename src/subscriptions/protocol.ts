/**
 * graphql-ws's server with gatehouse's hooks: the handshake (`connection_init`: authenticate, cap
 * the user's sockets), subscribe (subscribe.ts), the running stream that the server can end
 * (endable-stream.ts), errors as HTTP's (client-errors.ts), and the counts released when a
 * subscription or socket ends.
 */
import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLError } from 'graphql';
import { CloseCode, type Context, makeServer } from 'graphql-ws';
import type { App } from '../app';
import type { Viewer } from '../auth/viewer';
import type { Config } from '../config';
import { clientAddress, limitKeyOf } from '../client-address';
import { ErrorCode } from '../graphql/errors';
import { type ClientErrorSettings, clientErrors } from './client-errors';
import { authenticatedKind, traceAuthentication } from '../telemetry/tracing';
import { denialOf } from '../enforcement/denials';
import { CLOSE_GOING_AWAY, CLOSE_TOO_MANY_SOCKETS, CLOSE_TRY_AGAIN_LATER } from './close-codes';
import { Connection, type ConnectionKeys } from './connection';
import { EndableStream } from './endable-stream';
import { readConnectionCredential } from './handshake';
import { refusal } from './read-operation';
import { authenticateSocket } from './socket-authentication';
import { type SubscribeDependencies, subscribe } from './subscribe';

/**
 * The upgrade request of a socket, as this module reads it: Fastify's request (gatehouse's server),
 * or the same facts from a Node `upgrade` event (gatehouse/apollo's attachSubscriptions).
 */
export interface SocketRequest {
  /** The socket's request id, carried in its errors and log lines. */
  readonly id: string;
  /** The client address X-Forwarded-For gives behind a trusted proxy (TRUST_PROXY). */
  readonly ip: string | undefined;
  readonly socket: { readonly remoteAddress?: string | undefined };
  readonly log: FastifyBaseLogger;
}

/** What graphql-ws carries for each socket. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: SocketRequest;
  /** The handshake has been answered (or the socket closed): it no longer counts as pending. */
  readonly handshakeDone: () => void;
  connection?: Connection;
}

type SocketContext = Context<Record<string, unknown>, SocketExtra>;

export interface ProtocolDependencies extends SubscribeDependencies {
  readonly errors: ClientErrorSettings;
  /** True once the server is shutting down: new handshakes are refused. */
  readonly closing: () => boolean;
}

export function createProtocolServer(deps: ProtocolDependencies) {
  const format = (ctx: SocketContext, errors: readonly GraphQLError[]) => {
    const viewer = ctx.extra.connection?.viewer ?? null;
    // Denials on a socket are logged and counted as over HTTP, under the socket's request id.
    for (const error of errors) {
      const denial = denialOf(error);
      if (denial !== null)
        deps.app.telemetry.denials.denied(denial, { requestId: ctx.extra.request.id, viewer, log: ctx.extra.request.log }, error.path);
    }
    return clientErrors(deps.errors, errors, ctx.extra.request.log, ctx.extra.request.id, viewer);
  };
  return makeServer<Record<string, unknown>, SocketExtra>({
    connectionInitWaitTimeout: deps.app.config.subscriptions.initTimeoutMs,
    async onConnect(ctx) {
      try {
        return await connect(deps, ctx);
      } finally {
        ctx.extra.handshakeDone();
      }
    },
    async onSubscribe(ctx, id, payload) {
      const connection = ctx.extra.connection;
      if (connection === undefined || connection.closed) return refusal('The connection is closing.', ErrorCode.UNAUTHENTICATED);
      return subscribe(deps, connection, id, payload, ctx.extra.request);
    },
    onOperation(ctx, id, _payload, _args, result) {
      const connection = ctx.extra.connection;
      const subscription = connection?.subscriptions.get(id);
      if (connection === undefined || subscription === undefined) return;
      const release = () => connection.release(id, subscription);
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
      return { ...result, errors: format(ctx, result.errors as readonly GraphQLError[]) } as never;
    },
    // An `error` message refuses the operation, like HTTP's 4xx; its errors, like a `next`'s, name the socket's request.
    onError: (ctx, _id, _payload, errors) => [...format(ctx, errors)],
    onComplete(ctx, id) {
      ctx.extra.connection?.forget(id);
    },
    onClose(ctx) {
      const connection = ctx.extra.connection;
      if (connection === undefined) return;
      connection.dispose();
      deps.guard.remove(connection);
    },
  });
}

/** `connection_init`: authenticate, count the socket against its user's (or address's) cap. */
async function connect(deps: ProtocolDependencies, ctx: SocketContext): Promise<boolean> {
  const { socket, request } = ctx.extra;
  const { app, guard } = deps;
  if (deps.closing()) {
    socket.close(CLOSE_GOING_AWAY, 'Server shutting down');
    return false;
  }
  const credential = readConnectionCredential(ctx.connectionParams);
  let authentication: Awaited<ReturnType<typeof authenticateSocket>>;
  try {
    authentication = await traceAuthentication(credential.kind, () => authenticateSocket(app, credential, request.id), authenticatedKind);
  } catch (error) {
    // The store did not answer: the client may try again (RFC 6455 1013), as HTTP answers 503.
    request.log.warn({ err: error }, 'authentication failed on a WebSocket handshake');
    socket.close(CLOSE_TRY_AGAIN_LATER, 'Try again later');
    return false;
  }
  if (!authentication.ok) {
    app.telemetry.metrics.authenticationFailure(authentication.problem);
    socket.close(CloseCode.Unauthorized, 'Unauthorized');
    return false;
  }
  if (socket.readyState !== socket.OPEN) return false;
  const address = socketAddress(app, request);
  const keys = connectionKeys(app.config, authentication.viewer, address);
  if (!guard.hasRoomFor(keys)) {
    socket.close(CLOSE_TOO_MANY_SOCKETS, 'Too many connections');
    return false;
  }
  const connection = new Connection(app, credential, authentication, keys, address, {
    close: (code, reason) => socket.close(code, reason),
    deniedRoots: (subscription, viewer) => deps.checks.denied(subscription, viewer, { clientAddress: address, requestId: request.id }),
    warn: (details, message) => request.log.warn(details, message),
    counted: (delta) => guard.counted(keys, delta),
  });
  if (connection.closed) return false; // a token already past its exp
  ctx.extra.connection = connection;
  guard.add(connection);
  return true;
}

/**
 * Who a socket counts against: a signed-in user by id (wherever it connects from); an anonymous
 * caller by its client address (IPv6 per IPV6_LIMIT_PREFIX) and by its wider network (IPv6 per
 * IPV6_NETWORK_PREFIX; IPv4: the address again).
 */
export function connectionKeys(config: Config, viewer: Viewer | null, address: string): ConnectionKeys {
  if (viewer !== null) return { limitKey: `user:${viewer.id}`, networkKey: undefined };
  return {
    limitKey: `address:${limitKeyOf(address, config.ipv6LimitPrefix)}`,
    networkKey: `network:${limitKeyOf(address, config.ipv6NetworkPrefix)}`,
  };
}

/** The client address of the socket's upgrade request (X-Forwarded-For only with TRUST_PROXY). */
export function socketAddress(app: App, request: SocketRequest): string {
  return clientAddress(app.config.trustProxy ? request.ip : undefined, request.socket.remoteAddress);
}
