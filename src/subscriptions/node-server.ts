/**
 * gatehouse's subscriptions on a Node HTTP server it does not own (gatehouse/apollo: the team's
 * Express, standalone or other `http.Server`): the same socket host as gatehouse's own route
 * (transport.ts's createSocketHost: handshake, credential, caps, re-checks, every rule per event),
 * reached through the server's `upgrade` event and `ws`' WebSocketServer instead of
 * @fastify/websocket. Upgrades to other paths are left to the server's other listeners.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import type { App } from '../app';
import { originAllowed } from './handshake';
import type { SocketRequest } from './protocol';
import { createSocketHost, type Subscriptions } from './transport';

export interface AttachedSubscriptions extends Subscriptions {
  /** Closes every socket (1001) and stops listening for upgrades. The HTTP server stays yours. */
  close(): Promise<void>;
}

/** A refusal before the upgrade, as an HTTP answer on the raw socket. */
function refuse(socket: Duplex, status: 403 | 503, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The client address behind one trusted proxy: the last X-Forwarded-For entry. */
function forwardedFor(request: IncomingMessage): string | undefined {
  const header = request.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  return value === undefined ? undefined : value.slice(value.lastIndexOf(',') + 1).trim();
}

/** Serves GraphQL over WebSocket (graphql-transport-ws) on `path` of `httpServer`. */
export function attachSubscriptions(
  app: App,
  schema: GraphQLSchema,
  httpServer: Server,
  options: { readonly path: string; readonly log: FastifyBaseLogger },
): AttachedSubscriptions {
  const host = createSocketHost(app, schema);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: app.config.subscriptions.maxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== options.path) return;
    if (host.closing()) return refuse(socket, 503, 'SERVICE_UNAVAILABLE', 'The server is shutting down.');
    // The socket's request id, on every line it logs (`reqId`, as Fastify's request logger) and in its errors.
    const id = randomUUID();
    const log = options.log.child({ reqId: id });
    const origin = request.headers.origin;
    if (!originAllowed(origin, request.headers.host, app.config.corsOrigins)) {
      log.info({ origin }, 'WebSocket refused: origin not allowed');
      return refuse(socket, 403, 'FORBIDDEN', 'This origin may not open a WebSocket here.');
    }
    const facts: SocketRequest = { id, ip: app.config.trustProxy ? forwardedFor(request) : undefined, socket: request.socket, log };
    sockets.handleUpgrade(request, socket, head, (ws) => host.accept(ws, facts));
  };
  httpServer.on('upgrade', onUpgrade);
  return {
    socketCount: host.socketCount,
    async close() {
      httpServer.off('upgrade', onUpgrade);
      await host.close();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}
