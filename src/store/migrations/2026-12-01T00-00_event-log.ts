import { type Migration, sql } from 'kysely';
import type { Dialect } from '../schema';

/**
 * The log behind the subscriptions' event bus (src/subscriptions/event-bus.ts): one row per
 * published event, topic and subject id only, read by every instance in id order and deleted after
 * SUBSCRIPTION_EVENT_RETENTION_SECONDS (by `published_at`, hence its index).
 *
 * The ids must come in commit order, or a reader that has seen id 6 would skip a 5 committed after
 * it. SQLite gives that by itself (one writer at a time; AUTOINCREMENT never reuses an id, even after
 * the newest row was deleted). PostgreSQL does not: a sequence hands out ids at insert time and
 * transactions commit in any order. So on PostgreSQL a BEFORE INSERT trigger first takes a
 * transaction-scoped advisory lock, then draws the id: the next insert waits for the lock until
 * this one has committed, and draws a larger id. The same trigger sends `NOTIFY gatehouse_events`
 * with the id, which PostgreSQL delivers if and when the insert commits. A trigger rather than the
 * publishing statement doing it: an insert from anywhere (another program, a database shell) is
 * ordered and announced the same way, and the lock is taken before the id is drawn, which the
 * evaluation order of one statement's parts would not promise.
 */
export const eventLog = (dialect: Dialect): Migration => ({
  async up(db) {
    const isPostgres = dialect === 'postgres';
    await db.schema
      .createTable('event_log')
      // PostgreSQL: no column default; the trigger below draws the id (a default would draw one before it, wasted).
      .addColumn('id', isPostgres ? 'bigint' : 'integer', (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('published_at', isPostgres ? 'timestamptz' : 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('event_log_published_at').on('event_log').column('published_at').execute();
    if (!isPostgres) return;
    await sql`create sequence event_log_id owned by event_log.id`.execute(db);
    await sql`
      create function gatehouse_event_log_insert() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(hashtext('gatehouse.event_log'));
        new.id := nextval('event_log_id');
        perform pg_notify('gatehouse_events', new.id::text);
        return new;
      end
      $$`.execute(db);
    await sql`
      create trigger event_log_insert before insert on event_log
      for each row execute function gatehouse_event_log_insert()`.execute(db);
  },
  async down(db) {
    await db.schema.dropTable('event_log').ifExists().execute();
    if (dialect === 'postgres') await sql`drop function if exists gatehouse_event_log_insert()`.execute(db);
  },
});
