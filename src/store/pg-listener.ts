// A PostgreSQL connection of its own that LISTENs on one channel and reconnects with back-off when
// it is lost: what the credential cache (credential-lookups.ts) and the subscriptions' event bus
// (src/events/postgres-waker.ts) both need. Not from the pool: a pooled client would be handed to
// queries and lose its LISTEN when returned.
import { Client } from 'pg';

export interface PgListenerOptions {
  readonly connectionString: string;
  /** A channel name from code, never from input: it is written into the LISTEN statement. */
  readonly channel: string;
  /** Names the connection in pg_stat_activity. */
  readonly applicationName: string;
  readonly onNotification: (payload: string) => void;
  /** The LISTEN is in effect (first time or after a loss); called before `current()` returns the client. */
  readonly onListening?: () => void;
  /** A connection that was listening is gone; notifications may have been missed until `onListening`. */
  readonly onLost?: (error?: unknown) => void;
  /** First wait before reconnecting, doubled up to `maxRetryMs`. Default 100 ms. */
  readonly minRetryMs?: number;
  /** Default 5 s. */
  readonly maxRetryMs?: number;
}

export interface PgListener {
  /** The connection while it is connected and listening; undefined otherwise. */
  current(): Client | undefined;
  /** Gives up on `client` (a query on it failed) and reconnects. */
  lose(client: Client, error?: unknown): void;
  /** Settles when the first attempt has ended, listening or not (it keeps retrying). */
  readonly started: Promise<void>;
  close(): Promise<void>;
}

/** Connects at once; see the top of this file. */
export function listenOn(options: PgListenerOptions): PgListener {
  const minRetryMs = options.minRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  let listening: Client | undefined;
  let closed = false;
  let retryMs = minRetryMs;
  let retryTimer: NodeJS.Timeout | undefined;

  const lose = (client: Client, error?: unknown): void => {
    if (listening === client) {
      listening = undefined;
      options.onLost?.(error);
    }
    client.removeAllListeners('notification');
    client.on('error', () => undefined); // a late error from a dead client must not crash the process
    void client.end().catch(() => undefined);
    schedule();
  };
  const schedule = (): void => {
    if (closed || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(maxRetryMs, retryMs * 2);
  };
  const connect = async (): Promise<void> => {
    if (closed) return;
    const client = new Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    let lost = false;
    const fail = (error?: unknown): void => {
      if (lost) return;
      lost = true;
      lose(client, error);
    };
    client.on('error', fail);
    client.on('end', () => fail());
    client.on('notification', (message) => options.onNotification(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`listen ${options.channel}`);
    } catch (error) {
      fail(error);
      return;
    }
    if (lost) return;
    if (closed) {
      void client.end().catch(() => undefined);
      return;
    }
    options.onListening?.();
    listening = client;
    retryMs = minRetryMs;
  };

  const started = connect();
  return {
    current: () => listening,
    lose,
    started,
    async close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const client = listening;
      listening = undefined;
      if (client !== undefined) {
        client.removeAllListeners('end');
        client.on('error', () => undefined);
        await client.end().catch(() => undefined);
      }
    },
  };
}
