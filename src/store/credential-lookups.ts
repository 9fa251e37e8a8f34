import type SQLite from 'better-sqlite3';
import { type ApiKeyRecord, findApiKeyBySecretHash, KEY_COLUMNS, toApiKey } from './api-keys';
import type { Db } from './database';
import type { ApiKeyRow, UserRow } from './schema';
import type { CommitCheck } from './wal-index';
import { findUserById, USER_COLUMNS, toUser, type UserRecord } from './users';

export interface KeyWithOwner {
  readonly key: ApiKeyRecord;
  readonly owner: UserRecord;
}

export interface CredentialCacheStats {
  /** Lookups answered from the cache. */
  readonly hits: number;
  /** Lookups that read the database. */
  readonly misses: number;
  /** Times the database was asked whether anything was committed since the last time. */
  readonly checks: number;
  /** Users and keys held now. */
  readonly entries: number;
}

/** A request's place in the order requests arrived in (see CredentialLookups.arrive). */
export type Arrival = number;

/**
 * The two reads every authenticated request makes. Their answer must reflect every change
 * committed, by any process, before the request arrived: a revoked key or a disabled user is
 * refused on the next request, on every instance.
 */
export interface CredentialLookups {
  /**
   * Numbers a request once it has arrived in full. A lookup given that number may rely on a check
   * for commits made after that, so requests that arrived together share one check; a lookup
   * without a number makes its own check.
   */
  arrive(): Arrival;
  userById(id: string, arrival?: Arrival): Promise<UserRecord | undefined>;
  apiKeyBySecretHash(secretHash: string, arrival?: Arrival): Promise<KeyWithOwner | undefined>;
  /** Counters of the cache; null when answers never come from one. */
  cacheStats(): CredentialCacheStats | null;
}

/** PostgreSQL: the repository functions, uncached (no change signal every instance sees cheaply). */
export function kyselyLookups(db: Db): CredentialLookups {
  return {
    arrive: () => 0,
    userById: (id) => findUserById(db, id),
    apiKeyBySecretHash: (hash) => findApiKeyBySecretHash(db, hash),
    cacheStats: () => null,
  };
}

type UserColumns = Pick<UserRow, (typeof USER_COLUMNS)[number]>;

type KeyWithOwnerRow = Pick<ApiKeyRow, (typeof KEY_COLUMNS)[number]> & {
  owner_email: string;
  owner_name: string | null;
  owner_role: UserRow['role'];
  owner_created_at: string;
  owner_disabled_at: string | null;
  owner_ended_sessions: string | null;
  owner_sessions_ended_at: string | null;
};

/**
 * Prepared once (on first use: they need the tables, so after migrations) on the raw
 * better-sqlite3 handle: a primary-key read then costs a few microseconds instead of a query build
 * and compile per call. They run on the same connection as Kysely, so between the awaits of a
 * Kysely transaction they see its uncommitted rows (see cachedLookups).
 */
export function sqliteLookups(database: SQLite.Database): CredentialLookups {
  let statements: { userById: SQLite.Statement<[string], UserColumns>; keyByHash: SQLite.Statement<[string], KeyWithOwnerRow> } | undefined;
  const prepared = () =>
    (statements ??= {
      userById: database.prepare<[string], UserColumns>(`select ${USER_COLUMNS.join(', ')} from users where id = ?`),
      keyByHash: database.prepare<[string], KeyWithOwnerRow>(
        `select ${KEY_COLUMNS.map((c) => `k.${c}`).join(', ')},
                u.email as owner_email, u.name as owner_name, u.role as owner_role,
                u.created_at as owner_created_at, u.disabled_at as owner_disabled_at,
                u.ended_sessions as owner_ended_sessions, u.sessions_ended_at as owner_sessions_ended_at
           from api_keys k join users u on u.id = k.user_id
          where k.secret_hash = ?`,
      ),
    });
  return {
    arrive: () => 0,
    async userById(id) {
      const row = prepared().userById.get(id);
      return row && toUser(row);
    },
    async apiKeyBySecretHash(hash) {
      const row = prepared().keyByHash.get(hash);
      if (row === undefined) return undefined;
      return {
        key: toApiKey(row),
        owner: toUser({
          id: row.user_id,
          email: row.owner_email,
          name: row.owner_name,
          role: row.owner_role,
          created_at: row.owner_created_at,
          disabled_at: row.owner_disabled_at,
          ended_sessions: row.owner_ended_sessions,
          sessions_ended_at: row.owner_sessions_ended_at,
        }),
      };
    },
    cacheStats: () => null,
  };
}

/** What the cache asks of the database. */
export interface CommitSignal {
  /**
   * Whether anything was committed, by any connection in any process, since the previous call
   * (on SQLite: src/store/wal-index.ts). `unknown` when it cannot be told at this moment; the call
   * after that compares with the last state it could tell.
   */
  check(): CommitCheck;
  /** True while this connection has a transaction open: its reads may see rows a rollback will undo. */
  inTransaction(): boolean;
}

/**
 * Keeps what `lookups` read for as long as the database shows no commit since. Before relying on
 * its entries, a lookup makes sure the database was asked for commits after its request arrived
 * (once for all requests that arrived before that check), and empties the cache when there were
 * any since the previous check. A check comes before the reads it covers, so
 * a commit racing a read empties the cache at the next check. When the state cannot be told the
 * lookup reads the database; rows read inside an open transaction, unknown users and unknown keys
 * are never kept.
 */
export function cachedLookups(lookups: CredentialLookups, signal: CommitSignal, maxEntries: number): CredentialLookups {
  const users = new Map<string, UserRecord>();
  const keys = new Map<string, KeyWithOwner>();
  /** Bumped whenever the entries are dropped; a read that straddles a bump keeps nothing. */
  let generation = 0;
  let arrivals = 0;
  /** Requests numbered up to this one had arrived when the last check was made. */
  let checkedThrough = 0;
  let lastCheckUsable = false;
  let hits = 0;
  let misses = 0;
  let checks = 0;

  /** True when the entries reflect every commit made before request `arrival` arrived. */
  const usable = (arrival: Arrival): boolean => {
    if (arrival <= checkedThrough) return lastCheckUsable;
    checks++;
    checkedThrough = arrivals;
    const answer = signal.check();
    if (answer === 'changed') {
      users.clear();
      keys.clear();
      generation++;
    }
    lastCheckUsable = answer !== 'unknown';
    return lastCheckUsable;
  };
  const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };
  async function through<V>(map: Map<string, V>, key: string, arrival: Arrival, read: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!usable(arrival)) {
      misses++;
      return read();
    }
    const hit = map.get(key);
    if (hit !== undefined) {
      hits++;
      return hit;
    }
    misses++;
    const readIn = generation;
    // Asked as the read starts (SQLite reads synchronously, within read()): a transaction that is
    // open then and rolled back before the read resolves must not leave its row behind.
    const outsideTransaction = !signal.inTransaction();
    const value = await read();
    if (value !== undefined && outsideTransaction && !signal.inTransaction() && readIn === generation) remember(map, key, value);
    return value;
  }

  return {
    arrive: () => ++arrivals,
    userById: (id, arrival = ++arrivals) => through(users, id, arrival, () => lookups.userById(id)),
    apiKeyBySecretHash: (hash, arrival = ++arrivals) => through(keys, hash, arrival, () => lookups.apiKeyBySecretHash(hash)),
    cacheStats: () => ({ hits, misses, checks, entries: users.size + keys.size }),
  };
}
