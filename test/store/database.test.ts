import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Migrator, sql } from 'kysely';
import { migrateToLatest, openStore, type Store, StoreError } from '../../src/store/database';
import { migrationsFor } from '../../src/store/migrations';
import type { DatabaseConfig } from '../../src/config';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';

const execFileAsync = promisify(execFile);

/** Separate processes, as separate gatehouse instances would be (SQLite locks are per process). */
async function migrateInChildProcess(config: DatabaseConfig): Promise<string[]> {
  const { stdout } = await execFileAsync(join('node_modules', '.bin', 'tsx'), [
    join('test', 'helpers', 'migrate-child.ts'),
    JSON.stringify(config),
  ]);
  return JSON.parse(stdout) as string[];
}

describe.each(databasesUnderTest())('store on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('creates the schema on first start and does nothing the second time', async () => {
    expect(await migrateToLatest(store)).toEqual(Object.keys(migrationsFor(dialect)));
    expect(await migrateToLatest(store)).toEqual([]);
    const users = await store.db.selectFrom('users').selectAll().execute();
    expect(users).toEqual([]);
  });

  it('applies each migration once when several processes start at the same moment', async () => {
    const processes = Array.from({ length: 3 }, () => migrateInChildProcess(database.config));
    const applied = (await Promise.all(processes)).flat();
    expect(applied).toEqual(Object.keys(migrationsFor(dialect)));
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(store.db);
    expect(rows.rows.map((r) => r.name)).toEqual(Object.keys(migrationsFor(dialect)));
  });

  it('refuses a database migrated by a newer gatehouse, saying so', async () => {
    await migrateToLatest(store);
    await sql`insert into kysely_migration (name, timestamp) values ('2099-01-01T00-00_from-the-future', '2099-01-01T00:00:00.000Z')`.execute(
      store.db,
    );
    await expect(migrateToLatest(store)).rejects.toThrow(StoreError);
    await expect(migrateToLatest(store)).rejects.toThrow(/newer gatehouse.*2099-01-01T00-00_from-the-future/);
  });

  it('keeps what was written after the store is closed and opened again', async () => {
    await migrateToLatest(store);
    const id = randomUUID();
    await store.db
      .insertInto('users')
      .values({
        id,
        email: 'Keep@Example.com',
        email_normalized: 'keep@example.com',
        name: null,
        password_hash: 'x',
        created_at: new Date().toISOString(),
      })
      .execute();
    await store.close();
    store = openStore(database.config);
    await migrateToLatest(store);
    const row = await store.db.selectFrom('users').select(['id', 'email']).where('id', '=', id).executeTakeFirst();
    expect(row).toEqual({ id, email: 'Keep@Example.com' });
  });

  it('marks audit rows the command line wrote as `address = cli` with source cli when it adds the source column', async () => {
    const migrations = migrationsFor(dialect);
    const names = Object.keys(migrations);
    const before = names.slice(0, names.indexOf('2026-11-29T01-00_audit-source'));
    const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo(before[before.length - 1] as string);
    expect(error).toBeUndefined();
    const at = new Date().toISOString();
    for (const [id, address] of [
      [randomUUID(), 'cli'],
      [randomUUID(), '203.0.113.9'],
    ] as const) {
      await sql`insert into audit_events (id, occurred_at, action, address) values (${id}, ${at}, 'user.created', ${address})`.execute(
        store.db,
      );
    }
    await migrateToLatest(store);
    const rows = await store.db.selectFrom('audit_events').select(['address', 'source']).orderBy('address').execute();
    expect(rows).toEqual([
      { address: '203.0.113.9', source: 'request' },
      { address: 'cli', source: 'cli' },
    ]);
  });

  it('answers ping while open and rejects it once closed', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
    store = openStore(database.config); // for afterEach
  });
});
