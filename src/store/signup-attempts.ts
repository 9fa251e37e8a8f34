import { PostgresAdapter, sql } from 'kysely';
import type { Db } from './schema';
import { toDate } from './schema';

/**
 * Records a sign-up attempt from `address` and counts the attempts from that address in the window
 * before it. Both happen in one transaction that holds the address's attempts still: SQLite's write
 * lock, taken by the insert, is held until the count is made (for every process on the file), and
 * PostgreSQL first takes an advisory lock on the address. So parallel attempts, in one process or
 * several, are counted one after another, and a burst gets exactly the limit through, not more and
 * not fewer. Returns this attempt's id and the others' count and oldest time.
 */
export async function recordSignupAttempt(
  db: Db,
  attempt: { address: string; now: Date; since: Date },
): Promise<{ id: number; others: number; oldest: Date | null }> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse.signups:${attempt.address}`}))`.execute(trx);
    }
    const row = await trx
      .insertInto('signup_attempts')
      .values({ address: attempt.address, attempted_at: attempt.now.toISOString() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    const counted = await trx
      .selectFrom('signup_attempts')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('attempted_at').as('oldest')])
      .where('address', '=', attempt.address)
      .where('attempted_at', '>=', attempt.since.toISOString())
      .where('id', '<>', id)
      .executeTakeFirstOrThrow();
    const oldest = counted.oldest as Date | string | null;
    return { id, others: Number(counted.n), oldest: oldest === null ? null : toDate(oldest) };
  });
}

/** Forgets an attempt that was refused before it did anything (rate limited, or no hash slot free). */
export async function forgetSignupAttempt(db: Db, id: number): Promise<void> {
  await db.deleteFrom('signup_attempts').where('id', '=', id).execute();
}

/** Drops attempts older than the window so the table stays small. */
export async function pruneSignupAttempts(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('signup_attempts').where('attempted_at', '<', before.toISOString()).execute();
}
