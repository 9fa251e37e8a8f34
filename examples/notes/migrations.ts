// The notes table, the example's own: run by gatehouse after its own migrations (createGatehouse's
// `migrations`, `gatehouse migrate MODULE`), recorded in the application's migration table.
//
// Databases migrated before this file existed already hold the table: gatehouse's first migration
// created it, from when notes were part of gatehouse. So every statement here is `if not exists`
// with that migration's exact columns and indexes: on such a database it changes nothing and keeps
// every note; on a new one it creates what the old migration did.
import { type Migration, sql } from 'kysely';

/** Timestamps: timestamptz in PostgreSQL, ISO-8601 TEXT in SQLite (what store.ts reads back). */
export function migrations(dialect: 'sqlite' | 'postgres'): Record<string, Migration> {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    '2026-12-06T00-00_notes': {
      async up(db) {
        await db.schema
          .createTable('notes')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('author_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('visibility', 'text', (c) => c.notNull().check(sql`visibility in ('PUBLIC', 'PRIVATE')`))
          .addColumn('created_at', ts, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('notes_created_at_id').ifNotExists().on('notes').columns(['created_at', 'id']).execute();
        await db.schema.createIndex('notes_author_id').ifNotExists().on('notes').columns(['author_id', 'created_at']).execute();
      },
      async down(db) {
        await db.schema.dropTable('notes').ifExists().execute();
      },
    },
    // A note may belong to an organization (gatehouse's organizations table): readable by its
    // members only, through the fields that name the organization (schema.graphql). Deleting the
    // organization deletes its notes.
    '2026-12-07T01-00_organization-notes': {
      async up(db) {
        await db.schema
          .alterTable('notes')
          .addColumn('organization_id', 'text', (c) => c.references('organizations.id').onDelete('cascade'))
          .execute();
        await db.schema.createIndex('notes_organization').on('notes').columns(['organization_id', 'created_at', 'id']).execute();
      },
      async down(db) {
        await db.schema.dropIndex('notes_organization').ifExists().execute();
        await db.schema.alterTable('notes').dropColumn('organization_id').execute();
      },
    },
  };
}
