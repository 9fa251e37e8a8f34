// The organizations and memberships tables (migration 2026-12-07T01-00_organizations). Every change
// that could leave an organization without an OWNER decides inside one statement, under an
// advisory lock per organization on PostgreSQL (READ COMMITTED would let two parallel demotions each
// still count the other OWNER; SQLite runs one write at a time). Which roles count as OWNER is the
// caller's to say (`ownerRoles`: the declared organization roles that include OWNER).
import { type ExpressionBuilder, PostgresAdapter, sql } from 'kysely';
import { type Position, pastPosition } from './keyset';
import { type Database, type Db, toDate } from './schema';

export interface OrganizationRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface MembershipRecord {
  readonly organizationId: string;
  readonly userId: string;
  readonly role: string;
  readonly createdAt: Date;
  /** The member's user id: with `createdAt`, the membership's place in a list (keyset.ts). */
  readonly id: string;
}

const ORGANIZATION_COLUMNS = ['id', 'name', 'created_at'] as const;
const MEMBERSHIP_COLUMNS = ['organization_id', 'user_id', 'role', 'created_at'] as const;

function toOrganization(row: { id: string; name: string; created_at: Date | string }): OrganizationRecord {
  return { id: row.id, name: row.name, createdAt: toDate(row.created_at) };
}

function toMembership(row: { organization_id: string; user_id: string; role: string; created_at: Date | string }): MembershipRecord {
  return {
    organizationId: row.organization_id,
    userId: row.user_id,
    role: row.role,
    createdAt: toDate(row.created_at),
    id: row.user_id,
  };
}

/** Runs `change` in a transaction holding, on PostgreSQL, the organization's advisory lock. */
function withOrganizationLock<T>(db: Db, organizationId: string, change: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter)
      await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse.organization:${organizationId}`}))`.execute(trx);
    return change(trx);
  });
}

/** Creates an organization with `ownerId` as its one member, holding `ownerRole`. */
export async function insertOrganization(
  db: Db,
  organization: { id: string; name: string; ownerId: string; ownerRole: string; now: Date },
): Promise<OrganizationRecord> {
  const at = organization.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('organizations')
      .values({ id: organization.id, name: organization.name, created_at: at })
      .returning(ORGANIZATION_COLUMNS)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('memberships')
      .values({ organization_id: organization.id, user_id: organization.ownerId, role: organization.ownerRole, created_at: at })
      .execute();
    return toOrganization(row);
  });
}

/** How many organizations a user is a member of (the cap createOrganization applies). */
export async function countMembershipsOf(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The organizations with these ids, in no particular order (unknown ids are left out). */
export async function findOrganizations(db: Db, ids: readonly string[]): Promise<OrganizationRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('organizations')
    .select(ORGANIZATION_COLUMNS)
    .where('id', 'in', [...ids])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toOrganization);
}

/** One page of an organization's members, oldest membership first, after `after`. */
export async function listMemberships(db: Db, organizationId: string, limit: number, after: Position | null): Promise<MembershipRecord[]> {
  let query = db.selectFrom('memberships').select(MEMBERSHIP_COLUMNS).where('organization_id', '=', organizationId);
  if (after !== null) query = query.where(pastPosition(after, 'asc', 'created_at', 'user_id'));
  const rows = await query.orderBy('created_at').orderBy('user_id').limit(limit).execute();
  return rows.map(toMembership);
}

