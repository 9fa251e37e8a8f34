/*
 * The reads authentication makes, and the SQLite cache in front of them: whatever is cached, a
 * lookup must answer as the database stands after every commit made before the request arrived,
 * whether this connection, another connection or another process made it.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { insertApiKey, revokeApiKey } from '../../src/store/api-keys';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import { insertUser, setUserDisabled, updateUserRole, type UserRecord } from '../../src/store/users';
import { databasesUnderTest, sqliteFile, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { ROOT } from '../helpers/process';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const NOW = new Date('2026-03-01T00:00:00.000Z');

let counter = 0;
async function aUser(store: Store, role: 'USER' | 'ADMIN' = 'USER'): Promise<UserRecord> {
  counter += 1;
  return insertUser(store.db, { id: newId(), email: `cache${counter}@example.com`, name: null, passwordHash: 'h', role, now: NOW });
}

async function aKey(store: Store, userId: string): Promise<{ id: string; hash: string }> {
  const hash = sha256(`secret-${newId()}`);
  const key = await insertApiKey(store.db, { id: newId(), userId, name: 'k', prefix: 'gth_test', secretHash: hash, now: NOW, expiresAt: null });
  return { id: key.id, hash };
}

describe('the SQLite credential cache', () => {
  let file: ThrowawayDatabase;
  /** The instance under test. */
  let store: Store;
  /** Another connection to the same file, as another instance would have. */
  let other: Store;

  beforeEach(async () => {
    file = sqliteFile();
    store = openStore(file.config);
    await migrateToLatest(store);
    other = openStore(file.config);
  });
  afterEach(async () => {
    await other.close();
    await store.close();
    await file.drop();
  });

  const stats = () => {
    const counters = store.lookups.cacheStats();
    if (counters === null) throw new Error('expected a cache');
    return counters;
  };

  it('answers a repeated lookup from the cache while nothing is committed', async () => {
    const user = await aUser(store);
    const key = await aKey(store, user.id);
    expect(store.lookups.cacheStats()).not.toBeNull();
    for (let i = 0; i < 3; i++) {
      expect(await store.lookups.userById(user.id)).toEqual(user);
      expect((await store.lookups.apiKeyBySecretHash(key.hash))?.owner).toEqual(user);
    }
    expect(stats()).toMatchObject({ misses: 2, hits: 4, entries: 2 });
  });

  it('sees a disable, a role change and a revocation committed by another connection at the next lookup', async () => {
    await aUser(store, 'ADMIN'); // so that the user below may be disabled once made ADMIN
    const user = await aUser(store);
    const key = await aKey(store, user.id);
    await store.lookups.userById(user.id);
    await store.lookups.apiKeyBySecretHash(key.hash);
    expect((await store.lookups.userById(user.id))?.role).toBe('USER');
    const hitsBefore = stats().hits;

    expect((await updateUserRole(other.db, user.id, 'ADMIN')).status).toBe('changed');
    expect((await store.lookups.userById(user.id))?.role).toBe('ADMIN');
    expect((await store.lookups.apiKeyBySecretHash(key.hash))?.owner.role).toBe('ADMIN');

    await revokeApiKey(other.db, key.id, NOW);
    expect((await store.lookups.apiKeyBySecretHash(key.hash))?.key.revokedAt).toEqual(NOW);

    expect((await setUserDisabled(other.db, user.id, NOW)).status).toBe('changed');
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);

    await sql`delete from users where id = ${user.id}`.execute(other.db);
    expect(await store.lookups.userById(user.id)).toBeUndefined();
    expect(await store.lookups.apiKeyBySecretHash(key.hash)).toBeUndefined();
    // Every lookup after a commit read the database again.
    expect(stats().hits).toBe(hitsBefore);
  });

  it("sees its own connection's commits at the next lookup", async () => {
    const user = await aUser(store);
    await store.lookups.userById(user.id);
    await setUserDisabled(store.db, user.id, NOW);
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
  });

  it('sees a change committed by another process at the next lookup', async () => {
    const user = await aUser(store);
    await store.lookups.userById(user.id);
    await store.lookups.userById(user.id);
    const script = `
      const { openStore } = require('./src/store/database');
      const store = openStore(${JSON.stringify(file.config)});
      store.db.updateTable('users').set({ disabled_at: ${JSON.stringify(NOW.toISOString())} }).where('id', '=', ${JSON.stringify(user.id)})
        .execute().then(() => store.close());`;
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT });
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
  });

  it('never keeps a row read inside a transaction that is then rolled back', async () => {
    const user = await aUser(store);
    await setUserDisabled(store.db, user.id, NOW);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ disabled_at: null }).where('id', '=', user.id).execute();
        // Same connection: the lookup sees the uncommitted row.
        expect((await store.lookups.userById(user.id))?.disabledAt).toBeNull();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
  });

  it('never keeps a row whose read started inside a transaction that was rolled back before the read resolved', async () => {
    const user = await aUser(store);
    await setUserDisabled(store.db, user.id, NOW);
    let during: Promise<UserRecord | undefined> | undefined;
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ disabled_at: null, role: 'ADMIN' }).where('id', '=', user.id).execute();
        // Another request's lookup, started now and resolved after the rollback below.
        during = Promise.resolve().then(() => store.lookups.userById(user.id));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await during;
    expect(await store.lookups.userById(user.id)).toMatchObject({ role: 'USER', disabledAt: NOW });
  });

  it('follows a symlinked database path to the wal-index SQLite uses, not a stale one beside the link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-symlink-'));
    const real = join(dir, 'real.db');
    const link = join(dir, 'link.db');
    const setup = openStore({ dialect: 'sqlite', path: real });
    await migrateToLatest(setup);
    const user = await aUser(setup);
    copyFileSync(`${real}-shm`, `${link}-shm`); // a leftover that never changes
    symlinkSync(real, link);
    const viaLink = openStore({ dialect: 'sqlite', path: link });
    try {
      await viaLink.lookups.userById(user.id);
      await viaLink.lookups.userById(user.id);
      expect(viaLink.lookups.cacheStats()?.hits).toBe(1);
      await setUserDisabled(setup.db, user.id, NOW);
      expect((await viaLink.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
    } finally {
      await viaLink.close();
      await setup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets requests that arrived before a check share it, and checks again for a request that arrived after it', async () => {
    const user = await aUser(store);
    const first = store.lookups.arrive();
    const second = store.lookups.arrive();
    await store.lookups.userById(user.id, first);
    await store.lookups.userById(user.id, second);
    expect(stats().checks).toBe(1);

    await setUserDisabled(other.db, user.id, NOW);
    const third = store.lookups.arrive();
    expect((await store.lookups.userById(user.id, third))?.disabledAt).toEqual(NOW);
    expect(stats().checks).toBe(2);
    // A lookup that brings no arrival makes its own check.
    await store.lookups.userById(user.id);
    expect(stats().checks).toBe(3);
  });

  it('keeps at most the configured number of users and keys, dropping the oldest', async () => {
    const small = openStore(file.config, { credentialCacheSize: 2 });
    try {
      const users = [await aUser(store), await aUser(store), await aUser(store)];
      for (const user of users) await small.lookups.userById(user.id);
      expect(small.lookups.cacheStats()?.entries).toBe(2);
      await small.lookups.userById(users[2]!.id);
      await small.lookups.userById(users[0]!.id);
      expect(small.lookups.cacheStats()).toMatchObject({ hits: 1, misses: 4 });
    } finally {
      await small.close();
    }
  });

  it('can be turned off, and is off for an in-memory database', async () => {
    const off = openStore(file.config, { credentialCacheSize: 0 });
    const memory = openStore({ dialect: 'sqlite', path: ':memory:' });
    try {
      expect(off.lookups.cacheStats()).toBeNull();
      await migrateToLatest(memory);
      expect(memory.lookups.cacheStats()).toBeNull();
    } finally {
      await off.close();
      await memory.close();
    }
  });
});

describe.each(databasesUnderTest().filter((d) => d === 'postgres'))('credential lookups on %s', (dialect) => {
  it('read the database every time (no cache)', async () => {
    const database = await throwawayDatabase(dialect);
    const store = openStore(database.config);
    try {
      await migrateToLatest(store);
      const user = await aUser(store);
      expect(store.lookups.cacheStats()).toBeNull();
      expect(await store.lookups.userById(user.id)).toEqual(user);
      await setUserDisabled(store.db, user.id, NOW);
      expect((await store.lookups.userById(user.id))?.disabledAt).toEqual(NOW);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
