/*
 * The reads authentication makes, and the cache in front of them (src/store/credential-lookups.ts):
 * whatever is cached, a lookup must answer as the database stands after every commit made before
 * it was called, whether this connection, another connection or another process made it, and
 * on PostgreSQL also when the listening connection was lost.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Client, Pool } from 'pg';
import type { DatabaseConfig } from '../../src/config';
import {
  type ChangeSignal,
  type CredentialReads,
  cachedLookups,
  postgresChangeSignal,
  sqliteChangeSignal,
} from '../../src/store/credential-lookups';
import { postgresReads, sqliteReads } from '../../src/store/credential-reads';
import { insertApiKey, revokeApiKey } from '../../src/store/api-keys';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import { insertUser, setUserDisabled, updateUserRole, type UserRecord } from '../../src/store/users';
import { databasesUnderTest, POSTGRES_ADMIN_URL, sqliteFile, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { ROOT } from '../helpers/process';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const NOW = new Date('2026-03-01T00:00:00.000Z');

let counter = 0;
async function aUser(store: Store, role = 'USER'): Promise<UserRecord> {
  counter += 1;
  return insertUser(store.db, {
    id: newId(),
    email: `cache${counter}-${newId()}@example.com`,
    name: null,
    passwordHash: 'h',
    roles: [role],
    now: NOW,
  });
}

async function aKey(store: Store, userId: string): Promise<{ id: string; hash: string }> {
  const hash = sha256(`secret-${newId()}`);
  const key = await insertApiKey(store.db, {
    id: newId(),
    userId,
    name: 'k',
    prefix: 'gth_test',
    secretHash: hash,
    now: NOW,
    expiresAt: null,
  });
  return { id: key.id, hash };
}

/** Waits until the store's cache answers from memory again (on PostgreSQL: its listener is up). */
async function cacheInUse(store: Store, userId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = store.lookups.cacheStats()!.hits;
    await store.lookups.userById(userId);
    await store.lookups.userById(userId);
    if (store.lookups.cacheStats()!.hits > before) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the cache was not in use within 10 s');
}

/** The reads and the change signal a store puts behind its cache, on connections of their own. */
function realParts(config: DatabaseConfig): { reads: CredentialReads; signal: ChangeSignal; close(): Promise<void> } {
  if (config.dialect === 'sqlite') {
    const connection = new SQLite(config.path, { readonly: true });
    return {
      reads: sqliteReads(connection),
      signal: sqliteChangeSignal(() => connection.pragma('data_version', { simple: true }) as number),
      close: async () => {
        connection.close();
      },
    };
  }
  const pool = new Pool({ connectionString: config.url, max: 2 });
  return { reads: postgresReads(pool), signal: postgresChangeSignal(config.url), close: () => pool.end() };
}

