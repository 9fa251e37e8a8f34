// How gatehouse opens PostgreSQL, and what it decides doing so: a pool of 10 whose wait for a
// connection is bounded (5 s), so that with the database unreachable requests fail (503) instead of
// queueing forever; connection errors that would otherwise crash the process are absorbed (the query
// in flight fails on its own and is answered as an outage); and the credential cache listens for
// changes on a connection of its own (credential-lookups.ts), unless the cache is off.
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import {
  cachedLookups,
  type CredentialLookups,
  postgresChangeSignal,
  type PostgresSignalOptions,
  uncachedLookups,
} from './credential-lookups';
import { postgresReads } from './credential-reads';
import type { Database, Db } from './schema';

/** Connections of a pool: open, idle, and clients waiting for one. */
export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

export function openPostgres(
  url: string,
  credentialCacheSize: number,
  onListener: PostgresSignalOptions['log'],
): { readonly db: Db; readonly lookups: CredentialLookups; readonly poolStats: () => PoolStats } {
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // A client that loses its connection emits 'error'; without a listener it would crash the process.
  // The pool listens only while a client is idle, so a client checked out when the database goes
  // away (a transaction between statements, say) needs one of its own.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const reads = postgresReads(pool);
  const lookups =
    credentialCacheSize > 0
      ? cachedLookups(reads, postgresChangeSignal(url, onListener === undefined ? {} : { log: onListener }), credentialCacheSize)
      : uncachedLookups(reads);
  return { db, lookups, poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }) };
}
