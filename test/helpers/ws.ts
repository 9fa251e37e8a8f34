// A real graphql-ws client (the `graphql-ws` package over the `ws` WebSocket) against a running server.
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Received {
  /** Each `next` payload, in order. */
  readonly events: Array<{
    data?: Record<string, any> | null;
    errors?: ReadonlyArray<{ message: string; path?: unknown; extensions?: any }>;
  }>;
  /** The subscription's `error` (errors of the whole operation), when it ended with one. */
  errors: ReadonlyArray<{ message: string; extensions?: any }> | undefined;
  /** Set when the subscription completed (with or without error). */
  completed: boolean;
}

export interface Socket {
  readonly client: Client;
  /** The close event, once closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the server acknowledged connection_init; rejects if the socket closed first. */
  readonly connected: Promise<void>;
  subscribe(query: string, variables?: Record<string, unknown>): { received: Received; stop(): void };
  dispose(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

/** Opens one socket at once (not lazily) with `params` as connection_init's payload. */
export function openSocket(httpUrl: string, params?: Record<string, unknown>, options: { headers?: Record<string, string> } = {}): Socket {
  let onClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  let onConnected!: () => void;
  let onRefused!: (error: Error) => void;
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onRefused = reject;
  });
  connected.catch(() => undefined); // awaited by the tests that care
  const headers = options.headers;
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: headers
      ? class extends WebSocket {
          constructor(url: string, protocols?: string | string[]) {
            super(url, protocols, { headers });
          }
        }
      : WebSocket,
    lazy: false,
    retryAttempts: 0,
    ...(params ? { connectionParams: params } : {}),
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onRefused(new Error(`socket closed (${code} ${reason}) before connection_ack`));
        onClosed({ code, reason: String(reason) });
      },
    },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closed,
    connected,
    subscribe(query, variables) {
      const received: Received = { events: [], errors: undefined, completed: false };
      const stop = client.subscribe(
        { query, ...(variables ? { variables } : {}) },
        {
          next: (value) => received.events.push(value as Received['events'][number]),
          error: (error) => {
            received.errors = Array.isArray(error) ? error : [{ message: String((error as { reason?: string })?.reason ?? error) }];
            received.completed = true;
          },
          complete: () => {
            received.completed = true;
          },
        },
      );
      return { received, stop };
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/** Polls `check` until it returns true or `ms` pass; then fails with `what`. */
export async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
