// What the organization operations do (the GraphQL surface of schema/organizations.graphql): create
// an organization, add a member by email, change a member's role, remove a member or leave, list.
// Who may call each one is declared in the SDL (`@auth`, `@inOrganization`) and decided before the
// resolver runs. Two rules that depend on the arguments are gatehouse's own policies in the SDL
// (src/graphql/policies.ts), decided before anything runs with mayGrantRole and mayRemoveMember below,
// which this module asks again for callers that are not GraphQL requests:
// - only a holder of OWNER grants OWNER (adding one, or promoting a member to it);
// - removing another member needs ADMIN of the organization; anyone may remove themself (leave).
// What remains here depends on the row the change touches, so it is decided inside the statement
// under the organization's lock (src/store/organizations.ts), where parallel requests cannot both pass:
// - only a holder of OWNER takes OWNER (demoting or removing an OWNER);
// - the last OWNER can never be demoted or removed;
// - adding an address that names no account, a disabled one or a member already gives one and the
//   same BAD_USER_INPUT, so membership calls reveal no accounts.
// Every change is audited.
import type { App } from '../app';
import { MEMBER, OWNER, type OrganizationRoles } from '../auth/organization-roles';
import { organizationRoleOf, type Viewer } from '../auth/viewer';
import { Forbidden, InvalidInput, NotFound } from '../errors';
import { newId } from '../store/ids';
import {
  countMemberships,
  countMembershipsOf,
  deleteMembership,
  findOrganizations,
  insertMembership,
  insertOrganization,
  listMemberships,
  type MembershipRecord,
  type OrganizationRecord,
  type OwnerGuard,
  updateMembershipRole,
} from '../store/organizations';
import { normalizeEmail } from '../store/users';
import { audit, type RequestOrigin } from './audit';
import { type Connection, decodeCursor, toConnection } from './pagination';
import { requiredText, validEmail, validId, validPageSize } from './validation';

export const ORGANIZATION_LIMITS = Object.freeze({
  nameMax: 100,
  /** Organizations one user may belong to; createOrganization refuses beyond it. */
  membershipsPerUser: 500,
});

/** The one answer to an address that cannot be added, whether or not it names an account. */
export const CANNOT_ADD_MESSAGE = 'This address cannot be added to the organization (no such account, or already a member).';

/** The role that may remove other members and change roles: ADMIN when declared, else OWNER. */
function managerRole(roles: OrganizationRoles): string {
  return roles.values.includes('ADMIN') ? 'ADMIN' : OWNER;
}

function guardFor(viewer: Viewer, organizationId: string, roles: OrganizationRoles): OwnerGuard {
  const held = organizationRoleOf(viewer, organizationId);
  return { ownerRoles: roles.holdersOf(OWNER), callerIsOwner: held !== undefined && roles.holds(held, OWNER) };
}

/** Whether `viewer` may give `role` in the organization (ids as stored): a role holding OWNER only as an OWNER. */
export function mayGrantRole(viewer: Viewer, organizationId: string, role: string, roles: OrganizationRoles): boolean {
  return !roles.values.includes(role) || !roles.holds(role, OWNER) || guardFor(viewer, organizationId, roles).callerIsOwner;
}

/** Whether `viewer` may remove `userId` from the organization (ids as stored): themself (leaving), or as its manager role. */
export function mayRemoveMember(viewer: Viewer, organizationId: string, userId: string, roles: OrganizationRoles): boolean {
  if (userId === viewer.id) return true;
  const held = organizationRoleOf(viewer, organizationId);
  return held !== undefined && roles.holds(held, managerRole(roles));
}

export async function createOrganization(
  app: App,
  viewer: Viewer,
  args: { name: string },
  origin: RequestOrigin,
): Promise<OrganizationRecord> {
  const name = requiredText(args.name, ORGANIZATION_LIMITS.nameMax, 'name');
  if ((await countMembershipsOf(app.store.db, viewer.id)) >= ORGANIZATION_LIMITS.membershipsPerUser)
    throw new InvalidInput(`You may belong to at most ${ORGANIZATION_LIMITS.membershipsPerUser} organizations.`, 'name');
  const organization = await insertOrganization(app.store.db, { id: newId(), name, ownerId: viewer.id, ownerRole: OWNER, now: app.now() });
  await audit(app, origin, 'organization.created', { subjectId: viewer.id, detail: { organizationId: organization.id } });
  return organization;
}

