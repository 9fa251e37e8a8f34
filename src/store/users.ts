import { type ExpressionBuilder, PostgresAdapter, sql } from 'kysely';
import { parseEndedSessions, type SessionEnds } from '../auth/session-ends';
import { type Position, pastPosition } from './keyset';
import type { Db } from './schema';
import { type Database, type StoredRole, toDate, toDateOrNull, type UserRow } from './schema';

export interface UserRecord extends SessionEnds {
  readonly id: string;
  /** Null: a provider-linked account without a verified email (src/store/external-identities.ts). */
  readonly email: string | null;
  readonly name: string | null;
  readonly role: StoredRole;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
  /**
   * Organization id → the organization role held there. Present on the users the credential
   * lookups read (src/store/credential-reads.ts), absent on other reads.
   */
  readonly organizations?: Readonly<Record<string, string>>;
}

export const USER_COLUMNS = ['id', 'email', 'name', 'role', 'created_at', 'disabled_at', 'ended_sessions', 'sessions_ended_at'] as const;

export function toUser(row: Pick<UserRow, (typeof USER_COLUMNS)[number]>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: toDate(row.created_at),
    disabledAt: toDateOrNull(row.disabled_at),
    endedSessions: parseEndedSessions(row.ended_sessions),
    sessionsEndedAt: toDateOrNull(row.sessions_ended_at),
  };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Inserts a user. Throws the database's unique violation when the email is taken (any case). */
export async function insertUser(
  db: Db,
  user: { id: string; email: string | null; name: string | null; passwordHash: string; role: StoredRole; now: Date },
): Promise<UserRecord> {
  const row = await db
    .insertInto('users')
    .values({
      id: user.id,
      email: user.email,
      email_normalized: user.email === null ? null : normalizeEmail(user.email),
      name: user.name,
      password_hash: user.passwordHash,
      role: user.role,
      created_at: user.now.toISOString(),
    })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
  return toUser(row);
}

export async function findUserById(db: Db, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUsersByIds(db: Db, ids: readonly string[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('users').select(USER_COLUMNS).where('id', 'in', ids).execute();
  return rows.map(toUser);
}

/** The user and stored password hash for a login attempt, by email compared without case. */
export async function findLoginByEmail(db: Db, email: string): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select([...USER_COLUMNS, 'password_hash'])
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

/** Up to `limit` users after `after`, oldest first. */
export async function listUsers(db: Db, limit: number, after: Position | null): Promise<UserRecord[]> {
  let query = db.selectFrom('users').select(USER_COLUMNS);
  if (after !== null) query = query.where(pastPosition(after, 'asc'));
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map(toUser);
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** `WHERE` condition: some active ADMIN other than `id` exists. Part of the UPDATE, so no gap opens between check and write. */
function anotherActiveAdminExists(id: string) {
  return (eb: ExpressionBuilder<Database, 'users'>) =>
    eb(
      eb
        .selectFrom('users as other')
        .select((o) => o.fn.countAll().as('n'))
        .where('other.role', '=', 'ADMIN')
        .where('other.disabled_at', 'is', null)
        .where('other.id', '<>', id),
      '>',
      0,
    );
}

export type RoleChange = { status: 'changed'; user: UserRecord } | { status: 'not-found' } | { status: 'last-admin' };

/** Sets a user's role. Refuses to demote the last active ADMIN. */
/**
 * Runs `change` in a transaction that, on PostgreSQL, first takes an advisory lock shared by every
 * change that could remove an ADMIN: under READ COMMITTED, two admins demoting each other at once
 * would otherwise each still see the other as ADMIN, and both succeed. SQLite runs one write at a
 * time already.
 */
async function withAdminLock<T>(db: Db, change: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter)
      await sql`select pg_advisory_xact_lock(hashtext('gatehouse.admins'))`.execute(trx);
    return change(trx);
  });
}

export function updateUserRole(db: Db, id: string, role: StoredRole): Promise<RoleChange> {
  return withAdminLock(db, (trx) => updateUserRoleLocked(trx, id, role));
}

async function updateUserRoleLocked(db: Db, id: string, role: StoredRole): Promise<RoleChange> {
  let update = db.updateTable('users').set({ role }).where('id', '=', id);
  if (role !== 'ADMIN') update = update.where((eb) => eb.or([eb('role', '<>', 'ADMIN'), anotherActiveAdminExists(id)(eb)]));
  const updated = await update.returning(USER_COLUMNS).executeTakeFirst();
  if (updated !== undefined) return { status: 'changed', user: toUser(updated) };
  const existing = await findUserById(db, id);
  return existing === undefined ? { status: 'not-found' } : { status: 'last-admin' };
}

export type DisabledChange = { status: 'changed'; user: UserRecord } | { status: 'not-found' } | { status: 'last-admin' };

/**
 * Disables (at `now`) or re-enables a user. A disabled user's tokens and keys stop working on the
 * next request. Refuses to disable the last active ADMIN.
 */
export function setUserDisabled(db: Db, id: string, disabledAt: Date | null): Promise<DisabledChange> {
  return withAdminLock(db, (trx) => setUserDisabledLocked(trx, id, disabledAt));
}

async function setUserDisabledLocked(db: Db, id: string, disabledAt: Date | null): Promise<DisabledChange> {
  let update = db
    .updateTable('users')
    .set({ disabled_at: disabledAt?.toISOString() ?? null })
    .where('id', '=', id);
  if (disabledAt !== null) {
    update = update.where((eb) => eb.or([eb('role', '<>', 'ADMIN'), anotherActiveAdminExists(id)(eb)]));
  }
  const updated = await update.returning(USER_COLUMNS).executeTakeFirst();
  if (updated !== undefined) return { status: 'changed', user: toUser(updated) };
  return (await findUserById(db, id)) === undefined ? { status: 'not-found' } : { status: 'last-admin' };
}

/** Replaces a user's password hash. False when there is no such user. */
export async function updatePasswordHash(db: Db, id: string, passwordHash: string): Promise<boolean> {
  const result = await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Attempts before updateSessionEnds gives up; each lost race means another instance's write landed. */
const SESSION_ENDS_ATTEMPTS = 20;

/**
 * Rewrites a user's ended sessions with `change` (and, when `endedAt` is given, sets the cut-off for
 * tokens without a session). Compare-and-set on the stored text, retried: two instances ending
 * sessions of one account at once both land, neither overwrites the other. Undefined when there is
 * no such user.
 */
export async function updateSessionEnds(
  db: Db,
  id: string,
  change: (ended: ReadonlyMap<string, number> | null) => string | null,
  endedAt: Date | null = null,
): Promise<UserRecord | undefined> {
  for (let attempt = 0; attempt < SESSION_ENDS_ATTEMPTS; attempt++) {
    const row = await db.selectFrom('users').select('ended_sessions').where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const next = change(parseEndedSessions(row.ended_sessions));
    const updated = await db
      .updateTable('users')
      .set(endedAt === null ? { ended_sessions: next } : { ended_sessions: next, sessions_ended_at: endedAt.toISOString() })
      .where('id', '=', id)
      .where('ended_sessions', 'is not distinct from', row.ended_sessions)
      .returning(USER_COLUMNS)
      .executeTakeFirst();
    if (updated !== undefined) return toUser(updated);
  }
  throw new Error(`updateSessionEnds: ${SESSION_ENDS_ATTEMPTS} concurrent writes to the sessions of user ${id} in a row`);
}

/** The user and stored password hash, by id (changing a password checks the current one). */
export async function findLoginById(db: Db, id: string): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select([...USER_COLUMNS, 'password_hash'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}
