// The signing_keys table (migration 2026-12-06T00-00_signing-keys): the ES256 keys every instance
// signs and verifies gatehouse's access tokens with. What a row means and when a key may be
// retired is decided in src/auth/signing-keys.ts; this module only reads and writes rows.
import { PostgresAdapter, sql } from 'kysely';
import type { Db } from './schema';
import { toDate, toDateOrNull } from './schema';
import type { NewSigningKey, SigningKeyRecord } from '../auth/signing-keys';

export type { NewSigningKey, SigningKeyRecord };

const COLUMNS = ['kid', 'algorithm', 'public_jwk', 'private_key', 'created_at', 'retired_at'] as const;

function toRecord(row: {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_key: string;
  created_at: Date | string;
  retired_at: Date | string | null;
}): SigningKeyRecord {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateKey: row.private_key,
    createdAt: toDate(row.created_at),
    retiredAt: toDateOrNull(row.retired_at),
  };
}

/** Every key, oldest first (retired ones too: `keys list` shows them). */
export async function listSigningKeys(db: Db): Promise<SigningKeyRecord[]> {
  const rows = await db.selectFrom('signing_keys').select(COLUMNS).orderBy('created_at').orderBy('kid').execute();
  return rows.map(toRecord);
}

/**
 * Inserts `key` only when `onlyIfNoneActive` is false or no key is active (not retired); returns
 * whether it was inserted. The check and the insert are one statement (INSERT … SELECT … WHERE NOT
 * EXISTS), which SQLite runs under its write lock; on PostgreSQL two such statements under READ
 * COMMITTED would not see each other's row, so they first take a transaction-scoped advisory lock.
 * So two instances starting together on an empty table end with one key.
 */
export async function insertSigningKey(db: Db, key: NewSigningKey, onlyIfNoneActive: boolean): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext('gatehouse.signing_keys'))`.execute(trx);
    }
    const active = trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null);
    const inserted = await trx
      .insertInto('signing_keys')
      .columns(['kid', 'algorithm', 'public_jwk', 'private_key', 'created_at'])
      .expression(
        trx
          .selectNoFrom((eb) => [
            eb.val(key.kid).as('kid'),
            eb.val(key.algorithm).as('algorithm'),
            eb.val(key.publicJwk).as('public_jwk'),
            eb.val(key.privateKey).as('private_key'),
            eb.val(key.createdAt.toISOString()).as('created_at'),
          ])
          .where((eb) => (onlyIfNoneActive ? eb.not(eb.exists(active)) : eb.lit(true))),
      )
      .returning('kid')
      .executeTakeFirst();
    return inserted !== undefined;
  });
}

/** Marks the key retired at `at` unless it already is; returns whether this call retired it. */
export async function retireSigningKey(db: Db, kid: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('signing_keys')
    .set({ retired_at: at.toISOString() })
    .where('kid', '=', kid)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
