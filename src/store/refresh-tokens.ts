import type { Db } from './schema';
import { toDate, toDateOrNull } from './schema';

export interface RefreshTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly familyId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly familyExpiresAt: Date | null;
  readonly usedAt: Date | null;
  readonly revokedAt: Date | null;
}

export async function insertRefreshToken(
  db: Db,
  token: { id: string; userId: string; familyId: string; tokenHash: string; now: Date; expiresAt: Date; familyExpiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      id: token.id,
      user_id: token.userId,
      family_id: token.familyId,
      token_hash: token.tokenHash,
      created_at: token.now.toISOString(),
      expires_at: token.expiresAt.toISOString(),
      family_expires_at: token.familyExpiresAt.toISOString(),
    })
    .execute();
}

export async function findRefreshTokenByHash(db: Db, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select(['id', 'user_id', 'family_id', 'created_at', 'expires_at', 'family_expires_at', 'used_at', 'revoked_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    userId: row.user_id,
    familyId: row.family_id,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    familyExpiresAt: toDateOrNull(row.family_expires_at),
    usedAt: toDateOrNull(row.used_at),
    revokedAt: toDateOrNull(row.revoked_at),
  };
}

/**
 * Marks a token used, only if nobody has used it yet. Returns false when another request won the
 * race: single use holds even under concurrency, because the check and the write are one UPDATE.
 */
export async function claimRefreshToken(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ used_at: now.toISOString() })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function revokeRefreshFamily(db: Db, familyId: string, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now.toISOString() })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** True when any token of the family has been revoked: the whole family is then dead. */
export async function isFamilyRevoked(db: Db, familyId: string): Promise<boolean> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select('id')
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Revokes every refresh-token family of a user, except `keepFamily` when given. */
export async function revokeUserFamilies(db: Db, userId: string, now: Date, keepFamily: string | null = null): Promise<void> {
  let update = db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now.toISOString() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepFamily !== null) update = update.where('family_id', '<>', keepFamily);
  await update.execute();
}

/**
 * The families of a user with a token issued since `since`: every access token is issued with a
 * refresh token, so these are the sessions that may still hold a live access token.
 */
export async function familiesIssuedSince(db: Db, userId: string, since: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('refresh_tokens')
    .select('family_id')
    .distinct()
    .where('user_id', '=', userId)
    .where('created_at', '>=', since.toISOString())
    .execute();
  return rows.map((row) => row.family_id);
}
