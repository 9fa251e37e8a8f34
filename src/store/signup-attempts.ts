import type { Db } from './database';
import { toDate } from './schema';

/**
 * Records a sign-up attempt from `address`, then counts the attempts from that address in the
 * window other than this one. Insert first, count second: of two parallel attempts, the one that
 * counts later sees the other's row, so a burst cannot pass the limit (it may refuse a few more than
 * needed instead). Returns this attempt's id and the others' count and oldest time.
 */
export async function recordSignupAttempt(db: Db, attempt: { address: string; now: Date; since: Date }): Promise<{ id: number; others: number; oldest: Date | null }> {
  const row = await db
    .insertInto('signup_attempts')
    .values({ address: attempt.address, attempted_at: attempt.now.toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(row.id);
  const counted = await db
    .selectFrom('signup_attempts')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('attempted_at').as('oldest')])
    .where('address', '=', attempt.address)
    .where('attempted_at', '>=', attempt.since.toISOString())
    .where('id', '<>', id)
    .executeTakeFirstOrThrow();
  const oldest = counted.oldest as Date | string | null;
  return { id, others: Number(counted.n), oldest: oldest === null ? null : toDate(oldest) };
}

/** Forgets an attempt that was refused before it did anything (rate limited, or no hash slot free). */
export async function forgetSignupAttempt(db: Db, id: number): Promise<void> {
  await db.deleteFrom('signup_attempts').where('id', '=', id).execute();
}

/** Drops attempts older than the window so the table stays small. */
export async function pruneSignupAttempts(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('signup_attempts').where('attempted_at', '<', before.toISOString()).execute();
}
