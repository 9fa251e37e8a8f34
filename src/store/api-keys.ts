import { type ExpressionBuilder, PostgresAdapter, sql } from 'kysely';
import { type Position, pastPosition } from './keyset';
import type { Database, Db } from './schema';
import { type ApiKeyRow, toDate, toDateOrNull } from './schema';

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  /** The scopes the key holds; null: every scope. */
  readonly scopes: readonly string[] | null;
  /** When the secret replaced by the last rotation stops (or stopped) working; null when never rotated. */
  readonly previousSecretExpiresAt: Date | null;
}

export const KEY_COLUMNS = [
  'id',
  'user_id',
  'name',
  'prefix',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
  'scopes',
  'previous_secret_expires_at',
] as const;

/** The stored form of a key's scopes: a JSON array, or null for every scope. */
function storedScopes(scopes: readonly string[] | null | undefined): string | null {
  return scopes === null || scopes === undefined ? null : JSON.stringify(scopes);
}

function readScopes(stored: string | null): readonly string[] | null {
  if (stored === null) return null;
  const parsed: unknown = JSON.parse(stored);
  // Written only by storedScopes; anything else is a corrupt row, which must not widen a key.
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) return Object.freeze([]);
  return Object.freeze(parsed as string[]);
}

export function toApiKey(row: Pick<ApiKeyRow, (typeof KEY_COLUMNS)[number]>): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: toDate(row.created_at),
    expiresAt: toDateOrNull(row.expires_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
    scopes: readScopes(row.scopes),
    previousSecretExpiresAt: toDateOrNull(row.previous_secret_expires_at),
  };
}

export interface NewApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly secretHash: string;
  readonly now: Date;
  readonly expiresAt: Date | null;
  /** The scopes the key holds; null or absent: every scope. */
  readonly scopes?: readonly string[] | null;
}

export async function insertApiKey(db: Db, key: NewApiKey): Promise<ApiKeyRecord> {
  const row = await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      user_id: key.userId,
      name: key.name,
      prefix: key.prefix,
      secret_hash: key.secretHash,
      created_at: key.now.toISOString(),
      expires_at: key.expiresAt?.toISOString() ?? null,
      scopes: storedScopes(key.scopes),
    })
    .returning(KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  return toApiKey(row);
}

/**
 * Inserts the key unless its owner already holds `cap` keys that are not revoked; undefined then.
 * The count and the insert are one statement (INSERT … SELECT … WHERE count < cap), which SQLite runs
 * under its write lock, so no other write comes between them, in this process or another. On
 * PostgreSQL two such statements under READ COMMITTED would not see each other's row, so they first
 * take a transaction-scoped advisory lock on the owner: keys of one user are added one at a time.
 */
export async function insertApiKeyWithinCap(db: Db, key: NewApiKey, cap: number): Promise<ApiKeyRecord | undefined> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse.api_keys:${key.userId}`}))`.execute(trx);
    }
    const held = trx
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', key.userId)
      .where('revoked_at', 'is', null);
    const row = await trx
      .insertInto('api_keys')
      .columns(['id', 'user_id', 'name', 'prefix', 'secret_hash', 'created_at', 'expires_at', 'scopes'])
      .expression(
        trx
          .selectNoFrom((eb) => [
            eb.val(key.id).as('id'),
            eb.val(key.userId).as('user_id'),
            eb.val(key.name).as('name'),
            eb.val(key.prefix).as('prefix'),
            eb.val(key.secretHash).as('secret_hash'),
            eb.val(key.now.toISOString()).as('created_at'),
            eb.val(key.expiresAt?.toISOString() ?? null).as('expires_at'),
            eb.val(storedScopes(key.scopes)).as('scopes'),
          ])
          .where(held, '<', cap),
      )
      .returning(KEY_COLUMNS)
      .executeTakeFirst();
    return row === undefined ? undefined : toApiKey(row);
  });
}

export async function findApiKeyById(db: Db, id: string): Promise<ApiKeyRecord | undefined> {
  const row = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toApiKey(row);
}

/** Keys by id, in one query: one entry per id, in order, undefined where there is none. */
export async function findApiKeysByIds(db: Db, ids: readonly string[]): Promise<(ApiKeyRecord | undefined)[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('id', 'in', [...ids])
    .execute();
  const byId = new Map(rows.map((row) => [row.id, toApiKey(row)]));
  return ids.map((id) => byId.get(id));
}

/** A user's keys, newest first, revoked ones included so the owner can see what happened. */
export async function listApiKeysOfUser(db: Db, userId: string): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toApiKey);
}

/** `WHERE` condition: the key works at `now` (not revoked, not expired). */
function activeAt(now: Date) {
  const at = now.toISOString();
  return (eb: ExpressionBuilder<Database, 'api_keys'>) =>
    eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)])]);
}

/** Every user's keys, newest first, up to `limit` past `before`; with `activeAt`, only keys working then. */
export async function listAllApiKeys(db: Db, limit: number, before: Position | null, active: Date | null): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .$if(active !== null, (q) => q.where(activeAt(active ?? new Date(0))))
    .$if(before !== null, (q) => q.where(pastPosition(before ?? { createdAt: new Date(0), id: '' }, 'desc')))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toApiKey);
}

/** How many keys `listAllApiKeys` lists in all. */
export async function countAllApiKeys(db: Db, active: Date | null): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .$if(active !== null, (q) => q.where(activeAt(active ?? new Date(0))))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Marks the key revoked; a key already revoked keeps its first revocation time. */
export async function revokeApiKey(db: Db, id: string, now: Date): Promise<ApiKeyRecord | undefined> {
  await db.updateTable('api_keys').set({ revoked_at: now.toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  return findApiKeyById(db, id);
}

/**
 * Records use of a key, at most once per `granularityMs`: the write happens only when the stored
 * time is older, so a busy key costs one write a minute, not one per request.
 */
export async function touchApiKey(db: Db, id: string, now: Date, granularityMs: number): Promise<void> {
  const staleBefore = new Date(now.getTime() - granularityMs).toISOString();
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now.toISOString() })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
    .execute();
}

/**
 * Gives the key a new secret: the current one becomes the previous one, working until
 * `previousExpiresAt`; a secret replaced earlier stops at once. One statement (SET reads the row as
 * it was), and only for a key not revoked; undefined otherwise.
 */
export async function rotateApiKeySecret(
  db: Db,
  id: string,
  next: { readonly secretHash: string; readonly prefix: string; readonly previousExpiresAt: Date },
): Promise<ApiKeyRecord | undefined> {
  const row = await db
    .updateTable('api_keys')
    .set((eb) => ({
      previous_secret_hash: eb.ref('secret_hash'),
      previous_secret_expires_at: next.previousExpiresAt.toISOString(),
      secret_hash: next.secretHash,
      prefix: next.prefix,
    }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning(KEY_COLUMNS)
    .executeTakeFirst();
  return row && toApiKey(row);
}
