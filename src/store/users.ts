import { type ExpressionBuilder, PostgresAdapter, sql } from 'kysely';
import { TOP_ROLE } from '../auth/roles';
import { parseEndedSessions, type SessionEnds } from '../auth/session-ends';
import { type Position, pastPosition } from './keyset';
import type { Db } from './schema';
import { type Database, toDate, toDateOrNull, type UserRow } from './schema';

export interface UserRecord extends SessionEnds {
  readonly id: string;
  /** Null: a provider-linked account without a verified email (src/store/external-identities.ts). */
  readonly email: string | null;
  readonly name: string | null;
  /** The roles granted (user_roles), not expanded: authentication expands them through the declared `@includes`. */
  readonly roles: readonly string[];
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
  /**
   * Organization id → the organization role held there. Present on the users the credential
   * lookups read (src/store/credential-reads.ts), absent on other reads.
   */
  readonly organizations?: Readonly<Record<string, string>>;
}

export const USER_COLUMNS = ['id', 'email', 'name', 'created_at', 'disabled_at', 'ended_sessions', 'sessions_ended_at'] as const;

/**
 * SQL for a user's granted roles as one comma-separated value (role names are GraphQL enum values:
 * no commas), the user's row being `alias`: read with the row, in the same statement, so a user
 * and its roles are one read (SQLite 3.44+ and PostgreSQL both have `string_agg … order by`).
 */
export function rolesSql(alias: string): string {
  return `(select string_agg(r.role, ',' order by r.role) from user_roles r where r.user_id = ${alias}.id)`;
}

/** USER_COLUMNS and the roles, for Kysely selects and returns on `users`. */
const USER_SELECTION = [...USER_COLUMNS, sql.raw<string | null>(rolesSql('users')).as('roles')] as const;

export type UserColumns = Pick<UserRow, (typeof USER_COLUMNS)[number]> & { readonly roles: string | null };

export function toUser(row: UserColumns): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles === null || row.roles === '' ? Object.freeze([]) : Object.freeze(row.roles.split(',')),
    createdAt: toDate(row.created_at),
    disabledAt: toDateOrNull(row.disabled_at),
    endedSessions: parseEndedSessions(row.ended_sessions),
    sessionsEndedAt: toDateOrNull(row.sessions_ended_at),
  };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Runs `work` in the transaction `db` is, or in a new one. */
function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/**
 * Inserts a user holding `roles` (at least one), in one transaction. Throws the database's unique
 * violation when the email is taken (any case).
 */
export function insertUser(
  db: Db,
  user: { id: string; email: string | null; name: string | null; passwordHash: string; roles: readonly string[]; now: Date },
): Promise<UserRecord> {
  if (user.roles.length === 0) throw new TypeError('insertUser: a user holds at least one role');
  return inTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('users')
      .values({
        id: user.id,
        email: user.email,
        email_normalized: user.email === null ? null : normalizeEmail(user.email),
        name: user.name,
        password_hash: user.passwordHash,
        created_at: user.now.toISOString(),
      })
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow();
    const roles = [...new Set(user.roles)];
    await trx
      .insertInto('user_roles')
      .values(roles.map((role) => ({ user_id: user.id, role, granted_at: user.now.toISOString() })))
      .execute();
    return toUser({ ...row, roles: [...roles].sort().join(',') });
  });
}

export async function findUserById(db: Db, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').select(USER_SELECTION).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUsersByIds(db: Db, ids: readonly string[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('users').select(USER_SELECTION).where('id', 'in', ids).execute();
  return rows.map(toUser);
}

/** The user and stored password hash for a login attempt, by email compared without case. */
export async function findLoginByEmail(db: Db, email: string): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select([...USER_SELECTION, 'password_hash'])
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

/**
 * A `LIKE` pattern matching text that contains `text`, with `%`, `_` and the escape character
 * itself taken literally (both dialects read `escape '\'`).
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `WHERE` condition: the lower-cased email contains `text` (lower-cased by the caller). */
function emailContaining(text: string) {
  return (eb: ExpressionBuilder<Database, 'users'>) => eb('email_normalized', 'like', sql<string>`${containsPattern(text)} escape '\\'`);
}

/** Up to `limit` users after `after`, oldest first; only those whose email contains `emailContains` when given. */
export async function listUsers(db: Db, limit: number, after: Position | null, emailContains: string | null = null): Promise<UserRecord[]> {
  let query = db
    .selectFrom('users')
    .select(USER_SELECTION)
    .$if(emailContains !== null, (q) => q.where(emailContaining(emailContains ?? '')));
  if (after !== null) query = query.where(pastPosition(after, 'asc'));
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map(toUser);
}

