/**
 * The current user, or the current API key and its owner, for a credential: the two reads every
 * authenticated request makes, and the only place that decides how fresh their answers are.
 *
 * The rule: a lookup's answer reflects every change to `users` and `api_keys` committed, by any
 * connection in any process, before the lookup was called. Authentication calls it once the whole
 * request has arrived, so a key revoked, a user disabled or deleted, or a role changed is refused or
 * applied from the next request on every instance, whether it was changed through this instance,
 * another one, the admin CLI or a database shell.
 *
 * How it holds with a cache (users and keys kept in memory, `CREDENTIAL_CACHE_SIZE` of each):
 * - Before a lookup uses the cache it waits for the database's change signal to settle: a call to
 *   `ChangeSignal.settle` that started after the lookup was called and resolves once every change
 *   committed before it started has reached the cache (`onChange`). Lookups that wait at the same
 *   time share one settle.
 *   - SQLite (`sqliteChangeSignal`): `PRAGMA data_version` on a connection of the signal's own,
 *     read once per event-loop turn for every lookup made in that turn. SQLite documents that the
 *     value changes when another connection commits (https://sqlite.org/pragma.html#pragma_data_version);
 *     not for the watching connection's own commits, and it never writes. This process's own writes
 *     also empty the cache as they finish (`bump`, called by the store's driver), so they do not
 *     depend on the next check.
 *   - PostgreSQL (`postgresChangeSignal`): a trigger on `users` and `api_keys` sends
 *     `NOTIFY gatehouse_credentials` with the table and row id in the changing transaction, so it
 *     is delivered only if and when that transaction commits. A dedicated connection LISTENs. A
 *     settle is one round trip on that connection: PostgreSQL sends a listening session every
 *     notification of a transaction committed before the session's query before it answers the
 *     query ("if any notifies were received during the just-finished transaction, they'll be seen
 *     by the client before ReadyForQuery is", src/backend/tcop/postgres.c), and the pg client
 *     emits messages in the order they arrive.
 * - When the signal cannot settle (the listening connection is down, not yet up, or reconnecting;
 *   an SQLite check failed), the cache is emptied and the lookup reads the database, and keeps
 *   nothing. So a lost notification can never be served: whatever was missed went with the cache.
 * - A row read from the database is kept only if no change (and no loss of the signal) reached the
 *   cache while it was read: a read that straddles a change keeps nothing.
 * - Never kept: unknown users and keys (a wrong key always costs a database read). Expiry is not
 *   the cache's business: authentication checks `expiresAt` and a token's `exp` against the clock on
 *   every request.
 *
 * Without a cache (size 0, an in-memory SQLite database) every lookup reads the database.
 */
import { setImmediate as nextTurn } from 'node:timers';
import type { ApiKeyRecord } from './api-keys';
import { listenOn } from './pg-listener';
import type { UserRecord } from './users';

export interface KeyWithOwner {
  readonly key: ApiKeyRecord;
  readonly owner: UserRecord;
  /**
   * Which of the key's secrets the hash is: its current one, or the one its last rotation replaced
   * (usable until `key.previousSecretExpiresAt`; authentication decides).
   */
  readonly matched: 'current' | 'previous';
}

export interface CredentialCacheStats {
  /** Lookups answered from the cache. */
  readonly hits: number;
  /** Lookups that read the database. */
  readonly misses: number;
  /** Times the change signal settled (one per event-loop turn or round trip, shared by the lookups waiting then). */
  readonly settles: number;
  /** Users and keys held now. */
  readonly entries: number;
}

export interface CredentialLookups {
  /** The user with this id as the database has it (see the rule above), whatever its state. */
  userById(id: string): Promise<UserRecord | undefined>;
  /** The key whose secret hashes to this, and its owner, whatever their state; the caller decides what is usable. */
  apiKeyBySecretHash(secretHash: string): Promise<KeyWithOwner | undefined>;
  /** Counters of the cache; null when every answer comes from the database. */
  cacheStats(): CredentialCacheStats | null;
  /**
   * Also tells `listener` of every change the signal announces, as the cache hears it (the signing
   * keys' ring reloads on them: src/auth/key-ring.ts). Without a cache there is no signal: never called.
   */
  onChange(listener: (change: CredentialChange) => void): void;
  /** Stops the change signal (its connection). */
  close(): Promise<void>;
}

