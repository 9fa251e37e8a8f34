/**
 * `@inOrganization`: a field only members of the object's organization (holding at least `role`
 * there), or holders of the global `orRole`, may use.
 * - On an object's field (or type) the organization id is the parent's property named `field`: no
 *   query per object, however long the list. The caller's memberships are part of the viewer
 *   (`Viewer.organizations`), read with the user by the credential lookups, so they are as fresh as
 *   roles (src/store/credential-lookups.ts's rule) and cost nothing per request while unchanged.
 * - With `argument`, the id is that argument of the field itself: on a root field the operation gate
 *   decides it before anything runs (a mutation in another tenant changes nothing).
 * - No global role passes unless it is `orRole` (or includes it): an ADMIN is not a member of every
 *   organization.
 * Which organization roles there are, and which includes which, is read once per schema from its
 * `OrganizationRole` enum (`organizationRolesIn`). Pure: decides from the viewer and the values given.
 */
import { declaredRoles } from './declared-roles';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import {
  DEFAULT_ORGANIZATION_ROLE_INCLUDES,
  MEMBER,
  type OrganizationRoles,
  organizationRolesOf,
  REQUIRED_ORGANIZATION_ROLES,
} from '../auth/organization-roles';
import type { RoleCatalog } from '../auth/role-catalog';
import { organizationRoleOf, type Viewer } from '../auth/viewer';
import { readRoleCatalog } from './declared-roles';
import { Denial, forbidden, unauthenticated } from './denials';

/** What one `@inOrganization` says, with the organization roles that pass it resolved. */
export interface OrganizationRule {
  /** The organization role required (or one that includes it). */
  readonly role: string;
  /** The object's property holding its organization's id (used when `argument` is null). */
  readonly field: string;
  /** The field's argument holding the organization id, or null: the object's `field` property. */
  readonly argument: string | null;
  /** A global role that passes without membership, or null: none. */
  readonly orRole: string | null;
  /** The organization roles whose holders pass (`role` and every role including it). */
  readonly heldBy: readonly string[];
  /** The schema's global roles, which decide `orRole` (a role that includes it passes too). */
  readonly globalRoles: RoleCatalog;
}

const rolesBySchema = new WeakMap<GraphQLSchema, OrganizationRoles>();

/**
 * The organization roles `schema` declares: its `OrganizationRole` enum, each value's
 * `@includes(roles: …)` naming the roles it includes (declared-roles.ts); MEMBER and OWNER must
 * exist. Read once per schema; a bad declaration throws RoleDeclarationError naming it.
 */
export function organizationRolesIn(schema: GraphQLSchema): OrganizationRoles {
  let roles = rolesBySchema.get(schema);
  if (roles === undefined) {
    roles = organizationRolesOf(
      readRoleCatalog(schema, 'OrganizationRole', DEFAULT_ORGANIZATION_ROLE_INCLUDES, REQUIRED_ORGANIZATION_ROLES),
    );
    rolesBySchema.set(schema, roles);
  }
  return roles;
}

/** Reads one `@inOrganization`'s arguments. */
export function organizationRule(schema: GraphQLSchema, args: Record<string, unknown>): OrganizationRule {
  const role = String(args['role'] ?? MEMBER);
  const argument = args['argument'] === undefined || args['argument'] === null ? null : String(args['argument']);
  const orRole = args['orRole'] === undefined || args['orRole'] === null ? null : String(args['orRole']);
  return {
    role,
    field: String(args['field'] ?? 'organizationId'),
    argument,
    orRole,
    heldBy: organizationRolesIn(schema).holdersOf(role),
    globalRoles: declaredRoles(schema),
  };
}

/**
 * Marks an object as belonging to an organization the caller joined during this request (with the
 * role given), although the viewer, read before the request ran, does not hold that membership:
 * the organization createOrganization returns is its creator's (as `ownedByCaller` for `@owner`).
 */
export const JOINED_BY_CALLER: unique symbol = Symbol.for('gatehouse.joinedByCaller');

export function joinedByCaller<T extends object>(
  object: T,
  organizationId: string,
  role: string,
): T & { readonly [JOINED_BY_CALLER]: { organizationId: string; role: string } } {
  return { ...object, [JOINED_BY_CALLER]: { organizationId, role } };
}

