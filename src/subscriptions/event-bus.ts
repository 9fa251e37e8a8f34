/**
 * Events that subscriptions wait for: a topic and the id of what changed, never the data itself.
 * Each subscriber reads the data under its own rules when the id arrives (src/subscriptions/streams.ts),
 * so nothing one caller may not read ever travels to another's socket.
 *
 * - SQLite: within the process. Processes sharing one file do not see each other's events: SQLite
 *   has no notification between connections, and polling a table of events from every process was
 *   not worth its writes for a demo (README, "Subscriptions").
 * - PostgreSQL: `NOTIFY gatehouse_events, '<topic>:<id>'` through the pool, and one connection of
 *   the bus's own that LISTENs (opened on the first subscriber, reconnected with back-off). An
 *   instance hears its own notifications too, so every event is delivered once, by the same path,
 *   on every instance. Events sent while the listening connection is down are lost to that instance
 *   (subscriptions are live feeds, not a log; a client that must not miss one re-reads on reconnect).
 */
import { sql } from 'kysely';
import type { DatabaseConfig } from '../config';
import { listenOn, type PgListener } from '../store/pg-listener';
import type { Db } from '../store/schema';

/** The channel events travel on between PostgreSQL instances. */
export const EVENT_CHANNEL = 'gatehouse_events';

/** Topics and ids: short and plain, so that a payload fits in one NOTIFY (under 8000 bytes) with room to spare. */
const TOPIC = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
const ID = /^[\x21-\x7e]{1,200}$/;

export interface EventBus {
  /** Sends `id` to every subscriber of `topic` on every instance. Rejects only on a bad topic or id (TypeError) or a failed NOTIFY. */
  publish(topic: string, id: string): Promise<void>;
  /** Calls `listener` with each id published on `topic` from now on; returns the function that stops it. */
  on(topic: string, listener: (id: string) => void): () => void;
  /**
   * Starts listening across instances (PostgreSQL) and resolves once listening or once the first
   * attempt failed (it keeps retrying). The WebSocket transport calls it at start-up, with its log.
   */
  start(options?: EventBusOptions): Promise<void>;
  /** Listeners currently registered (tests, the memory check). */
  listenerCount(): number;
  /** Stops listening (closes PostgreSQL's listening connection). */
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** Told when PostgreSQL's listening connection is lost and back. */
  readonly log?: (event: 'lost' | 'listening', error?: unknown) => void;
}

function checked(topic: string, id: string): void {
  if (!TOPIC.test(topic)) throw new TypeError(`event topic "${topic.slice(0, 40)}" is not a name like noteAdded`);
  if (!ID.test(id)) throw new TypeError('event id must be 1 to 200 printable ASCII characters');
}

/** The listeners of each topic, and the delivery to them. */
function createListeners() {
  const byTopic = new Map<string, Set<(id: string) => void>>();
  let count = 0;
  return {
    add(topic: string, listener: (id: string) => void): () => void {
      let set = byTopic.get(topic);
      if (set === undefined) byTopic.set(topic, (set = new Set()));
      // A wrapper of its own, so the same function added twice is two listeners removed one at a time.
      const entry = (id: string) => listener(id);
      set.add(entry);
      count++;
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        count--;
        set.delete(entry);
        if (set.size === 0 && byTopic.get(topic) === set) byTopic.delete(topic);
      };
    },
    deliver(topic: string, id: string): void {
      const set = byTopic.get(topic);
      if (set === undefined) return;
      for (const listener of [...set]) listener(id);
    },
    count: () => count,
  };
}

/** Within one process: what SQLite gets. */
export function inProcessEventBus(): EventBus {
  const listeners = createListeners();
  return {
    async publish(topic, id) {
      checked(topic, id);
      // Never synchronously inside the publisher's call: a resolver that publishes goes on first.
      setImmediate(() => listeners.deliver(topic, id));
    },
    on: (topic, listener) => listeners.add(topic, listener),
    async start() {},
    listenerCount: listeners.count,
    async close() {},
  };
}

/** PostgreSQL LISTEN/NOTIFY across instances; see the top of this file. */
export function postgresEventBus(db: Db, connectionString: string, initial: EventBusOptions = {}): EventBus {
  let options = initial;
  const listeners = createListeners();
  /** Opened on the first start or subscriber, not before: a server with no subscriber holds no extra connection. */
  let connection: PgListener | undefined;
  let closed = false;
  const listening = (): Promise<void> => {
    if (closed) return Promise.resolve();
    connection ??= listenOn({
      connectionString,
      channel: EVENT_CHANNEL,
      applicationName: 'gatehouse-event-listener',
      onNotification(payload) {
        const colon = payload.indexOf(':');
        if (colon > 0) listeners.deliver(payload.slice(0, colon), payload.slice(colon + 1));
      },
      onListening: () => options.log?.('listening'),
      onLost: (error) => options.log?.('lost', error),
    });
    return connection.started;
  };

  return {
    async publish(topic, id) {
      checked(topic, id);
      await sql`select pg_notify(${EVENT_CHANNEL}, ${`${topic}:${id}`})`.execute(db);
    },
    start(more) {
      if (more !== undefined) options = { ...options, ...more };
      return listening();
    },
    on(topic, listener) {
      void listening();
      return listeners.add(topic, listener);
    },
    listenerCount: listeners.count,
    async close() {
      closed = true;
      await connection?.close();
    },
  };
}

/** The bus for gatehouse's database. */
export function createEventBus(database: DatabaseConfig, db: Db, options: EventBusOptions = {}): EventBus {
  return database.dialect === 'postgres' ? postgresEventBus(db, database.url, options) : inProcessEventBus();
}