export async function countMemberships(db: Db, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findMembership(db: Db, organizationId: string, userId: string): Promise<MembershipRecord | undefined> {
  const row = await db
    .selectFrom('memberships')
    .select(MEMBERSHIP_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row && toMembership(row);
}

export type MemberAdded = { status: 'added'; membership: MembershipRecord } | { status: 'not-added' };

/**
 * Adds the active user with this normalised email to the organization. `not-added` for an unknown
 * or disabled account and for a user already a member alike: the caller answers both the same.
 */
export async function insertMembership(
  db: Db,
  membership: { organizationId: string; emailNormalized: string; role: string; now: Date },
): Promise<MemberAdded> {
  const user = await db
    .selectFrom('users')
    .select('id')
    .where('email_normalized', '=', membership.emailNormalized)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (user === undefined) return { status: 'not-added' };
  const row = await db
    .insertInto('memberships')
    .values({
      organization_id: membership.organizationId,
      user_id: user.id,
      role: membership.role,
      created_at: membership.now.toISOString(),
    })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing())
    .returning(MEMBERSHIP_COLUMNS)
    .executeTakeFirst();
  return row === undefined ? { status: 'not-added' } : { status: 'added', membership: toMembership(row) };
}

export type MembershipChange =
  | { status: 'changed'; membership: MembershipRecord; from: string }
  | { status: 'removed'; from: string }
  | { status: 'not-found' }
  | { status: 'owner-only' }
  | { status: 'last-owner' };

/** What a change of a membership may touch, decided by the service from the caller's role. */
export interface OwnerGuard {
  /** The organization roles that include OWNER: the last member holding one of them stays. */
  readonly ownerRoles: readonly string[];
  /** Whether the caller may grant or take an owner role (they hold one themself). */
  readonly callerIsOwner: boolean;
}

/**
 * Sets a member's role. Refused (`owner-only`) when the change grants or takes an owner role and
 * the caller holds none; refused (`last-owner`) when it would leave the organization with no owner.
 */
export function updateMembershipRole(
  db: Db,
  target: { organizationId: string; userId: string; role: string },
  guard: OwnerGuard,
): Promise<MembershipChange> {
  return withOrganizationLock(db, target.organizationId, async (trx) => {
    const before = await findMembership(trx, target.organizationId, target.userId);
    if (before === undefined) return { status: 'not-found' };
    const touchesOwner = guard.ownerRoles.includes(before.role) || guard.ownerRoles.includes(target.role);
    if (touchesOwner && !guard.callerIsOwner) return { status: 'owner-only' };
    let update = trx
      .updateTable('memberships')
      .set({ role: target.role })
      .where('organization_id', '=', target.organizationId)
      .where('user_id', '=', target.userId);
    if (!guard.ownerRoles.includes(target.role)) update = update.where((eb) => keepsAnOwner(eb, target, guard.ownerRoles));
    const row = await update.returning(MEMBERSHIP_COLUMNS).executeTakeFirst();
    if (row === undefined) return { status: 'last-owner' };
    return { status: 'changed', membership: toMembership(row), from: before.role };
  });
}

/** Removes a member, with the same guards as updateMembershipRole. */
export function deleteMembership(db: Db, target: { organizationId: string; userId: string }, guard: OwnerGuard): Promise<MembershipChange> {
  return withOrganizationLock(db, target.organizationId, async (trx) => {
    const before = await findMembership(trx, target.organizationId, target.userId);
    if (before === undefined) return { status: 'not-found' };
    if (guard.ownerRoles.includes(before.role) && !guard.callerIsOwner) return { status: 'owner-only' };
    const result = await trx
      .deleteFrom('memberships')
      .where('organization_id', '=', target.organizationId)
      .where('user_id', '=', target.userId)
      .where((eb) => keepsAnOwner(eb, target, guard.ownerRoles))
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return { status: 'last-owner' };
    return { status: 'removed', from: before.role };
  });
}

/**
 * The statement's own condition: the target holds no owner role, or another member of the
 * organization does. Inside the statement, so no read before it can go stale.
 */
function keepsAnOwner(
  eb: ExpressionBuilder<Database, 'memberships'>,
  target: { organizationId: string; userId: string },
  ownerRoles: readonly string[],
) {
  if (ownerRoles.length === 0) return eb.val(true);
  return eb.or([
    eb('role', 'not in', [...ownerRoles]),
    eb(
      eb
        .selectFrom('memberships as other')
        .select((o) => o.fn.countAll().as('n'))
        .where('other.organization_id', '=', target.organizationId)
        .where('other.user_id', '<>', target.userId)
        .where('other.role', 'in', [...ownerRoles]),
      '>',
      0,
    ),
  ]);
}

/** Organization id → role for every membership of `userId` (the test kit's viewers; requests read them with the user). */
export async function membershipsOf(db: Db, userId: string): Promise<Readonly<Record<string, string>>> {
  const rows = await db.selectFrom('memberships').select(['organization_id', 'role']).where('user_id', '=', userId).execute();
  return Object.freeze(Object.fromEntries(rows.map((row) => [row.organization_id, row.role])));
}

/** Makes `userId` a member holding `role`, or changes the role it holds (the test kit's setup; no guard). */
export async function putMembership(
  db: Db,
  membership: { organizationId: string; userId: string; role: string; now: Date },
): Promise<void> {
  await db
    .insertInto('memberships')
    .values({
      organization_id: membership.organizationId,
      user_id: membership.userId,
      role: membership.role,
      created_at: membership.now.toISOString(),
    })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role: membership.role }))
    .execute();
}
