import { type Migration, sql } from 'kysely';
import type { Dialect } from '../schema';

/**
 * A user holds any set of roles (issue 23): `user_roles` (user_id, role, granted_at), one row per
 * granted role, replaces `users.role` and its CHECK that pinned the roles to USER and ADMIN (an
 * application declares its own in `enum Role`; the services hold grants to those). Every user's
 * role becomes its one row, granted when the account was created; then the column goes. Nothing
 * else changes: ids, sessions and keys stay.
 *
 * PostgreSQL: a grant or revoke is a change to the user for the credential cache, so the trigger
 * notifies `gatehouse_credentials` with `users:<user_id>` (as migration
 * 2026-11-29T03-00_credential-notify does for `users` rows), inserts included: a grant must reach
 * every instance's cache on the next request. SQLite's cache watches `PRAGMA data_version`, which
 * any commit changes.
 */
export const userRoles = (dialect: Dialect): Migration => ({
  async up(db) {
    const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
    await db.schema
      .createTable('user_roles')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('granted_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('user_roles_pkey', ['user_id', 'role'])
      .execute();
    // "Is there another ADMIN?" reads the role's rows, not every user's.
    await db.schema.createIndex('user_roles_role').on('user_roles').columns(['role', 'user_id']).execute();
    await sql`insert into user_roles (user_id, role, granted_at) select id, role, created_at from users`.execute(db);
    // SQLite drops a column whose CHECK is its own (the initial migration's) in place.
    await sql`alter table users drop column role`.execute(db);
    if (dialect !== 'postgres') return;
    await sql`
      create function gatehouse_notify_user_roles_change() returns trigger language plpgsql as $$
      begin
        perform pg_notify('gatehouse_credentials', 'users:' || (case when tg_op = 'DELETE' then old.user_id else new.user_id end));
        return null;
      end
      $$`.execute(db);
    await sql`
      create trigger user_roles_notify_credential_change
      after insert or update or delete on user_roles
      for each row execute function gatehouse_notify_user_roles_change()`.execute(db);
  },
  async down(db) {
    // Back to one role per user: ADMIN for whoever holds it, USER for everyone else.
    await sql`alter table users add column role text not null default 'USER' check (role in ('USER', 'ADMIN'))`.execute(db);
    await sql`update users set role = 'ADMIN' where id in (select user_id from user_roles where role = 'ADMIN')`.execute(db);
    if (dialect === 'postgres') {
      await sql`drop trigger if exists user_roles_notify_credential_change on user_roles`.execute(db);
      await sql`drop function if exists gatehouse_notify_user_roles_change()`.execute(db);
    }
    await db.schema.dropTable('user_roles').execute();
  },
});
