/**
 * Events that subscriptions wait for: a topic and the id of what changed, never the data itself.
 * Each subscriber reads the data under its own rules when the id arrives (src/subscriptions/streams.ts),
 * so nothing one caller may not read ever travels to another's socket.
 *
 * Every event is a row of the event log (src/store/event-log.ts, migration
 * 2026-12-01T00-00_event-log), whose ids increase in commit order on both databases. `publish` is
 * that one INSERT. Each bus remembers the last id it delivered and, when woken, reads the events
 * after it in id order (BATCH at a time) and hands them to its listeners: every event reaches
 * every instance once, in publish order, whatever woke it and however often.
 *
 * What wakes a bus:
 * - its own publishes (at once, without waiting for the database to say so);
 * - PostgreSQL: the NOTIFY that the log's insert trigger sends with the new id, heard on a
 *   connection of the bus's own (src/store/pg-listener.ts, opened on start or on the first
 *   subscriber). When that connection comes back after a loss, the bus reads everything after its
 *   last id: an outage of the listener, or of the database, loses nothing within the retention.
 * - SQLite: `PRAGMA data_version` on the store's watcher connection (Store.dataVersion, the one the
 *   credential cache watches), checked every SUBSCRIPTION_EVENT_POLL_MS while this process has a listener and
 *   not at all otherwise. So events cross processes sharing one file.
 *
 * Where a bus begins: at the newest id when it starts (PostgreSQL) or when its first listener
 * arrives after it had none (SQLite, which does not follow the log with nobody listening); no
 * history is replayed to a new process. A PostgreSQL bus with no listener follows the ids of the
 * notifications without reading the log.
 *
 * Retention: each process deletes the events older than SUBSCRIPTION_EVENT_RETENTION_SECONDS after a publish,
 * at most once a minute (an indexed DELETE). A bus that finds the ids after its last one missing
 * (a gap) and has not been caught up for longer than the retention says so in the log (`gap`):
 * events may have been deleted before it read them. A gap within the retention is a sequence gap
 * (an insert rolled back), not a loss; so is any gap on PostgreSQL while the listening connection
 * stayed up and every read succeeded since the bus was last caught up, however long the log was quiet.
 */
import type { DatabaseConfig } from '../config';
import { appendEvent, deleteEventsBefore, eventsAfter, latestEventId } from '../store/event-log';
import { listenOn, type PgListener } from '../store/pg-listener';
import type { Store } from '../store/database';

/** The channel the event log's insert trigger notifies (migration 2026-12-01T00-00_event-log). */
export const EVENT_CHANNEL = 'gatehouse_events';

/** Events read from the log per query; a bus further behind reads again at once. */
const BATCH = 256;
/** How long a bus waits before reading again after a read failed. */
const RETRY_MS = 1_000;

/** Topics and ids: short and plain, so that a log row stays small. */
const TOPIC = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
const ID = /^[\x21-\x7e]{1,200}$/;

export interface EventBus {
  /** Logs `id` for every subscriber of `topic` on every instance. Rejects only on a bad topic or id (TypeError) or a failed INSERT. */
  publish(topic: string, id: string): Promise<void>;
  /** Calls `listener` with each id published on `topic` from now on; returns the function that stops it. */
  on(topic: string, listener: (id: string) => void): () => void;
  /**
   * Starts following the log across instances (PostgreSQL) and resolves once listening or once the
   * first attempt failed (it keeps retrying). The WebSocket transport calls it at start-up, with its log.
   */
  start(options?: EventBusOptions): Promise<void>;
  /** Listeners currently registered (tests, the memory check). */
  listenerCount(): number;
  /** Stops following the log (closes PostgreSQL's listening connection, stops SQLite's checks). */
  close(): Promise<void>;
}

/**
 * What a bus tells its log: PostgreSQL's listening connection `lost` (with the error) and
 * `listening` again; the log `unreadable` (with the error; it is read again every second); a `gap`
 * (with `{ after, next }`) after being out of touch for longer than the retention; a `listener`
 * that threw (with `{ err, topic }`: that listener missed the event, the others and the following
 * events are delivered as usual).
 */
export type EventBusLogEvent = 'lost' | 'listening' | 'unreadable' | 'gap' | 'listener';

