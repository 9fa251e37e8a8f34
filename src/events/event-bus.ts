/**
 * Events that subscriptions wait for: a topic and the id of what changed, never the data itself.
 * Each subscriber reads the data under its own rules when the id arrives (src/subscriptions/),
 * so nothing one caller may not read ever travels to another's socket.
 *
 * Every event is a row of the event log (src/store/event-log.ts, migration
 * 2026-12-01T00-00_event-log), whose ids increase in commit order on both databases. `publish` is
 * that one INSERT. A log follower (log-follower.ts) per instance reads the events after the last
 * one it delivered, in id order, and hands them to the listeners (topic-listeners.ts): every
 * event reaches every instance once, in publish order, whatever woke it and however often.
 *
 * What wakes the follower: this instance's own publishes (at once), and the dialect's waker —
 * PostgreSQL's NOTIFY on a connection of its own (postgres-waker.ts), SQLite's data_version
 * polled while anyone listens (sqlite-waker.ts).
 *
 * Where a bus begins: at the newest id when it starts (PostgreSQL) or when its first listener
 * arrives after it had none (SQLite, which does not follow the log with nobody listening); no
 * history is replayed to a new process.
 *
 * Retention: each process deletes the events older than SUBSCRIPTION_EVENT_RETENTION_SECONDS after a publish,
 * at most once a minute (retention-purge.ts). A bus that finds the ids after its last one missing
 * (a gap) and has not been caught up for longer than the retention says so in the log (`gap`):
 * events may have been deleted before it read them. A gap within the retention is a sequence gap
 * (an insert rolled back), not a loss; so is any gap on PostgreSQL while the listening connection
 * stayed up and every read succeeded since the bus was last caught up, however long the log was quiet.
 *
 * The composition root creates the bus (src/app.ts) and starts and closes it with the server
 * (src/http/server.ts).
 */
import type { DatabaseConfig } from '../config';
import type { Store } from '../store/database';
import { appendEvent } from '../store/event-log';
import { LogFollower } from './log-follower';
import { PostgresWaker } from './postgres-waker';
import { RetentionPurge } from './retention-purge';
import { SqliteWaker } from './sqlite-waker';
import { TopicListeners } from './topic-listeners';
import type { EventBus, EventBusLogEvent, EventBusOptions, EventLogSettings, EventWaker } from './types';

export { EVENT_CHANNEL } from './postgres-waker';
export type { DeliveredEvent, EventBus, EventBusLogEvent, EventBusOptions, EventLogSettings } from './types';

/** Topics and ids: short and plain, so that a log row stays small. */
const TOPIC = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
const ID = /^[\x21-\x7e]{1,200}$/;

function checked(topic: string, id: string): void {
  if (!TOPIC.test(topic)) throw new TypeError(`event topic "${topic.slice(0, 40)}" is not a name like noteAdded`);
  if (!ID.test(id)) throw new TypeError('event id must be 1 to 200 printable ASCII characters');
}

/** The bus for gatehouse's database; see the top of this file. */
export function createEventBus(
  database: DatabaseConfig,
  store: Store,
  settings: EventLogSettings,
  initial: EventBusOptions = {},
): EventBus {
  const now = settings.now ?? (() => new Date());
  let options = initial;
  const report = (event: EventBusLogEvent, detail?: unknown) => options.log?.(event, detail);
  const listeners = new TopicListeners();
  const postgres = database.dialect === 'postgres';
  const follower = new LogFollower(
    store.db,
    listeners,
    { retentionMs: settings.retentionMs, now, followsWhileIdle: postgres, delivered: (lag) => options.delivered?.(lag) },
    report,
  );
  const waker: EventWaker =
    database.dialect === 'postgres' ? new PostgresWaker(database.url, follower, report) : new SqliteWaker(store, follower, settings.pollMs);
  const purge = new RetentionPurge(store.db, settings.retentionMs, settings.purgeEveryMs ?? 60_000);

  return {
    async publish(topic, id) {
      checked(topic, id);
      const at = now();
      follower.published(await appendEvent(store.db, topic, id, at));
      purge.after(at);
    },
    async start(more) {
      if (more !== undefined) options = { ...options, ...more };
      await waker.start();
    },
    on(topic, listener) {
      const first = listeners.count() === 0;
      const stop = listeners.add(topic, listener);
      if (first) waker.firstListener();
      return () => {
        stop();
        if (listeners.count() === 0) waker.noListeners();
      };
    },
    listenerCount: () => listeners.count(),
    async close() {
      await Promise.all([follower.close(), purge.close(), waker.close()]);
    },
  };
}
