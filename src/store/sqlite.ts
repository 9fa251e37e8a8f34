// How gatehouse opens a SQLite file, and what it decides doing so: WAL journaling (readers proceed
// during a write), asked again while another process starting on the same new file holds the lock it
// needs; a 5 s busy timeout (a second process waits for a lock instead of failing); foreign keys on.
// On a file in WAL mode it also opens the watcher: a read-only connection of the store's own that
// sees only committed rows and a `data_version` that changes on every commit, this process's
// included. The credential cache reads through it (credential-lookups.ts); an in-memory database
// has one connection that nothing else can change, so it gets no cache and no watcher.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { cachedLookups, type CredentialLookups, sqliteChangeSignal, uncachedLookups } from './credential-lookups';
import { sqliteReads } from './credential-reads';
import type { Database, Db } from './schema';
import { LockingSqliteDialect } from './sqlite-dialect';

/**
 * Reads on a connection of the store's own to the SQLite file that never writes, so they see only
 * committed rows and `dataVersion` changes whenever any connection, this process's included,
 * commits. The credential cache and the event bus (src/events/sqlite-waker.ts) share it; it is
 * opened on first use when the cache is off.
 */
export interface SqliteWatcher {
  /** `PRAGMA data_version`. */
  dataVersion(): number;
  /** The newest id in the event log, 0 when empty: where an event bus begins, at the moment it is asked. */
  latestEventId(): number;
}

/** An open SQLite database: its Kysely instance, its credential lookups and, on a WAL file, its watcher. */
export interface OpenedSqlite {
  readonly db: Db;
  readonly lookups: CredentialLookups;
  readonly watcher?: SqliteWatcher;
  readonly closeWatcher?: () => void;
}

export function openSqlite(path: string, credentialCacheSize: number): OpenedSqlite {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  const journalMode = enableWal(database);
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  const uncached = (): OpenedSqlite => ({
    db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database }) }),
    lookups: uncachedLookups(sqliteReads(database)),
  });
  if (journalMode !== 'wal' || database.memory) return uncached();
  const { watcher, connection, closeWatcher } = openWatcher(path);
  if (credentialCacheSize <= 0) return { ...uncached(), watcher, closeWatcher };
  const signal = sqliteChangeSignal(watcher.dataVersion);
  return {
    db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database }, signal.bump) }),
    lookups: cachedLookups(sqliteReads(connection()), signal, credentialCacheSize),
    watcher,
    closeWatcher,
  };
}

/** The watcher on `path`, its connection opened on first use (`connection`), and how to close it. */
function openWatcher(path: string): { watcher: SqliteWatcher; connection: () => SQLite.Database; closeWatcher: () => void } {
  let opened: SQLite.Database | undefined;
  const connection = (): SQLite.Database => {
    if (opened === undefined) {
      opened = new SQLite(path, { readonly: true });
      opened.pragma('busy_timeout = 5000');
    }
    return opened;
  };
  let dataVersion: SQLite.Statement<[], number> | undefined;
  let latestEventId: SQLite.Statement<[], number> | undefined;
  const watcher: SqliteWatcher = {
    dataVersion: () => (dataVersion ??= connection().prepare<[], number>('PRAGMA data_version').pluck()).get() as number,
    latestEventId: () =>
      (latestEventId ??= connection().prepare<[], number>('select coalesce(max(id), 0) from event_log').pluck()).get() as number,
  };
  return { watcher, connection, closeWatcher: () => opened?.close() };
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