/** The role the viewer holds in `organizationId`, as the viewer says or as `source` was marked (joinedByCaller). */
export function callerRoleIn(viewer: Viewer | null, organizationId: string, source?: unknown): string | undefined {
  const joined = (source as { [JOINED_BY_CALLER]?: { organizationId: string; role: string } } | null | undefined)?.[JOINED_BY_CALLER];
  if (joined !== undefined && joined.organizationId === organizationId) return joined.role;
  return organizationRoleOf(viewer, organizationId);
}

/** True when `viewer` passes `rule` for the organization `organizationId` names (`source`: the object, if any). Pure. */
export function passesOrganization(rule: OrganizationRule, viewer: Viewer, organizationId: unknown, source?: unknown): boolean {
  if (rule.orRole !== null && rule.globalRoles.holds(viewer.roles, rule.orRole)) return true;
  if (typeof organizationId !== 'string' && typeof organizationId !== 'number') return false;
  const held = callerRoleIn(viewer, String(organizationId), source);
  return held !== undefined && rule.heldBy.includes(held);
}

/** The error for a caller who fails `rule` on `coordinate`. */
export function organizationDenial(rule: OrganizationRule, viewer: Viewer | null, coordinate: string): GraphQLError {
  if (viewer === null) return unauthenticated(`You must be signed in to use ${coordinate}.`);
  const who = `${rule.role === MEMBER ? 'a member' : `a ${rule.role}`} of ${rule.argument === null ? "the object's" : 'that'} organization`;
  return forbidden(`Only ${who}${rule.orRole === null ? '' : ` or an ${rule.orRole}`} may use ${coordinate}.`);
}

/**
 * The decision of a field's `@inOrganization` rules (all must pass): given the viewer, the parent
 * and the field's arguments, the error or null. Null when the field has none. The error is a
 * Denial naming the rule as written, found among `sources` (the requirement's): the metrics, the
 * denial log line and `extensions.rule` read it.
 */
export function compileOrganizationCheck(
  rules: readonly OrganizationRule[],
  coordinate: string,
  /** A rule as written (`@inOrganization(role: ADMIN) on Invoice`), for `extensions.rule` and the denial log. */
  ruleText: (rule: OrganizationRule) => string | null = () => null,
): ((viewer: Viewer | null, source: unknown, args: Readonly<Record<string, unknown>>) => GraphQLError | null) | null {
  if (rules.length === 0) return null;
  const denied = (rule: OrganizationRule, viewer: Viewer | null) =>
    new Denial(organizationDenial(rule, viewer, coordinate), coordinate, ruleText(rule));
  const full = (rule: OrganizationRule, viewer: Viewer | null, source: unknown, args: Readonly<Record<string, unknown>>) => {
    if (viewer === null) return denied(rule, viewer);
    const id = rule.argument === null ? (source as Record<string, unknown> | null | undefined)?.[rule.field] : args[rule.argument];
    return passesOrganization(rule, viewer, id, source) ? null : denied(rule, viewer);
  };
  const [only] = rules;
  if (rules.length === 1 && only !== undefined && only.argument === null) {
    // The common case, on every item of a list: one rule on the object. A member passes on one
    // property read and one lookup (a role held is one of `heldBy`; an inherited property such as
    // `constructor` never is); everything else takes the full decision.
    const { field, heldBy } = only;
    return (viewer, source, args) => {
      const id = (source as Record<string, unknown> | null | undefined)?.[field];
      const held = viewer !== null && typeof id === 'string' ? viewer.organizations?.[id] : undefined;
      return held !== undefined && heldBy.includes(held) ? null : full(only, viewer, source, args);
    };
  }
  return (viewer, source, args) => {
    for (const rule of rules) {
      const denial = full(rule, viewer, source, args);
      if (denial !== null) return denial;
    }
    return null;
  };
}

/** The rules among `rules` the operation gate can decide before execution: those reading an argument. */
export function argumentRules(rules: readonly OrganizationRule[]): readonly OrganizationRule[] {
  return rules.filter((rule) => rule.argument !== null);
}