/** The organizations the viewer is a member of (as of this request), oldest first. */
export function myOrganizations(app: App, viewer: Viewer): Promise<OrganizationRecord[]> {
  return findOrganizations(app.store.db, Object.keys(viewer.organizations ?? {}));
}

export async function organization(app: App, rawId: string): Promise<OrganizationRecord | null> {
  const [found] = await findOrganizations(app.store.db, [validId(rawId)]);
  return found ?? null;
}

export async function members(
  app: App,
  organizationId: string,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<MembershipRecord>> {
  const limit = validPageSize(args.first);
  const after = decodeCursor(args.after);
  const [rows, total] = await Promise.all([
    listMemberships(app.store.db, organizationId, limit + 1, after),
    countMemberships(app.store.db, organizationId),
  ]);
  return toConnection(rows, limit, total);
}

export async function addMember(
  app: App,
  viewer: Viewer,
  args: { organizationId: string; email: string; role?: string | null },
  roles: OrganizationRoles,
  origin: RequestOrigin,
): Promise<MembershipRecord> {
  const organizationId = validId(args.organizationId, 'organizationId');
  const role = args.role ?? MEMBER;
  if (!roles.values.includes(role)) throw new InvalidInput(`${role} is not an organization role.`, 'role');
  let email: string;
  try {
    email = validEmail(args.email);
  } catch {
    throw new InvalidInput(CANNOT_ADD_MESSAGE, 'email');
  }
  if (!mayGrantRole(viewer, organizationId, role, roles)) throw new Forbidden(`Only an ${OWNER} may grant ${OWNER}.`);
  const added = await insertMembership(app.store.db, { organizationId, emailNormalized: normalizeEmail(email), role, now: app.now() });
  if (added.status === 'not-added') throw new InvalidInput(CANNOT_ADD_MESSAGE, 'email');
  await audit(app, origin, 'organization.member_added', {
    subjectId: added.membership.userId,
    detail: { organizationId, role },
  });
  return added.membership;
}

export async function setMemberRole(
  app: App,
  viewer: Viewer,
  args: { organizationId: string; userId: string; role: string },
  roles: OrganizationRoles,
  origin: RequestOrigin,
): Promise<MembershipRecord> {
  const organizationId = validId(args.organizationId, 'organizationId');
  const userId = validId(args.userId, 'userId');
  if (!roles.values.includes(args.role)) throw new InvalidInput(`${args.role} is not an organization role.`, 'role');
  const result = await updateMembershipRole(
    app.store.db,
    { organizationId, userId, role: args.role },
    guardFor(viewer, organizationId, roles),
  );
  switch (result.status) {
    case 'changed':
      if (result.from !== args.role)
        await audit(app, origin, 'organization.member_role_changed', {
          subjectId: userId,
          detail: { organizationId, from: result.from, to: args.role },
        });
      return result.membership;
    case 'owner-only':
      throw new Forbidden(`Only an ${OWNER} may grant or take ${OWNER}.`);
    case 'last-owner':
      throw new InvalidInput(`This is the organization's last ${OWNER}; make another member ${OWNER} first.`, 'role');
    default:
      throw new NotFound('Member');
  }
}

/** Removes a member: an ADMIN of the organization may remove anyone (an OWNER only if an OWNER), anyone may leave. */
export async function removeMember(
  app: App,
  viewer: Viewer,
  args: { organizationId: string; userId: string },
  roles: OrganizationRoles,
  origin: RequestOrigin,
): Promise<boolean> {
  const organizationId = validId(args.organizationId, 'organizationId');
  const userId = validId(args.userId, 'userId');
  const leaving = userId === viewer.id;
  if (!mayRemoveMember(viewer, organizationId, userId, roles))
    throw new Forbidden(`Only an ${managerRole(roles)} of the organization may remove another member.`);
  const guard = leaving ? { ...guardFor(viewer, organizationId, roles), callerIsOwner: true } : guardFor(viewer, organizationId, roles);
  const result = await deleteMembership(app.store.db, { organizationId, userId }, guard);
  switch (result.status) {
    case 'removed':
      await audit(app, origin, 'organization.member_removed', {
        subjectId: userId,
        detail: { organizationId, role: result.from, left: leaving },
      });
      return true;
    case 'owner-only':
      throw new Forbidden(`Only an ${OWNER} may remove an ${OWNER}.`);
    case 'last-owner':
      throw new InvalidInput(`This is the organization's last ${OWNER}; make another member ${OWNER} first.`, 'userId');
    default:
      throw new NotFound('Member');
  }
}