export async function countUsers(db: Db, emailContains: string | null = null): Promise<number> {
  const row = await db
    .selectFrom('users')
    .$if(emailContains !== null, (q) => q.where(emailContaining(emailContains ?? '')))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Condition: some active ADMIN other than `id` exists. Part of the statement that removes an ADMIN
 * (its role, or its ability to act), so no gap opens between check and write.
 */
function anotherActiveAdminExists(id: string) {
  return sql<boolean>`exists (select 1 from user_roles admin join users other on other.id = admin.user_id
    where admin.role = ${TOP_ROLE} and other.disabled_at is null and other.id <> ${id})`;
}

/** Condition on `users`: this user holds no ADMIN role. */
const holdsNoAdmin = sql<boolean>`not exists (select 1 from user_roles mine where mine.user_id = users.id and mine.role = ${TOP_ROLE})`;

/**
 * Runs `change` in a transaction that, on PostgreSQL, first takes an advisory lock shared by every
 * change to a user's roles or to whether an ADMIN may act: under READ COMMITTED, two admins
 * demoting each other at once would otherwise each still see the other as ADMIN, and both succeed
 * (and two revokes of a user's two roles would each see the other role). SQLite runs one write at a
 * time already, and each guarded change is one statement.
 */
async function withAdminLock<T>(db: Db, change: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter)
      await sql`select pg_advisory_xact_lock(hashtext('gatehouse.admins'))`.execute(trx);
    return change(trx);
  });
}

/** What a change to a user's roles did; `before` is the granted roles it replaced. */
export type RoleChange =
  | { status: 'changed' | 'unchanged'; user: UserRecord; before: readonly string[] }
  | { status: 'not-found' }
  | { status: 'last-admin' }
  | { status: 'last-role' };

/** Thrown inside a role change's transaction to roll it back: the change would take the last ADMIN's ADMIN. */
class LastAdmin extends Error {}

/** Sets a user's roles to exactly `role`. Refuses to take ADMIN from the last active ADMIN. */
export async function updateUserRole(db: Db, id: string, role: string, now: Date): Promise<RoleChange> {
  try {
    return await withAdminLock(db, async (trx) => {
      const before = await findUserById(trx, id);
      if (before === undefined) return { status: 'not-found' };
      // The new role first, so that taking ADMIN (guarded: the user keeps a role) can go through.
      await addRole(trx, id, role, now);
      if (role !== TOP_ROLE && before.roles.includes(TOP_ROLE) && !(await removeRole(trx, id, TOP_ROLE))) throw new LastAdmin();
      await trx.deleteFrom('user_roles').where('user_id', '=', id).where('role', '<>', role).execute();
      return settled(trx, id, before.roles);
    });
  } catch (error) {
    if (error instanceof LastAdmin) return { status: 'last-admin' };
    throw error;
  }
}

/** Grants `role` to a user (nothing to do when held already). */
export function grantUserRole(db: Db, id: string, role: string, now: Date): Promise<RoleChange> {
  return withAdminLock(db, async (trx) => {
    const before = await findUserById(trx, id);
    if (before === undefined) return { status: 'not-found' };
    await addRole(trx, id, role, now);
    return settled(trx, id, before.roles);
  });
}

/**
 * Takes `role` from a user (nothing to do when not held). Refuses to take ADMIN from the last active
 * ADMIN, and a user's last role: a user holds at least one (setUserRole replaces it).
 */
export function revokeUserRole(db: Db, id: string, role: string): Promise<RoleChange> {
  return withAdminLock(db, async (trx) => {
    const before = await findUserById(trx, id);
    if (before === undefined) return { status: 'not-found' };
    if (!before.roles.includes(role)) return { status: 'unchanged', user: before, before: before.roles };
    if (before.roles.length === 1) return { status: 'last-role' };
    if (!(await removeRole(trx, id, role))) return { status: role === TOP_ROLE ? 'last-admin' : 'last-role' };
    return settled(trx, id, before.roles);
  });
}

/**
 * Deletes one granted role, in one statement that also checks the user keeps another role and, for
 * ADMIN, that another active ADMIN remains. False when the statement deleted nothing.
 */
async function removeRole(trx: Db, id: string, role: string): Promise<boolean> {
  let remove = trx
    .deleteFrom('user_roles')
    .where('user_id', '=', id)
    .where('role', '=', role)
    .where((eb) =>
      eb.exists(eb.selectFrom('user_roles as kept').select('kept.user_id').where('kept.user_id', '=', id).where('kept.role', '<>', role)),
    );
  if (role === TOP_ROLE) remove = remove.where(anotherActiveAdminExists(id));
  const result = await remove.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

async function addRole(trx: Db, id: string, role: string, now: Date): Promise<void> {
  await trx
    .insertInto('user_roles')
    .values({ user_id: id, role, granted_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['user_id', 'role']).doNothing())
    .execute();
}

async function settled(trx: Db, id: string, before: readonly string[]): Promise<RoleChange> {
  const user = (await findUserById(trx, id)) as UserRecord;
  const same = user.roles.length === before.length && user.roles.every((role) => before.includes(role));
  return { status: same ? 'unchanged' : 'changed', user, before };
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
    update = update.where((eb) => eb.or([holdsNoAdmin, anotherActiveAdminExists(id)]));
  }
  const updated = await update.returning(USER_SELECTION).executeTakeFirst();
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
      .returning(USER_SELECTION)
      .executeTakeFirst();
    if (updated !== undefined) return toUser(updated);
  }
  throw new Error(`updateSessionEnds: ${SESSION_ENDS_ATTEMPTS} concurrent writes to the sessions of user ${id} in a row`);
}

/** The user and stored password hash, by id (changing a password checks the current one). */
export async function findLoginById(db: Db, id: string): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select([...USER_SELECTION, 'password_hash'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}
