// Brings a database's schema up to date, and decides when not to: a database migrated by a newer
// gatehouse (migrations this version does not know) is refused rather than run against. Safe to run
// again and from several processes at once: Kysely's migrator takes a lock (on SQLite the one
// sqlite-dialect.ts adds; Kysely's own is a no-op there).
import { Migrator, sql } from 'kysely';
import { migrationsFor } from './migrations';
import type { Db, Dialect } from './schema';

/** The database cannot be used as it is; the message says why and what to do. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/**
 * Brings the schema up to date. Safe to run again and from several processes at once (the
 * migrator takes a lock). Refuses a database that has run migrations this version does not know.
 */
export async function migrateToLatest(store: { readonly db: Db; readonly dialect: Dialect }): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrationsFor(store.dialect) },
  });
  const known = Object.keys(migrationsFor(store.dialect));
  const stranger = await appliedMigrationNames(store.db).then((names) => names.filter((n) => !known.includes(n)));
  if (stranger.length > 0) {
    throw new StoreError(
      `The database was migrated by a newer gatehouse (unknown migrations: ${stranger.join(', ')}). ` +
        'Run that version, or restore a backup made before it ran.',
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new StoreError(`Migration failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function appliedMigrationNames(db: Db): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.rows.map((r) => r.name);
  } catch {
    return []; // No migration table yet: a new database.
  }
}
