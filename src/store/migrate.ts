// Brings a database's schema up to date, and decides when not to: a database migrated by a newer
// gatehouse (migrations this version does not know) is refused rather than run against. Safe to run
// again and from several processes at once: Kysely's migrator takes a lock (on SQLite the one
// sqlite-dialect.ts adds; Kysely's own is a no-op there). An application's own migrations run after
// gatehouse's, each set in its own migration table (so names never clash), and under the same lock:
// Kysely's PostgreSQL adapter takes one advisory lock whatever the table, and on SQLite the lock is
// a write lock on the whole file. Each set takes it in turn, gatehouse's first.
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
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

/**
 * An application's Kysely migrations: by name (run in the order the names sort, as Kysely does), a
 * Kysely `MigrationProvider` (e.g. `FileMigrationProvider`), or a function of the dialect giving
 * either, for DDL that differs between SQLite and PostgreSQL.
 */
export type ApplicationMigrations =
  | Readonly<Record<string, Migration>>
  | MigrationProvider
  | ((dialect: Dialect) => Readonly<Record<string, Migration>> | MigrationProvider);

/** The Kysely migration table that records an application's migrations (and its lock table). */
export const APPLICATION_MIGRATION_TABLE = 'app_migrations';

const isProvider = (value: object): value is MigrationProvider =>
  typeof (value as { getMigrations?: unknown }).getMigrations === 'function';

function providerOf(migrations: ApplicationMigrations, dialect: Dialect): MigrationProvider {
  const given = typeof migrations === 'function' ? migrations(dialect) : migrations;
  return isProvider(given) ? given : { getMigrations: async () => ({ ...given }) };
}

/**
 * Runs an application's migrations not yet run, in their own table (APPLICATION_MIGRATION_TABLE)
 * and under the migration lock; call it after `migrateToLatest`. Resolves to the names it applied.
 * A failed migration, or one run before that the application no longer has, is a StoreError.
 */
export async function migrateApplication(
  store: { readonly db: Db; readonly dialect: Dialect },
  migrations: ApplicationMigrations,
): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: providerOf(migrations, store.dialect),
    migrationTableName: APPLICATION_MIGRATION_TABLE,
    migrationLockTableName: `${APPLICATION_MIGRATION_TABLE}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const which = failed === undefined ? '' : ` ${failed}`;
    throw new StoreError(`Application migration${which} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
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
