/**
 * The event log behind the subscriptions' event bus (src/events/event-bus.ts): plain
 * functions over the `event_log` table of migration 2026-12-01T00-00_event-log, whose ids increase
 * in commit order on both databases.
 */
import { sql } from 'kysely';
import type { Db } from './schema';

export interface LoggedEvent {
  readonly id: number;
  readonly topic: string;
  readonly subject: string;
  /** When it was published, in ms since the epoch (by the publishing instance's clock). */
  readonly publishedAt: number;
}

/** One INSERT, returning the event's id; on PostgreSQL its trigger also sends the NOTIFY that wakes every instance. */
export async function appendEvent(db: Db, topic: string, subject: string, publishedAt: Date): Promise<number> {
  const row = await db
    .insertInto('event_log')
    .values({ topic, subject, published_at: publishedAt.toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The newest id in the log, 0 when it is empty: where a bus that starts now begins. */
export async function latestEventId(db: Db): Promise<number> {
  const row = await db.selectFrom('event_log').select(sql<number | string | null>`max(id)`.as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}

/** At most `limit` events with an id above `after`, in id (= publish) order. */
export async function eventsAfter(db: Db, after: number, limit: number): Promise<LoggedEvent[]> {
  const rows = await db
    .selectFrom('event_log')
    .select(['id', 'topic', 'subject', 'published_at'])
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    topic: row.topic,
    subject: row.subject,
    // SQLite keeps the ISO text, PostgreSQL gives a Date.
    publishedAt: new Date(row.published_at as string | Date).getTime(),
  }));
}

/** Deletes the events published before `cutoff`; returns how many. */
export async function deleteEventsBefore(db: Db, cutoff: Date): Promise<number> {
  const result = await db.deleteFrom('event_log').where('published_at', '<', cutoff.toISOString()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
