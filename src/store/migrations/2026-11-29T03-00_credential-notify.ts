import { type Migration, sql } from 'kysely';
import type { Dialect } from '../schema';

/**
 * PostgreSQL: every change to a row of `users` or `api_keys` (any column, including columns added
 * later; deletes too) notifies `gatehouse_credentials` with `<table>:<id>`, in the changing
 * transaction, so the notification goes out if and only if the change commits. The credential cache
 * of every instance listens (src/store/credential-lookups.ts). Inserts need none: unknown rows are
 * never cached. SQLite needs nothing: its cache watches `PRAGMA data_version`.
 */
export const credentialNotify = (dialect: Dialect): Migration => ({
  async up(db) {
    if (dialect !== 'postgres') return;
    await sql`
      create function gatehouse_notify_credential_change() returns trigger language plpgsql as $$
      begin
        perform pg_notify('gatehouse_credentials', tg_table_name || ':' || old.id);
        return null;
      end
      $$`.execute(db);
    for (const table of ['users', 'api_keys']) {
      await sql`
        create trigger ${sql.raw(`${table}_notify_credential_change`)}
        after update or delete on ${sql.table(table)}
        for each row execute function gatehouse_notify_credential_change()`.execute(db);
    }
  },
  async down(db) {
    if (dialect !== 'postgres') return;
    for (const table of ['users', 'api_keys'])
      await sql`drop trigger if exists ${sql.raw(`${table}_notify_credential_change`)} on ${sql.table(table)}`.execute(db);
    await sql`drop function if exists gatehouse_notify_credential_change()`.execute(db);
  },
});
