/*
 * Helpers for the store's repository tests: a fresh migrated database per describe block, users
 * inserted straight through the repository, and a walker for cursor-paged lists.
 */
import { createHash } from 'node:crypto';
import { type Kysely, Migrator } from 'kysely';
import { migrations as notesMigrations } from '../../examples/notes/migrations';
import type { DatabaseConfig } from '../../src/config';
import { type ApplicationMigrations, type Db, migrateApplication, migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import type { Position } from '../../src/store/keyset';
import { migrationsFor } from '../../src/store/migrations';
import { insertUser, type UserRecord } from '../../src/store/users';
import { type ThrowawayDatabase, throwawayDatabase } from './databases';

export const at = (iso: string): Date => new Date(iso);
export const plus = (date: Date, ms: number): Date => new Date(date.getTime() + ms);
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A fresh, migrated database for the enclosing describe block; `migrations`, an application's, run after gatehouse's. */
export function freshStore(
  dialect: 'sqlite' | 'postgres',
  migrations?: ApplicationMigrations,
): { db(): Db; store(): Store; config(): DatabaseConfig } {
  let database: ThrowawayDatabase | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
    await migrateToLatest(store);
    if (migrations !== undefined) await migrateApplication(store, migrations);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });
  const opened = (): Store => {
    if (store === undefined) throw new Error('store not open yet');
    return store;
  };
  return {
    db: () => opened().db,
    store: opened,
    config: () => {
      if (database === undefined) throw new Error('database not created yet');
      return database.config;
    },
  };
}

let emailCounter = 0;

export async function aUser(
  db: Db,
  fields: { email?: string; role?: string; roles?: readonly string[]; now?: Date; id?: string; name?: string | null } = {},
): Promise<UserRecord> {
  emailCounter += 1;
  return insertUser(db, {
    id: fields.id ?? newId(),
    email: fields.email ?? `user${emailCounter}@example.com`,
    name: fields.name === undefined ? `User ${emailCounter}` : fields.name,
    passwordHash: `hash-${emailCounter}`,
    roles: fields.roles ?? [fields.role ?? 'USER'],
    now: fields.now ?? at('2026-01-01T00:00:00.000Z'),
  });
}

/** Walks a cursor-paged list to its end, page by page. */
export async function walk<T extends { id: string; createdAt: Date }>(
  pageSize: number,
  page: (limit: number, after: Position | null) => Promise<T[]>,
): Promise<{ items: T[]; pageLengths: number[] }> {
  const items: T[] = [];
  const pageLengths: number[] = [];
  let after: Position | null = null;
  for (let guard = 0; guard < 100; guard += 1) {
    const rows = await page(pageSize, after);
    pageLengths.push(rows.length);
    items.push(...rows);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < pageSize) break;
    after = { createdAt: last.createdAt, id: last.id };
  }
  return { items, pageLengths };
}

export const byCreatedThenId = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Sets a user's granted roles straight in `user_roles`, as a database shell would (no lock, no
 * audit, no service): for tests of what reads them.
 */
export async function writeRoles(db: Db, userId: string, roles: readonly string[], now: Date = new Date()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
    if (roles.length > 0)
      await trx
        .insertInto('user_roles')
        .values(roles.map((role) => ({ user_id: userId, role, granted_at: now.toISOString() })))
        .execute();
  });
}

/** A user's granted roles as stored, sorted. */
export async function storedRoles(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_roles').select('role').where('user_id', '=', userId).orderBy('role').execute();
  return rows.map((row) => row.role);
}

/**
 * Brings `store` to the state just before gatehouse's migration `name` (the database an older
 * install has), with the notes example's first migration: a table of the application's that
 * references users, as installs of that time had it.
 */
export async function migrateJustBefore(store: Store, dialect: 'sqlite' | 'postgres', name: string): Promise<void> {
  const migrations = migrationsFor(dialect);
  const names = Object.keys(migrations);
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateTo(names[names.indexOf(name) - 1] as string);
  if (error !== undefined) throw error;
  // Only the example's first migration: its second needs gatehouse's organizations, which may come later.
  await notesMigrations(dialect)['2026-12-06T00-00_notes']?.up(store.db);
}

/** How many rows `table` holds now (gatehouse's tables or an application's). */
export async function rowCount(db: Db, table: string): Promise<number> {
  const row = await (db as unknown as Kysely<Record<string, object>>)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