export interface EventBusOptions {
  readonly log?: (event: EventBusLogEvent, detail?: unknown) => void;
}

/** How a bus follows the log; from config (README, "Subscriptions"). */
export interface EventLogSettings {
  /** SQLite: how often data_version is checked while there are listeners, in ms. */
  readonly pollMs: number;
  /** Events older than this are deleted, in ms. */
  readonly retentionMs: number;
  /** At most one deletion per this many ms per process. Default 60 s. */
  readonly purgeEveryMs?: number;
  /** The clock for `published_at` and the retention (tests). */
  readonly now?: () => Date;
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
    /** Calls each listener of `topic`; one that throws is reported to `failed` and the others still get the event. */
    deliver(topic: string, id: string, failed: (error: unknown) => void): void {
      const set = byTopic.get(topic);
      if (set === undefined) return;
      for (const listener of [...set]) {
        try {
          listener(id);
        } catch (error) {
          failed(error);
        }
      }
    },
    count: () => count,
  };
}

/** The bus for gatehouse's database; see the top of this file. */
export function createEventBus(
  database: DatabaseConfig,
  store: Store,
  settings: EventLogSettings,
  initial: EventBusOptions = {},
): EventBus {
  const db = store.db;
  const postgres = database.dialect === 'postgres';
  const now = settings.now ?? (() => new Date());
  const purgeEveryMs = settings.purgeEveryMs ?? 60_000;
  let options = initial;
  const listeners = createListeners();
  let closed = false;

  /** The id of the last event delivered (or passed over with nobody listening); undefined: begin at the newest. */
  let last: number | undefined;
  /** When `last` was last known to be the newest id (ms); a gap found later than the retention after it may be a loss. */
  let caughtUpAt = 0;
  /** PostgreSQL: the listening connection is up. */
  let connected = false;
  /**
   * PostgreSQL: the connection has stayed up and every read succeeded since `caughtUpAt`, so each
   * event committed since was announced and read at once: a gap then is a rolled-back insert, never
   * a deletion, however long the log was quiet.
   */
  let inTouch = false;
  const caughtUp = (): void => {
    caughtUpAt = now().getTime();
    inTouch = postgres && connected;
  };
  /** PostgreSQL: the listening connection is back; the next step reads (or, with no listener, skips) what was missed. */
  let catchUp = false;
  let wanted = false;
  let running = false;
  let failing = false;
  let retry: NodeJS.Timeout | undefined;

  /** The running pump, which close() waits for: the store must not close under its read. */
  let pumping: Promise<void> | undefined;

  const wake = (): void => {
    wanted = true;
    if (!running) pumping = pump();
  };
  const pump = async (): Promise<void> => {
    running = true;
    try {
      while (wanted && !closed) {
        wanted = false;
        try {
          await step();
          failing = false;
        } catch (error) {
          if (closed) break; // the read that close() interrupted: shutting down, not a failure
          if (!failing) options.log?.('unreadable', error);
          failing = true;
          inTouch = false;
          if (retry === undefined && !closed) {
            retry = setTimeout(() => {
              retry = undefined;
              wake();
            }, RETRY_MS);
            retry.unref();
          }
        }
      }
    } finally {
      running = false;
    }
  };
  /** One read of the log, or of where it ends. */
  const step = async (): Promise<void> => {
    const listening = listeners.count() > 0;
    if (last === undefined || (!listening && catchUp)) {
      // Beginning, or back after a loss with nobody to deliver to: skip to the newest.
      if (!listening && !postgres) return; // SQLite begins when a listener arrives
      catchUp = false;
      const newest = await latestEventId(db);
      last = Math.max(last ?? 0, newest);
      caughtUp();
      return;
    }
    if (!listening) {
      if (!postgres) last = undefined; // SQLite stops following; it begins again at the newest
      return;
    }
    catchUp = false;
    const after = last;
    const events = await eventsAfter(db, after, BATCH);
    if (closed) return; // closed while reading: nothing is delivered after close()
    const first = events[0];
    if (first !== undefined && first.id > after + 1 && !inTouch && now().getTime() - caughtUpAt > settings.retentionMs) {
      options.log?.('gap', { after, next: first.id });
    }
    for (const event of events) {
      if (event.id <= (last ?? 0)) continue;
      last = event.id;
      listeners.deliver(event.topic, event.subject, (error) => options.log?.('listener', { err: error, topic: event.topic }));
    }
    if (events.length === BATCH) wanted = true;
    else caughtUp();
  };

  /** PostgreSQL: opened on the first start or subscriber, not before (a server with no subscriber holds no extra connection). */
  let connection: PgListener | undefined;
  const listening = (): Promise<void> => {
    if (closed || !postgres) return Promise.resolve();
    connection ??= listenOn({
      connectionString: (database as { url: string }).url,
      channel: EVENT_CHANNEL,
      applicationName: 'gatehouse-event-listener',
      onNotification(payload) {
        const id = Number(payload);
        if (last !== undefined && id <= last) return;
        if (last !== undefined && Number.isSafeInteger(id) && listeners.count() === 0 && !catchUp) {
          // Nobody to deliver to: follow the ids without reading (each notification comes in commit order).
          last = id;
          caughtUp();
          return;
        }
        wake();
      },
      onListening() {
        connected = true;
        catchUp = true;
        options.log?.('listening');
        wake();
      },
      onLost(error) {
        connected = false;
        inTouch = false;
        options.log?.('lost', error);
      },
    });
    return connection.started;
  };

  /** SQLite on a file: data_version checked while there are listeners. */
  let poll: NodeJS.Timeout | undefined;
  let seenVersion: number | undefined;
  const watch = (): void => {
    const dataVersion = store.watcher?.dataVersion;
    if (postgres || dataVersion === undefined || poll !== undefined || closed) return;
    poll = setInterval(() => {
      let version: number;
      try {
        version = dataVersion();
      } catch (error) {
        if (!failing) options.log?.('unreadable', error);
        failing = true;
        return;
      }
      if (version !== seenVersion) {
        seenVersion = version;
        wake();
      }
    }, settings.pollMs);
    poll.unref();
  };
  const unwatch = (): void => {
    if (poll !== undefined) clearInterval(poll);
    poll = undefined;
    seenVersion = undefined;
  };

  let purgedAt = Number.NEGATIVE_INFINITY;
  /** The deletion under way, which close() waits for (it never rejects). */
  let purging: Promise<unknown> | undefined;
  const purge = (at: Date): void => {
    if (closed || at.getTime() - purgedAt < purgeEveryMs) return;
    purgedAt = at.getTime();
    // A failure (the database gone meanwhile) is left to the next attempt, a minute on: no publish waits for it.
    purging = deleteEventsBefore(db, new Date(at.getTime() - settings.retentionMs)).catch(() => undefined);
  };

  return {
    async publish(topic, id) {
      checked(topic, id);
      const at = now();
      const logged = await appendEvent(db, topic, id, at);
      if (listeners.count() > 0 && (last === undefined || logged > last)) wake();
      purge(at);
    },
    async start(more) {
      if (more !== undefined) options = { ...options, ...more };
      await listening();
      if (!postgres || last !== undefined) return;
      // Begin at the newest id before the first subscriber can arrive, so that nothing published after start is skipped.
      try {
        last = Math.max(last ?? 0, await latestEventId(db));
        caughtUp();
      } catch {
        // The database is not reachable: the bus begins once the listening connection is up (onListening).
      }
    },
    on(topic, listener) {
      void listening();
      const first = listeners.count() === 0;
      const stop = listeners.add(topic, listener);
      if (first && !postgres) {
        // SQLite did not follow the log while nobody listened: begin at the newest id, now if the
        // watcher can say (a synchronous read), else at the next step (an in-memory database, where
        // this process's publishes queue on the same connection behind that read).
        last = undefined;
        try {
          const newest = store.watcher?.latestEventId();
          if (newest !== undefined) {
            last = newest;
            caughtUp();
          }
        } catch {
          // Unreadable now: the next step tries again.
        }
        watch();
        wake();
      }
      return () => {
        stop();
        if (listeners.count() === 0) unwatch();
      };
    },
    listenerCount: listeners.count,
    async close() {
      closed = true;
      unwatch();
      if (retry !== undefined) clearTimeout(retry);
      await Promise.all([pumping, purging, connection?.close()]);
    },
  };
}