describe.each(databasesUnderTest())('the credential cache on %s', (dialect) => {
  let database: ThrowawayDatabase;
  /** The instance under test. */
  let store: Store;
  /** Another connection to the same database, as another instance would have. */
  let other: Store;

  beforeEach(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
    await migrateToLatest(store);
    other = openStore(database.config, { credentialCacheSize: 0 });
  });
  afterEach(async () => {
    await other.close();
    await store.close();
    await database.drop();
  });

  const stats = () => {
    const counters = store.lookups.cacheStats();
    if (counters === null) throw new Error('expected a cache');
    return counters;
  };

  it('answers a repeated lookup from the cache while nothing is committed', async () => {
    const user = await aUser(store);
    const key = await aKey(store, user.id);
    await cacheInUse(store, user.id);
    const before = stats();
    for (let i = 0; i < 3; i++) {
      expect(await store.lookups.userById(user.id)).toEqual({ ...user, organizations: {} });
      expect((await store.lookups.apiKeyBySecretHash(key.hash))?.owner).toEqual({ ...user, organizations: {} });
    }
    expect(stats().misses - before.misses).toBe(1); // the key's first read
    expect(stats().hits - before.hits).toBe(5);
  });

  it("carries a key's scopes, from the database and from the cache alike", async () => {
    const user = await aUser(store);
    const hash = sha256(`scoped-${newId()}`);
    await insertApiKey(store.db, {
      id: newId(),
      userId: user.id,
      name: 'scoped',
      prefix: 'gth_test',
      secretHash: hash,
      now: NOW,
      expiresAt: null,
      scopes: ['notes:read'],
    });
    const unscoped = await aKey(store, user.id);
    await cacheInUse(store, user.id);
    for (let i = 0; i < 2; i++) {
      expect((await store.lookups.apiKeyBySecretHash(hash))?.key.scopes).toEqual(['notes:read']);
      expect((await store.lookups.apiKeyBySecretHash(unscoped.hash))?.key.scopes).toBeNull();
    }
    expect(stats().hits).toBeGreaterThan(0);
  });

  it('sees a disable, a role change, a revocation and a delete committed by another connection at the next lookup', async () => {
    await aUser(store, 'ADMIN'); // so that the user below may be disabled once made ADMIN
    const user = await aUser(store);
    const key = await aKey(store, user.id);
    await cacheInUse(store, user.id);
    await store.lookups.apiKeyBySecretHash(key.hash);
    expect((await store.lookups.apiKeyBySecretHash(key.hash))?.owner.roles).toEqual(['USER']);

    expect((await updateUserRole(other.db, user.id, 'ADMIN', new Date())).status).toBe('changed');
    expect((await store.lookups.userById(user.id))?.roles).toEqual(['ADMIN']);
    expect((await store.lookups.apiKeyBySecretHash(key.hash))?.owner.roles).toEqual(['ADMIN']);

    await revokeApiKey(other.db, key.id, NOW);
    expect((await store.lookups.apiKeyBySecretHash(key.hash))?.key.revokedAt).toEqual(NOW);

    expect((await setUserDisabled(other.db, user.id, NOW)).status).toBe('changed');
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);

    await sql`delete from users where id = ${user.id}`.execute(other.db);
    expect(await store.lookups.userById(user.id)).toBeUndefined();
    expect(await store.lookups.apiKeyBySecretHash(key.hash)).toBeUndefined();
  });

  it('sees every change at the very next lookup, change after change (no notification in transit is missed)', async () => {
    const user = await aUser(store);
    await cacheInUse(store, user.id);
    for (let i = 0; i < 40; i++) {
      // A grant (a row inserted into user_roles) and a revoke (deleted), alternately, as a database shell would.
      if (i % 2 === 0)
        await other.db.insertInto('user_roles').values({ user_id: user.id, role: 'ADMIN', granted_at: NOW.toISOString() }).execute();
      else await other.db.deleteFrom('user_roles').where('user_id', '=', user.id).where('role', '=', 'ADMIN').execute();
      const roles = i % 2 === 0 ? ['ADMIN', 'USER'] : ['USER'];
      expect((await store.lookups.userById(user.id))?.roles).toEqual(roles);
      expect((await store.lookups.userById(user.id))?.roles).toEqual(roles);
    }
    expect(stats().hits).toBeGreaterThan(40); // the second lookup of each round came from the cache
  });

  it('reads again at the next lookup after a change committed while its cache-miss read was in flight', async () => {
    const bystander = await aUser(store);
    const user = await aUser(store);
    // The cache over the real reads and the real change signal, with one read held open after the
    // row was read: meanwhile another instance commits a change and another request's lookup
    // settles (hearing of the change), as happens while a slow query is on its way back.
    const parts = realParts(database.config);
    let whileReading: (() => Promise<void>) | undefined;
    const lookups = cachedLookups(
      {
        async userById(id) {
          const row = await parts.reads.userById(id);
          const during = whileReading;
          whileReading = undefined;
          await during?.();
          return row;
        },
        apiKeyBySecretHash: (hash) => parts.reads.apiKeyBySecretHash(hash),
      },
      parts.signal,
      100,
    );
    try {
      for (const until = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
        const before = lookups.cacheStats()?.hits ?? 0;
        await lookups.userById(bystander.id);
        await lookups.userById(bystander.id);
        if ((lookups.cacheStats()?.hits ?? 0) > before) break; // the cache is in use (PostgreSQL: listening)
        if (Date.now() > until) throw new Error('the cache was not in use within 10 s');
      }
      whileReading = async () => {
        expect((await updateUserRole(other.db, user.id, 'ADMIN', new Date())).status).toBe('changed');
        await lookups.userById(bystander.id);
      };
      expect((await lookups.userById(user.id))?.roles).toEqual(['USER']); // read before the change committed
      expect(whileReading).toBeUndefined();
      expect((await lookups.userById(user.id))?.roles).toEqual(['ADMIN']);
      expect((await lookups.userById(user.id))?.roles).toEqual(['ADMIN']);
    } finally {
      await lookups.close();
      await parts.close();
    }
  });

  it("sees its own connection's commits at the next lookup", async () => {
    const user = await aUser(store);
    await cacheInUse(store, user.id);
    await setUserDisabled(store.db, user.id, NOW);
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
  });

  it('sees a change committed by another process at the next lookup', async () => {
    const user = await aUser(store);
    await cacheInUse(store, user.id);
    const script = `
      const { openStore } = require('./src/store/database');
      const store = openStore(${JSON.stringify(database.config)}, { credentialCacheSize: 0 });
      store.db.updateTable('users').set({ disabled_at: ${JSON.stringify(NOW.toISOString())} }).where('id', '=', ${JSON.stringify(user.id)})
        .execute().then(() => store.close());`;
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT });
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
  });

  it('never serves a row of a transaction that is open, or that was rolled back', async () => {
    const user = await aUser(store);
    await setUserDisabled(store.db, user.id, NOW);
    await cacheInUse(store, user.id);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ disabled_at: null }).where('id', '=', user.id).execute();
        await trx.insertInto('user_roles').values({ user_id: user.id, role: 'ADMIN', granted_at: NOW.toISOString() }).execute();
        expect(await store.lookups.userById(user.id)).toMatchObject({ roles: ['USER'], disabledAt: NOW });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await store.lookups.userById(user.id)).toMatchObject({ roles: ['USER'], disabledAt: NOW });
  });

  it('shares one settle among lookups made together, and settles again for a lookup made after it', async () => {
    const user = await aUser(store);
    await cacheInUse(store, user.id);
    const before = stats().settles;
    await Promise.all([store.lookups.userById(user.id), store.lookups.userById(user.id), store.lookups.userById(user.id)]);
    expect(stats().settles - before).toBe(1);
    await store.lookups.userById(user.id);
    expect(stats().settles - before).toBe(2);
  });

  it('keeps at most the configured number of users and keys, dropping the oldest', async () => {
    const small = openStore(database.config, { credentialCacheSize: 2 });
    try {
      const users = [await aUser(store), await aUser(store), await aUser(store)];
      await cacheInUse(small, users[0]!.id);
      for (const user of users) await small.lookups.userById(user.id);
      expect(small.lookups.cacheStats()?.entries).toBe(2);
      const before = small.lookups.cacheStats()!;
      await small.lookups.userById(users[2]!.id);
      await small.lookups.userById(users[0]!.id);
      expect(small.lookups.cacheStats()!.hits - before.hits).toBe(1);
      expect(small.lookups.cacheStats()!.misses - before.misses).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('can be turned off', async () => {
    const off = openStore(database.config, { credentialCacheSize: 0 });
    try {
      const user = await aUser(store);
      expect(off.lookups.cacheStats()).toBeNull();
      expect(await off.lookups.userById(user.id)).toEqual({ ...user, organizations: {} });
    } finally {
      await off.close();
    }
  });
});

describe('the credential cache on SQLite', () => {
  it("drops its entries as soon as one of this process's writes finishes, before any data_version check", async () => {
    const file = sqliteFile();
    const store = openStore(file.config);
    try {
      await migrateToLatest(store);
      const user = await aUser(store);
      await cacheInUse(store, user.id);
      expect(store.lookups.cacheStats()?.entries).toBe(1);
      await store.db.updateTable('users').set({ name: 'x' }).where('id', '=', user.id).execute();
      expect(store.lookups.cacheStats()?.entries).toBe(0);
      // A read leaves them alone.
      await cacheInUse(store, user.id);
      await store.db.selectFrom('users').select('id').execute();
      expect(store.lookups.cacheStats()?.entries).toBe(1);
    } finally {
      await store.close();
      await file.drop();
    }
  });

  it('works through a symlinked database path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-symlink-'));
    const real = join(dir, 'real.db');
    const link = join(dir, 'link.db');
    const setup = openStore({ dialect: 'sqlite', path: real });
    await migrateToLatest(setup);
    const user = await aUser(setup);
    symlinkSync(real, link);
    const viaLink = openStore({ dialect: 'sqlite', path: link });
    try {
      await cacheInUse(viaLink, user.id);
      await setUserDisabled(setup.db, user.id, NOW);
      expect((await viaLink.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
    } finally {
      await viaLink.close();
      await setup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is off for an in-memory database', async () => {
    const memory = openStore({ dialect: 'sqlite', path: ':memory:' });
    try {
      await migrateToLatest(memory);
      expect(memory.lookups.cacheStats()).toBeNull();
    } finally {
      await memory.close();
    }
  });
});

describe.each(databasesUnderTest().filter((d) => d === 'postgres'))(
  'the credential cache on %s, when the listening connection is lost',
  (dialect) => {
    let database: ThrowawayDatabase;
    let store: Store;
    let other: Store;
    const events: string[] = [];

    beforeEach(async () => {
      database = await throwawayDatabase(dialect);
      store = openStore(database.config, { onListener: (event) => events.push(event) });
      await migrateToLatest(store);
      other = openStore(database.config, { credentialCacheSize: 0 });
    });
    afterEach(async () => {
      await other.close();
      await store.close();
      await database.drop();
    });

    /** Ends the store's listening connection from the server side, as a failover or an admin would. */
    async function killListener(): Promise<number> {
      const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      try {
        const result = await admin.query<{ killed: boolean }>(
          `select pg_terminate_backend(pid) as killed from pg_stat_activity where datname = $1 and application_name = 'gatehouse-credential-listener'`,
          [database.name === 'postgres' && database.config.dialect === 'postgres' ? new URL(database.config.url).pathname.slice(1) : ''],
        );
        return result.rows.filter((r) => r.killed).length;
      } finally {
        await admin.end();
      }
    }

    it('refuses a key revoked right after the kill, before the loss is noticed, and uses the cache again once it reconnects', async () => {
      const user = await aUser(store);
      const key = await aKey(store, user.id);
      await cacheInUse(store, user.id);
      await store.lookups.apiKeyBySecretHash(key.hash);
      expect((await store.lookups.apiKeyBySecretHash(key.hash))?.key.revokedAt).toBeNull();

      expect(await killListener()).toBe(1);
      await revokeApiKey(other.db, key.id, NOW); // committed while nobody listens: no notification reaches the store
      expect((await store.lookups.apiKeyBySecretHash(key.hash))?.key.revokedAt).toEqual(NOW);
      await setUserDisabled(other.db, user.id, NOW);
      expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);

      // Back with a new listening connection; changes are seen again at the next lookup.
      await cacheInUse(store, user.id);
      expect(events).toEqual(['listening', 'lost', 'listening']);
      await setUserDisabled(other.db, user.id, null);
      expect((await store.lookups.userById(user.id))?.disabledAt).toBeNull();
    });
  },
);
