import { type Migration, sql } from 'kysely';
import type { Dialect } from '../schema';

/** Timestamps: timestamptz in PostgreSQL, ISO-8601 TEXT in SQLite (see store/schema.ts). */
export const initial = (dialect: Dialect): Migration => ({
  async up(db) {
    const isPostgres = dialect === 'postgres';
    const ts = isPostgres ? 'timestamptz' : 'text';

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('email_normalized', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text')
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('USER', 'ADMIN')`))
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('disabled_at', ts)
      .execute();
    await db.schema.createIndex('users_created_at_id').on('users').columns(['created_at', 'id']).execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts)
      .addColumn('last_used_at', ts)
      .addColumn('revoked_at', ts)
      .execute();
    await db.schema.createIndex('api_keys_user_id').on('api_keys').columns(['user_id', 'created_at']).execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('family_id', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('used_at', ts)
      .addColumn('revoked_at', ts)
      .execute();
    await db.schema.createIndex('refresh_tokens_family_id').on('refresh_tokens').column('family_id').execute();
    await db.schema.createIndex('refresh_tokens_user_id').on('refresh_tokens').column('user_id').execute();

    // This migration created a `notes` table too, from when notes were part of gatehouse. It moved to
    // the notes example's own migration (examples/notes/migrations.ts, `if not exists` with the same
    // columns), so a database migrated before keeps its table and notes, and a new one gets the
    // table only with the example. Nothing else here changed: a database that ran this migration
    // holds what it held.

    await db.schema
      .createTable('login_failures')
      .addColumn('id', isPostgres ? 'bigserial' : 'integer', (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('account_key', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('failed_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('login_failures_account').on('login_failures').columns(['account_key', 'failed_at']).execute();
    await db.schema.createIndex('login_failures_address').on('login_failures').columns(['address', 'failed_at']).execute();
  },

  async down(db) {
    // `notes`: databases migrated before the table moved to the example hold it (see up).
    for (const table of ['login_failures', 'notes', 'refresh_tokens', 'api_keys', 'users']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
});
