import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type DialectAdapter, Kysely, Migrator, PostgresDialect, sql, SqliteAdapter, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import type { DatabaseConfig } from '../config';
import { type Dialect, migrationsFor } from './migrations';
import { cachedLookups, type CredentialLookups, kyselyLookups, sqliteLookups } from './credential-lookups';
import type { Database } from './schema';
import { walIndexBinding, watchCommits } from './wal-index';

export type Db = Kysely<Database>;

/** An open connection to gatehouse's database, SQLite or PostgreSQL. */
export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** The reads authentication makes on every request, as fast as the dialect allows. */
  readonly lookups: CredentialLookups;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The database cannot be used as it is; the message says why and what to do. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface StoreOptions {
  /**
   * Users and API keys (each) kept by the SQLite credential cache; 0 turns it off. Default 10,000.
   * PostgreSQL reads on every request whatever this says.
   */
  readonly credentialCacheSize?: number;
}

export function openStore(config: DatabaseConfig, options: StoreOptions = {}): Store {
  const cacheSize = options.credentialCacheSize ?? 10_000;
  const { db, lookups, release } = config.dialect === 'sqlite' ? openSqlite(config.path, cacheSize) : openPostgres(config.url);
  let closed = false;
  return {
    db,
    dialect: config.dialect,
    lookups,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      // First: the wal-index mapping is only safe while this store's connection is open.
      release();
      await db.destroy();
    },
  };
}

interface Opened {
  readonly db: Db;
  readonly lookups: CredentialLookups;
  /** Frees what the store holds besides the Kysely instance. */
  readonly release: () => void;
}

function openSqlite(path: string, credentialCacheSize: number): Opened {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  // WAL lets readers proceed during a write; busy_timeout makes a second process wait for a lock
  // instead of failing; foreign keys are off by default in SQLite.
  const journalMode = enableWal(database);
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // The credential cache needs the wal-index to see other processes' commits: a file in WAL mode.
  // An in-memory database has one connection and no wal-index; it reads every time.
  // Without the native wal-index reader there is no cheap signal either: no cache.
  const commits =
    journalMode === 'wal' && !database.memory && credentialCacheSize > 0 && walIndexBinding !== undefined ? watchCommits(database.name) : undefined;
  const direct = sqliteLookups(database);
  return {
    db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database }) }),
    lookups:
      commits === undefined
        ? direct
        : cachedLookups(direct, { check: () => commits.check(), inTransaction: () => database.inTransaction }, credentialCacheSize),
    release: () => commits?.close(),
  };
}

/** How long start-up keeps asking for WAL mode while another process holds the lock it needs. */
const WAL_SWITCH_TIMEOUT_MS = 5_000;

/**
 * `PRAGMA journal_mode = WAL`, asked again while SQLite answers SQLITE_BUSY. Two processes
 * starting at once on a new file sometimes got "database is locked" from it straight away, busy
 * timeout notwithstanding (2 of 250 starts with the CPU busy, here). Blocking sleeps: it runs once, at
 * start-up, before anything else uses the event loop.
 */
function enableWal(database: SQLite.Database): unknown {
  const deadline = Date.now() + WAL_SWITCH_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return database.pragma('journal_mode = WAL', { simple: true });
    } catch (error) {
      const busy = error instanceof SQLite.SqliteError && error.code.startsWith('SQLITE_BUSY');
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 40));
    }
  }
}

/**
 * Kysely's SQLite migration lock is a no-op (it assumes one process). Two gatehouse processes
 * starting on one file would both run the first migration; holding a write lock (BEGIN IMMEDIATE)
 * from reading the migration table until the last migration is done makes the second one wait and
 * then find nothing left to do.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  #locked = false;

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`begin immediate`.execute(db);
    this.#locked = true;
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    if (!this.#locked) return; // BEGIN failed (busy beyond busy_timeout): nothing to end.
    this.#locked = false;
    await sql`commit`.execute(db);
  }
}

class LockingSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }
}

function openPostgres(url: string): Opened {
  const pool = new Pool({ connectionString: url, max: 10 });
  // An idle client that loses its connection emits 'error'; without a listener it would crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const lookups = kyselyLookups(db);
  return { db, lookups, release: () => undefined };
}

/**
 * Brings the schema up to date. Safe to run again and from several processes at once (the
 * migrator takes a lock). Refuses a database that has run migrations this version does not know.
 */
export async function migrateToLatest(store: Store): Promise<string[]> {
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

/** True for a unique-constraint violation in either database. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
