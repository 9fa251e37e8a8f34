import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  type QueryResult,
  sql,
  SqliteAdapter,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely';
import { Pool } from 'pg';
import type { DatabaseConfig } from '../config';
import { migrationsFor } from './migrations';
import {
  cachedLookups,
  type CredentialLookups,
  postgresChangeSignal,
  type PostgresSignalOptions,
  postgresReads,
  sqliteChangeSignal,
  sqliteReads,
  uncachedLookups,
} from './credential-lookups';
import type { Database, Db, Dialect } from './schema';

export type { Db } from './schema';

/** An open connection to gatehouse's database, SQLite or PostgreSQL. */
export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** The reads authentication makes on every request, fresh and cached: src/store/credential-lookups.ts. */
  readonly lookups: CredentialLookups;
  /** SQLite on a file: synchronous reads on the store's watcher connection. Undefined on PostgreSQL and in memory. */
  readonly watcher?: SqliteWatcher;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Reads on a connection of the store's own to the SQLite file that never writes, so they see only
 * committed rows and `dataVersion` changes whenever any connection, this process's included,
 * commits. The credential cache and the event bus (src/subscriptions/event-bus.ts) share it; it is
 * opened on first use when the cache is off.
 */
export interface SqliteWatcher {
  /** `PRAGMA data_version`. */
  dataVersion(): number;
  /** The newest id in the event log, 0 when empty: where an event bus begins, at the moment it is asked. */
  latestEventId(): number;
}

/** The database cannot be used as it is; the message says why and what to do. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface StoreOptions {
  /**
   * Users and API keys (each) kept by the credential cache; 0 turns it off (and, on PostgreSQL,
   * opens no listening connection: what the command-line tools use). Default 10,000.
   */
  readonly credentialCacheSize?: number;
  /** Told when PostgreSQL's listening connection is lost and back (the server logs it). */
  readonly onListener?: PostgresSignalOptions['log'];
}

export function openStore(config: DatabaseConfig, options: StoreOptions = {}): Store {
  const cacheSize = options.credentialCacheSize ?? 10_000;
  const { db, lookups, watcher, closeWatcher } =
    config.dialect === 'sqlite' ? openSqlite(config.path, cacheSize) : openPostgres(config.url, cacheSize, options.onListener);
  let closed = false;
  return {
    db,
    dialect: config.dialect,
    lookups,
    ...(watcher === undefined ? {} : { watcher }),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await lookups.close();
      closeWatcher?.();
      await db.destroy();
    },
  };
}

interface Opened {
  readonly db: Db;
  readonly lookups: CredentialLookups;
  readonly watcher?: SqliteWatcher;
  readonly closeWatcher?: () => void;
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
  const uncached = (): Opened => ({
    db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database }) }),
    lookups: uncachedLookups(sqliteReads(database)),
  });
  // An in-memory database has one connection, and nothing else can change it: no cache, no watcher.
  if (journalMode !== 'wal' || database.memory) return uncached();
  // The watcher: a connection that watches data_version and makes the cached lookups' reads, which
  // then see only committed rows (never those of a transaction the main connection has open).
  let connection: SQLite.Database | undefined;
  const openWatcher = (): SQLite.Database => {
    if (connection === undefined) {
      connection = new SQLite(path, { readonly: true });
      connection.pragma('busy_timeout = 5000');
    }
    return connection;
  };
  let dataVersion: SQLite.Statement<[], number> | undefined;
  let latestEventId: SQLite.Statement<[], number> | undefined;
  const watcher: SqliteWatcher = {
    dataVersion: () => (dataVersion ??= openWatcher().prepare<[], number>('PRAGMA data_version').pluck()).get() as number,
    latestEventId: () =>
      (latestEventId ??= openWatcher().prepare<[], number>('select coalesce(max(id), 0) from event_log').pluck()).get() as number,
  };
  const closeWatcher = (): void => {
    connection?.close();
  };
  if (credentialCacheSize <= 0) return { ...uncached(), watcher, closeWatcher };
  const signal = sqliteChangeSignal(watcher.dataVersion);
  return {
    db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database }, signal.bump) }),
    lookups: cachedLookups(sqliteReads(openWatcher()), signal, credentialCacheSize),
    watcher,
    closeWatcher,
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
  readonly #afterWrite: (() => void) | undefined;

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], afterWrite?: () => void) {
    super(config);
    this.#afterWrite = afterWrite;
  }

  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    return this.#afterWrite === undefined ? driver : new WriteReportingDriver(driver, this.#afterWrite);
  }
}

/** Only these run without writing; anything else (writes, BEGIN, COMMIT, DDL) reports a write. */
const isRead = (query: CompiledQuery): boolean =>
  query.query.kind === 'SelectQueryNode' || (query.query.kind === 'RawNode' && /^\s*(select|pragma)\b/i.test(query.sql));

/**
 * Calls `afterWrite` when every statement that may have changed the database has finished, and
 * after every COMMIT (SqliteDriver commits through the connection's executeQuery): the credential
 * cache then drops what it holds without waiting for its next data_version check.
 */
class WriteReportingDriver implements Driver {
  readonly #inner: Driver;
  readonly #afterWrite: () => void;

  constructor(inner: Driver, afterWrite: () => void) {
    this.#inner = inner;
    this.#afterWrite = afterWrite;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#inner.acquireConnection();
    const afterWrite = this.#afterWrite;
    return {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        if (isRead(query)) return connection.executeQuery<R>(query);
        try {
          return await connection.executeQuery<R>(query);
        } finally {
          afterWrite();
        }
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
    };
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    await this.#inner.savepoint?.(connection, name, compile);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2],
  ): Promise<void> {
    await this.#inner.rollbackToSavepoint?.(connection, name, compile);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['releaseSavepoint']>>[2],
  ): Promise<void> {
    await this.#inner.releaseSavepoint?.(connection, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

function openPostgres(url: string, credentialCacheSize: number, onListener: PostgresSignalOptions['log']): Opened {
  // A bounded wait for a connection: with the database unreachable, requests fail (503) instead of queueing forever.
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // A client that loses its connection emits 'error'; without a listener it would crash the process.
  // The pool listens only while a client is idle, so a client checked out when the database goes
  // away (a transaction between statements, say) needs one of its own; the query in flight, if any,
  // fails on its own and is answered as an outage.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const reads = postgresReads(pool);
  const lookups =
    credentialCacheSize > 0
      ? cachedLookups(reads, postgresChangeSignal(url, onListener === undefined ? {} : { log: onListener }), credentialCacheSize)
      : uncachedLookups(reads);
  return { db, lookups };
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

/** Connection-level failures: the database (or the network to it) is down, not the query wrong. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when `error` says the database cannot be reached now, so the request may succeed later
 * (the edge answers 503 with Retry-After): a refused or broken connection, PostgreSQL shutting
 * down or starting up (57P01–57P03) or any connection exception (class 08), pg's own "Connection
 * terminated" and connect timeouts; on SQLite, a lock held by another process beyond the busy
 * timeout (SQLITE_BUSY*). Anything else is a bug or bad data, not an outage.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code) || code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08')) return true;
    if (code.startsWith('SQLITE_BUSY')) return true;
  }
  const message = error instanceof Error ? error.message : '';
  if (
    /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not open/.test(
      message,
    )
  )
    return true;
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnreachable)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isDatabaseUnreachable(cause);
}
