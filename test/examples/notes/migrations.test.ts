import { type Kysely, sql } from 'kysely';
import * as notes from '../../../examples/notes';
import { createGatehouse } from '../../../src/index';
import { migrateApplication, migrateToLatest, openStore, type Store } from '../../../src/store/database';
import type { Dialect } from '../../../src/store/schema';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../../helpers/databases';
import { randomSecret } from '../../helpers/http';
import { aUser } from '../../helpers/store';

/*
 * The notes table moved from gatehouse's first migration to the example's own
 * (examples/notes/migrations.ts). A database migrated before keeps its notes; a new one gets the
 * table only with the example, and then the very same table.
 */

/** What gatehouse's first migration created before the move (its notes part, word for word). */
async function notesAsGatehouseCreatedThem(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  await db.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('author_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull().check(sql`visibility in ('PUBLIC', 'PRIVATE')`))
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notes_created_at_id').on('notes').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('notes_author_id').on('notes').columns(['author_id', 'created_at']).execute();
}

/** The notes table's columns, indexes, checks and foreign keys, as the database describes them. */
async function notesShape(db: Kysely<any>, dialect: Dialect): Promise<unknown> {
  const rows = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows;
  if (dialect === 'sqlite') {
    return {
      columns: await rows(sql`select name, type, "notnull", pk from pragma_table_info('notes') order by cid`),
      indexes: await rows(sql`select name, sql from sqlite_master where type = 'index' and tbl_name = 'notes' order by name`),
      foreignKeys: await rows(sql`select "table", "from", "to", on_delete from pragma_foreign_key_list('notes')`),
      checks: (await rows(sql`select sql from sqlite_master where type = 'table' and name = 'notes'`)).map((r) =>
        String((r as { sql: string }).sql).match(/check\s*\(.*?\)\)/gi),
      ),
    };
  }
  return {
    columns: await rows(
      sql`select column_name, data_type, is_nullable from information_schema.columns where table_name = 'notes' order by ordinal_position`,
    ),
    indexes: await rows(sql`select indexname, indexdef from pg_indexes where tablename = 'notes' order by indexname`),
    constraints: await rows(
      sql`select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'notes'::regclass order by conname`,
    ),
  };
}

const hasNotesTable = async (db: Kysely<any>): Promise<boolean> =>
  sql`select count(*) from notes`.execute(db).then(
    () => true,
    () => false,
  );

describe.each(databasesUnderTest())('the notes example’s own table on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config, { credentialCacheSize: 0 });
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('a new database without the example has no notes table', async () => {
    await migrateToLatest(store);
    expect(await hasNotesTable(store.db)).toBe(false);
  });

  it('a new database with the example gets the table gatehouse used to create, column for column', async () => {
    await migrateToLatest(store);
    expect(await migrateApplication(store, notes.migrations)).toEqual(['2026-12-06T00-00_notes', '2026-12-07T01-00_organization-notes']);
    const made = await notesShape(store.db, dialect);
    await sql`drop table notes`.execute(store.db);
    await notesAsGatehouseCreatedThem(store.db, dialect);
    // Then the example's later migration (a note's organization), as on every database.
    await notes.migrations(dialect)['2026-12-07T01-00_organization-notes']?.up(store.db);
    expect(made).toEqual(await notesShape(store.db, dialect));
  });

  it('a database migrated before the move keeps its notes when the example starts on it', async () => {
    // The database as the previous version left it: gatehouse's migrations, its notes table, a note.
    await migrateToLatest(store);
    await notesAsGatehouseCreatedThem(store.db, dialect);
    const author = await aUser(store.db, { email: 'old@example.com' });
    await sql`insert into notes (id, author_id, title, body, visibility, created_at)
              values ('old-note', ${author.id}, 'written before the move', 'kept', 'PUBLIC', ${new Date().toISOString()})`.execute(
      store.db,
    );
    // The shape expected after the example's migrations: the old table plus a note's organization.
    await notes.migrations(dialect)['2026-12-07T01-00_organization-notes']?.up(store.db);
    const before = await notesShape(store.db, dialect);
    await notes.migrations(dialect)['2026-12-07T01-00_organization-notes']?.down?.(store.db);

    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrlOf(database.config),
      JWT_SECRET: randomSecret(),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    };
    const gatehouse = await createGatehouse({ ...notes, env });
    try {
      const url = await gatehouse.listen();
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ notes { totalCount edges { node { id title author { id } } } } }' }),
      });
      expect(await response.json()).toEqual({
        data: {
          notes: { totalCount: 1, edges: [{ node: { id: 'old-note', title: 'written before the move', author: { id: author.id } } }] },
        },
      });
    } finally {
      await gatehouse.close();
    }
    const recorded = await sql<{ name: string }>`select name from app_migrations`.execute(store.db);
    expect(recorded.rows.map((r) => r.name)).toEqual(['2026-12-06T00-00_notes', '2026-12-07T01-00_organization-notes']);
    expect(await notesShape(store.db, dialect)).toEqual(before);
  });
});