/** The reads themselves, straight from the database. */
/** The two reads the lookups cache, per dialect in src/store/credential-reads.ts. */
export interface CredentialReads {
  userById(id: string): Promise<UserRecord | undefined>;
  apiKeyBySecretHash(secretHash: string): Promise<KeyWithOwner | undefined>;
}

/** A committed change to one row, or `all` when the signal cannot say which rows changed. */
export type CredentialChange = { readonly table: 'users' | 'api_keys' | 'signing_keys'; readonly id: string } | 'all';

/** How the cache learns of changes; see the rule at the top of this file. */
export interface ChangeSignal {
  /**
   * Resolves to true once every change committed before this call has been passed to the
   * listener; to false when that cannot be known now (the cache is then emptied and bypassed).
   */
  settle(): Promise<boolean>;
  /** The cache's listener; `all` also when the signal was lost or (re)established. */
  listen(onChange: (change: CredentialChange) => void): void;
  close(): Promise<void>;
}

/** The reads with no cache in front: every lookup reads the database. */
export function uncachedLookups(reads: CredentialReads): CredentialLookups {
  return {
    userById: (id) => reads.userById(id),
    apiKeyBySecretHash: (hash) => reads.apiKeyBySecretHash(hash),
    cacheStats: () => null,
    onChange: () => undefined,
    close: async () => undefined,
  };
}

