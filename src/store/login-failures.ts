import type { Db } from './schema';
import { toDate } from './schema';

/** Failures recorded for an account or an address since `since`: how many, the oldest and the newest. */
export interface FailureWindow {
  readonly count: number;
  readonly oldest: Date | null;
  readonly newest: Date | null;
}

/** Records an attempt as failed; returns its id, so that a refused or successful attempt can be forgotten. */
export async function recordLoginFailure(db: Db, failure: { accountKey: string; address: string; now: Date }): Promise<number> {
  const row = await db
    .insertInto('login_failures')
    .values({ account_key: failure.accountKey, address: failure.address, failed_at: failure.now.toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function forgetLoginFailure(db: Db, id: number): Promise<void> {
  await db.deleteFrom('login_failures').where('id', '=', id).execute();
}

/** `except`: an attempt's own row, left out so the attempt sees only the others. */
export async function failuresForAccount(db: Db, accountKey: string, since: Date, except?: number): Promise<FailureWindow> {
  return window(db, 'account_key', accountKey, since, except);
}

export async function failuresForAddress(db: Db, address: string, since: Date, except?: number): Promise<FailureWindow> {
  return window(db, 'address', address, since, except);
}

async function window(
  db: Db,
  column: 'account_key' | 'address',
  value: string,
  since: Date,
  except: number | undefined,
): Promise<FailureWindow> {
  let query = db
    .selectFrom('login_failures')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('failed_at').as('oldest'), eb.fn.max('failed_at').as('newest')])
    .where(column, '=', value)
    .where('failed_at', '>=', since.toISOString());
  if (except !== undefined) query = query.where('id', '<>', except);
  const row = await query.executeTakeFirstOrThrow();
  const oldest = row.oldest as Date | string | null;
  const newest = row.newest as Date | string | null;
  return { count: Number(row.n), oldest: oldest === null ? null : toDate(oldest), newest: newest === null ? null : toDate(newest) };
}

/** A successful login forgives the account's earlier failures (from every address: those rows go). */
export async function clearAccountFailures(db: Db, accountKey: string): Promise<void> {
  await db.deleteFrom('login_failures').where('account_key', '=', accountKey).execute();
}

/** Drops failures older than the window so the table stays small. */
export async function pruneLoginFailures(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('login_failures').where('failed_at', '<', before.toISOString()).execute();
}
