/**
 * The organization roles (`OrganizationRole`): gatehouse's default is MEMBER < ADMIN < OWNER; an
 * application declares its own in its SDL, with MEMBER and OWNER (read at schema build by
 * src/enforcement/organizations.ts through declared-roles.ts). A membership holds one role; holding
 * a role holds every role it includes. What a declaration means is src/auth/role-catalog.ts's
 * decision; this names the roles gatehouse relies on. Pure: no store, no schema.
 */
import { type RoleCatalog, roleCatalogOf } from './role-catalog';

/** The role a new organization's creator holds, that only its holders may grant or take, and that one member always holds. */
export const OWNER = 'OWNER';
/** The role every member holds (the default of `@inOrganization(role:)` and of `addMember`). */
export const MEMBER = 'MEMBER';
/** The organization roles every declaration must have. */
export const REQUIRED_ORGANIZATION_ROLES: readonly string[] = Object.freeze([MEMBER, OWNER]);

/** gatehouse's default: `enum OrganizationRole { MEMBER ADMIN @includes(roles: [MEMBER]) OWNER @includes(roles: [ADMIN]) }`. */
export const DEFAULT_ORGANIZATION_ROLE_INCLUDES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  MEMBER: [],
  ADMIN: [MEMBER],
  OWNER: ['ADMIN'],
});

/** What the checks and services ask of the declared organization roles. */
export interface OrganizationRoles {
  /** Every declared role, in declaration order. */
  readonly values: readonly string[];
  /** True when a member holding `held` holds `required` (the same role, or one it includes). */
  holds(held: string, required: string): boolean;
  /** The roles whose holders hold `required`, `required` first. */
  holdersOf(required: string): readonly string[];
}

/** The organization roles of a catalog, with each role's holders computed once. */
export function organizationRolesOf(catalog: RoleCatalog): OrganizationRoles {
  const values = catalog.roles;
  const holders = new Map<string, readonly string[]>();
  for (const required of values)
    holders.set(required, Object.freeze([required, ...values.filter((r) => r !== required && catalog.expand(r).includes(required))]));
  return Object.freeze({
    values,
    holds: (held: string, required: string) => catalog.expand(held).includes(required) && values.includes(held),
    holdersOf: (required: string) => holders.get(required) ?? [],
  });
}

export const DEFAULT_ORGANIZATION_ROLES: OrganizationRoles = organizationRolesOf(
  roleCatalogOf('OrganizationRole', DEFAULT_ORGANIZATION_ROLE_INCLUDES, REQUIRED_ORGANIZATION_ROLES),
);
