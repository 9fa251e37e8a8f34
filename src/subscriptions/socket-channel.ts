/**
 * One WebSocket handed to graphql-ws: its messages in (a duplicate subscribe id refused), its
 * sends out (bounded by what the client has not read), and keep-alive pings.
 */
import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { CloseCode, type makeServer } from 'graphql-ws';
import { CLOSE_TRY_AGAIN_LATER } from './close-codes';

/** How often every open socket is pinged, and how long its pong may take before the socket is dropped (no close frame). */
const KEEP_ALIVE_MS = 12_000;
/** How long a client has to answer a close frame (shutdown, or a reader past the send-buffer bound) before its socket is dropped. */
export const CLOSE_GRACE_MS = 1_000;

type ProtocolServer<E> = ReturnType<typeof makeServer<Record<string, unknown>, E>>;

export interface ChannelOptions {
  /** SUBSCRIPTION_SEND_BUFFER_MAX_BYTES. */
  readonly maxBufferedBytes: number;
  readonly log: FastifyBaseLogger;
  /** Who the socket belongs to, for the log line of a client that does not read. */
  readonly viewerId: () => string | null;
  /** The socket closed (after graphql-ws was told). */
  readonly onClose: () => void;
}

/** Connects `socket` to `server` with `extra` as graphql-ws's context extra. */
export function openChannel<E>(server: ProtocolServer<E>, socket: WebSocket, extra: E, options: ChannelOptions): void {
  const stopKeepAlive = keepAlive(socket);
  const overBufferBound = sendBound(socket, options);
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
      onMessage: (handle) => socket.on('message', messageHandler(socket, handle, options.log)),
    },
    extra,
  );
  socket.once('close', (code, reason) => {
    options.onClose();
    stopKeepAlive();
    void closed(code, String(reason));
  });
}

/**
 * Ids of the subscribe messages graphql-ws is still handling here (starting, running or ending).
 * graphql-ws frees an id as soon as the client completes it, though the handling of that
 * subscribe goes on (it may still be starting) and ends by deleting the id from its table: a
 * subscribe reusing the id meanwhile would run beside the first, past SUBSCRIPTIONS_PER_SOCKET,
 * with one of them out of the client's reach and left listening after the socket closes. The id
 * is free again once that handling has ended; before, it is a duplicate (4409, as graphql-ws
 * answers one).
 */
function messageHandler(socket: WebSocket, handle: (data: string) => Promise<void>, log: FastifyBaseLogger) {
  const handling = new Set<string>();
  return async (data: unknown): Promise<void> => {
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
      log.info({ err: error }, 'WebSocket message refused');
      socket.close(CloseCode.BadRequest, 'Invalid message received');
    } finally {
      if (id !== undefined) handling.delete(id);
    }
  };
}

/** Pings every KEEP_ALIVE_MS; a pong later than that drops the socket. Returns the function that stops it. */
function keepAlive(socket: WebSocket): () => void {
  let pongWait: NodeJS.Timeout | undefined;
  const ping = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
    socket.once('pong', () => clearTimeout(pongWait));
    socket.ping();
  }, KEEP_ALIVE_MS);
  ping.unref();
  return () => {
    clearInterval(ping);
    clearTimeout(pongWait);
  };
}

/**
 * What the server holds unsent for this socket (ws `bufferedAmount`: past the kernel's buffer) is
 * checked before each message and each pong ws answers a ping with; past the bound the client is
 * not reading, and the socket closes (1013) rather than hold memory for it. Events alone cannot
 * get here (graphql-ws awaits each send, streams.ts bounds what waits behind it); answers to the
 * client's own messages (subscribe errors, pongs) can, without a bound. Returns the check: true
 * once the socket is past the bound.
 */
function sendBound(socket: WebSocket, options: ChannelOptions): () => boolean {
  let tooSlow = false;
  return () => {
    if (tooSlow) return true;
    const buffered = socket.bufferedAmount;
    if (buffered <= options.maxBufferedBytes) return false;
    tooSlow = true;
    options.log.warn(
      { viewerId: options.viewerId(), bufferedBytes: buffered, limit: options.maxBufferedBytes },
      'WebSocket client not reading what it is sent: closed (1013)',
    );
    socket.close(CLOSE_TRY_AGAIN_LATER, 'Try again later: messages not read');
    // The close frame waits behind what the client does not read: drop the socket (and what it
    // holds) if the client has not answered it soon, as shutdown does.
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    return true;
  };
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
