import { type Migration, sql } from 'kysely';
import type { Dialect } from '../schema';

/**
 * Organizations (tenants) and their members (src/store/organizations.ts). A membership is one row
 * per (organization, user) holding the user's one organization role there; deleting a user or an
 * organization deletes its memberships. The role is free text: the application declares its
 * `OrganizationRole` values in its SDL, and only GraphQL's enum decides which are valid.
 *
 * A caller's memberships are read with their user row by the credential lookups
 * (src/store/credential-reads.ts), so on PostgreSQL every change to a membership (insert included:
 * a new member must be seen on the next request) notifies `gatehouse_credentials` as a change of
 * that user, in the changing transaction, like migration 2026-11-29T03-00_credential-notify's
 * trigger. SQLite needs nothing: its cache watches `PRAGMA data_version`.
 */
export const organizations = (dialect: Dialect): Migration => ({
  async up(db) {
    const timestamp = dialect === 'postgres' ? 'timestamptz' : 'text';
    await db.schema
      .createTable('organizations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('memberships')
      .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('memberships_pkey', ['organization_id', 'user_id'])
      .execute();
    await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();
    if (dialect !== 'postgres') return;
    await sql`
      create function gatehouse_notify_membership_change() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          perform pg_notify('gatehouse_credentials', 'users:' || old.user_id);
        else
          perform pg_notify('gatehouse_credentials', 'users:' || new.user_id);
          if tg_op = 'UPDATE' and old.user_id <> new.user_id then
            perform pg_notify('gatehouse_credentials', 'users:' || old.user_id);
          end if;
        end if;
        return null;
      end
      $$`.execute(db);
    await sql`
      create trigger memberships_notify_credential_change
      after insert or update or delete on memberships
      for each row execute function gatehouse_notify_membership_change()`.execute(db);
  },
  async down(db) {
    if (dialect === 'postgres') {
      await sql`drop trigger if exists memberships_notify_credential_change on memberships`.execute(db);
      await sql`drop function if exists gatehouse_notify_membership_change()`.execute(db);
    }
    await db.schema.dropTable('memberships').ifExists().execute();
    await db.schema.dropTable('organizations').ifExists().execute();
  },
});