/** `reads` behind a cache of at most `maxEntries` users and as many keys, kept fresh by `signal`. */
export function cachedLookups(reads: CredentialReads, signal: ChangeSignal, maxEntries: number): CredentialLookups {
  const users = new Map<string, UserRecord>();
  /** By secret hash; `keyHashes` finds the entries (current and previous secret) from the key id a change names. */
  const keys = new Map<string, KeyWithOwner>();
  const keyHashes = new Map<string, Set<string>>();
  /** Bumped by every change that reaches the cache; a read that straddles a bump keeps nothing. */
  let generation = 0;
  let hits = 0;
  let misses = 0;
  let settles = 0;
  const others: ((change: CredentialChange) => void)[] = [];

  /** Forgets every entry of the key that `hash` is one of the secrets of. */
  const forgetKey = (hash: string): void => {
    const entry = keys.get(hash);
    if (entry !== undefined) forgetKeyId(entry.key.id);
  };
  const forgetKeyId = (id: string): void => {
    for (const hash of keyHashes.get(id) ?? []) keys.delete(hash);
    keyHashes.delete(id);
  };
  signal.listen((change) => {
    for (const listener of others) listener(change);
    if (change !== 'all' && change.table === 'signing_keys') return;
    generation++;
    if (change === 'all') {
      users.clear();
      keys.clear();
      keyHashes.clear();
    } else if (change.table === 'api_keys') {
      forgetKeyId(change.id);
    } else {
      users.delete(change.id);
      // An owner's change (disabled, role) is part of every one of its keys' entries.
      for (const [hash, entry] of keys) if (entry.owner.id === change.id) forgetKey(hash);
    }
  });

  /** Counts distinct settles: lookups that share one get the same promise. */
  let lastSettle: Promise<boolean> | undefined;
  const settled = (): Promise<boolean> => {
    const settle = signal.settle();
    if (settle !== lastSettle) {
      lastSettle = settle;
      settles++;
    }
    return settle.catch(() => false);
  };

  async function through<V>(
    map: Map<string, V>,
    key: string,
    read: () => Promise<V | undefined>,
    keep: (value: V) => void,
  ): Promise<V | undefined> {
    const usable = await settled();
    if (!usable) {
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
    const value = await read();
    if (value !== undefined && readIn === generation) keep(value);
    return value;
  }
  const room = <V>(map: Map<string, V>, drop: (oldest: string) => void): void => {
    if (map.size >= maxEntries) drop(map.keys().next().value as string);
  };

  return {
    userById: (id) =>
      through(
        users,
        id,
        () => reads.userById(id),
        (user) => {
          room(users, (oldest) => users.delete(oldest));
          users.set(id, user);
        },
      ),
    apiKeyBySecretHash: (hash) =>
      through(
        keys,
        hash,
        () => reads.apiKeyBySecretHash(hash),
        (found) => {
          room(keys, forgetKey);
          keys.set(hash, found);
          const hashes = keyHashes.get(found.key.id);
          if (hashes === undefined) keyHashes.set(found.key.id, new Set([hash]));
          else hashes.add(hash);
        },
      ),
    cacheStats: () => ({ hits, misses, settles, entries: users.size + keys.size }),
    onChange: (listener) => others.push(listener),
    close: () => signal.close(),
  };
}

/** The SQLite signal, and the hook this process's own writes call when they finish. */
export interface SqliteChangeSignal extends ChangeSignal {
  /** A write of this process finished (or a transaction committed): drop everything. */
  bump(): void;
}

/**
 * SQLite: `dataVersion` reads `PRAGMA data_version` on the store's watcher, a connection of its own
 * to the same file that never writes (Store.dataVersion, opened in sqlite.ts), once per event-loop turn
 * for all lookups of the turn: each lookup waits for the check phase of its turn, so the check
 * comes after the call. Measured here: ~3.4 µs per check in a loop, ~4.8 µs for the primary-key
 * read it saves. The store closes the watcher.
 */
export function sqliteChangeSignal(dataVersion: () => number): SqliteChangeSignal {
  let last: number | undefined;
  let onChange: (change: CredentialChange) => void = () => undefined;
  let turn: Promise<boolean> | undefined;
  const check = (): boolean => {
    try {
      const now = dataVersion();
      if (now !== last) {
        last = now;
        onChange('all');
      }
      return true;
    } catch {
      last = undefined;
      onChange('all');
      return false;
    }
  };
  return {
    settle: () =>
      (turn ??= new Promise<boolean>((resolve) => {
        nextTurn(() => {
          turn = undefined;
          resolve(check());
        });
      })),
    listen(listener) {
      onChange = listener;
    },
    bump: () => onChange('all'),
    async close() {},
  };
}

/** The channel the trigger of migration 2026-11-29T03-00_credential-notify notifies. */
export const CREDENTIAL_CHANNEL = 'gatehouse_credentials';

export interface PostgresSignalOptions {
  /** Reports the listening connection's losses and returns (the server logs them). */
  readonly log?: (event: 'lost' | 'listening', error?: unknown) => void;
  /** First wait before reconnecting, doubled up to `maxRetryMs`. Default 100 ms. */
  readonly minRetryMs?: number;
  /** Default 5 s. */
  readonly maxRetryMs?: number;
}

/**
 * PostgreSQL: a listening connection of its own (pg-listener.ts) on CREDENTIAL_CHANNEL. A settle is
 * one round trip on it; calls made while one is in flight share the next. While it is lost (or
 * before it listens) the cache is emptied and bypassed: anything committed meanwhile was never
 * notified.
 */
export function postgresChangeSignal(connectionString: string, options: PostgresSignalOptions = {}): ChangeSignal {
  let onChange: (change: CredentialChange) => void = () => undefined;
  const connection = listenOn({
    connectionString,
    channel: CREDENTIAL_CHANNEL,
    applicationName: 'gatehouse-credential-listener',
    ...(options.minRetryMs === undefined ? {} : { minRetryMs: options.minRetryMs }),
    ...(options.maxRetryMs === undefined ? {} : { maxRetryMs: options.maxRetryMs }),
    onNotification(payload) {
      const [table, id] = payload.split(':');
      onChange((table === 'users' || table === 'api_keys' || table === 'signing_keys') && id ? { table, id } : 'all');
    },
    onListening() {
      onChange('all');
      options.log?.('listening');
    },
    onLost(error) {
      onChange('all');
      options.log?.('lost', error);
    },
  });

  /** A round trip on the listening connection: true if it answered, having delivered the notifications before it. */
  const roundTrip = async (): Promise<boolean> => {
    const client = connection.current();
    if (client === undefined) return false;
    try {
      await client.query(';');
      return connection.current() === client;
    } catch (error) {
      connection.lose(client, error);
      return false;
    }
  };
  /** The round trip sent at the end of this event-loop turn; every call made until then shares it. */
  let next: Promise<boolean> | undefined;
  /** The one sent and not yet answered: it started before any call made now. */
  let inFlight: Promise<boolean> | undefined;
  const sendNext = (): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const send = (): void => {
        // One in flight at a time (pg would queue the next behind it anyway).
        if (inFlight !== undefined) {
          void inFlight.then(send);
          return;
        }
        next = undefined;
        const trip = roundTrip();
        inFlight = trip;
        void trip.then((usable) => {
          inFlight = undefined;
          resolve(usable);
        });
      };
      nextTurn(send);
    });

  return {
    settle: () => (next ??= sendNext()),
    listen(listener) {
      onChange = listener;
    },
    close: () => connection.close(),
  };
}
