import type { Db } from './database';
import { type ApiKeyRow, toDateOrNull, toDate } from './schema';

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export const KEY_COLUMNS = ['id', 'user_id', 'name', 'prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'] as const;

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
  };
}

export async function insertApiKey(
  db: Db,
  key: { id: string; userId: string; name: string; prefix: string; secretHash: string; now: Date; expiresAt: Date | null },
): Promise<ApiKeyRecord> {
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
    })
    .returning(KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  return toApiKey(row);
}

export async function findApiKeyById(db: Db, id: string): Promise<ApiKeyRecord | undefined> {
  const row = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toApiKey(row);
}

/** A user's keys, newest first, revoked ones included so the owner can see what happened. */
export async function listApiKeysOfUser(db: Db, userId: string): Promise<ApiKeyRecord[]> {
  const rows = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toApiKey);
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

/** Keys of a user that are not revoked (expired ones included). */
export async function countUnrevokedApiKeys(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
