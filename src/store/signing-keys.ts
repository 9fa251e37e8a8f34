// The signing_keys table (migration 2026-12-06T00-00_signing-keys): the ES256 keys every instance
// signs and verifies gatehouse's access tokens with. What a row means and when a key may be
// retired is decided in src/auth/signing-keys.ts; this module only reads and writes rows.
import { PostgresAdapter, sql } from 'kysely';
import type { Db } from './schema';
import { toDate, toDateOrNull } from './schema';
import type { NewSigningKey, SigningKeyRecord } from '../auth/signing-keys';
import { type AuditEventRecord, insertAuditEvent } from './audit-events';

export type { NewSigningKey, SigningKeyRecord };

const COLUMNS = ['kid', 'algorithm', 'public_jwk', 'private_key', 'created_at', 'signs_from', 'retired_at'] as const;

function toRecord(row: {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_key: string;
  created_at: Date | string;
  signs_from: Date | string | null;
  retired_at: Date | string | null;
}): SigningKeyRecord {
  const createdAt = toDate(row.created_at);
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateKey: row.private_key,
    createdAt,
    signsFrom: row.signs_from === null ? createdAt : toDate(row.signs_from),
    retiredAt: toDateOrNull(row.retired_at),
  };
}

/** Every key, in the order they sign (retired ones too: `keys list` shows them). */
export async function listSigningKeys(db: Db): Promise<SigningKeyRecord[]> {
  const rows = await db.selectFrom('signing_keys').select(COLUMNS).orderBy('created_at').orderBy('kid').execute();
  return rows.map(toRecord).sort((a, b) => +a.signsFrom - +b.signsFrom || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
}

/**
 * Inserts `key` only when `onlyIfNoneActive` is false or no key is active (not retired); returns
 * whether it was inserted. `record`, when given, is written in the same transaction when the key is
 * (the audit event of the first key, made at start-up by whichever instance wins). The check and the insert are one statement (INSERT … SELECT … WHERE NOT
 * EXISTS), which SQLite runs under its write lock; on PostgreSQL two such statements under READ
 * COMMITTED would not see each other's row, so they first take a transaction-scoped advisory lock.
 * So two instances starting together on an empty table end with one key.
 */
export async function insertSigningKey(db: Db, key: NewSigningKey, onlyIfNoneActive: boolean, record?: AuditEventRecord): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext('gatehouse.signing_keys'))`.execute(trx);
    }
    const active = trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null);
    const inserted = await trx
      .insertInto('signing_keys')
      .columns(['kid', 'algorithm', 'public_jwk', 'private_key', 'created_at', 'signs_from'])
      .expression(
        trx
          .selectNoFrom((eb) => [
            eb.val(key.kid).as('kid'),
            eb.val(key.algorithm).as('algorithm'),
            eb.val(key.publicJwk).as('public_jwk'),
            eb.val(key.privateKey).as('private_key'),
            eb.val(key.createdAt.toISOString()).as('created_at'),
            eb.val(key.signsFrom.toISOString()).as('signs_from'),
          ])
          .where((eb) => (onlyIfNoneActive ? eb.not(eb.exists(active)) : eb.lit(true))),
      )
      .returning('kid')
      .executeTakeFirst();
    if (inserted !== undefined && record !== undefined) await insertAuditEvent(trx, record);
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

/**
 * What decides which keys sign and verify, for every key: kid, signing time, retirement; a few short
 * columns, no key material. Equal answers: no key was made, retired or rescheduled in between (the
 * kid is the public key's thumbprint). The key ring compares it before reloading (key-ring.ts).
 */
export async function signingKeysVersion(db: Db): Promise<string> {
  const rows = await db.selectFrom('signing_keys').select(['kid', 'signs_from', 'retired_at']).orderBy('kid').execute();
  const time = (value: Date | string | null): string => (value === null ? '-' : String(toDate(value).getTime()));
  return rows.map((row) => `${row.kid} ${time(row.signs_from)} ${time(row.retired_at)}`).join(',');
}
