// The store: gatehouse's one open database, SQLite or PostgreSQL as DATABASE_URL says, and the one
// place that decides what opening it brings: the Kysely instance every repository uses, the
// credential lookups authentication reads through (cached unless the cache size is 0), and on a
// SQLite file the watcher. How each dialect is opened is sqlite.ts's and postgres.ts's decision;
// bringing the schema up to date is migrate.ts's (re-exported here, with StoreError, as the store's
// entry point); classifying a failed query is failures.ts's.
import { sql } from 'kysely';
import type { DatabaseConfig } from '../config';
import type { CredentialLookups, PostgresSignalOptions } from './credential-lookups';
import { openPostgres, type PoolStats } from './postgres';
import type { Db, Dialect } from './schema';
import { openSqlite, type SqliteWatcher } from './sqlite';

export { type ApplicationMigrations, migrateApplication, migrateToLatest, StoreError } from './migrate';
export type { Db } from './schema';
export type { SqliteWatcher } from './sqlite';

/** An open connection to gatehouse's database, SQLite or PostgreSQL. */
export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** The reads authentication makes on every request, fresh and cached: src/store/credential-lookups.ts. */
  readonly lookups: CredentialLookups;
  /** SQLite on a file: synchronous reads on the store's watcher connection. Undefined on PostgreSQL and in memory. */
  readonly watcher?: SqliteWatcher;
  /** PostgreSQL's connection pool as it is now (the /metrics gauge); undefined on SQLite. */
  readonly poolStats?: () => PoolStats;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a dialect's opener hands the store; only a SQLite file comes with a watcher. */
export type { PoolStats };

interface Opened {
  readonly db: Db;
  readonly lookups: CredentialLookups;
  readonly poolStats?: () => PoolStats;
  readonly watcher?: SqliteWatcher;
  readonly closeWatcher?: () => void;
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
  const { db, lookups, watcher, closeWatcher, poolStats }: Opened =
    config.dialect === 'sqlite' ? openSqlite(config.path, cacheSize) : openPostgres(config.url, cacheSize, options.onListener);
  let closed = false;
  return {
    db,
    dialect: config.dialect,
    lookups,
    ...(watcher === undefined ? {} : { watcher }),
    ...(poolStats === undefined ? {} : { poolStats }),
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
