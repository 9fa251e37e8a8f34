/**
 * The organization roles (`OrganizationRole`) and which includes which: gatehouse's default is
 * MEMBER < ADMIN < OWNER; an application declares its own in its SDL (read by
 * src/enforcement/organizations.ts at schema build). A membership holds one role; holding a role
 * grants every role it includes. Pure: no store, no schema.
 */

/** What the checks and services ask of the declared organization roles. */
export interface OrganizationRoles {
  /** Every declared role, in declaration order. */
  readonly values: readonly string[];
  /** True when a member holding `held` holds `required` (the same role, or one it includes). */
  holds(held: string, required: string): boolean;
  /** The roles whose holders hold `required`, `required` first. */
  holdersOf(required: string): readonly string[];
}

/** The role a new organization's creator holds, that only its holders may grant or take, and that one member always holds. */
export const OWNER = 'OWNER';
/** The role every member holds (the default of `@inOrganization(role:)` and of `addMember`). */
export const MEMBER = 'MEMBER';

/** Builds the roles from each role's directly included roles (cycles end; unknown names are the reader's to refuse). */
export function organizationRolesOf(values: readonly string[], includes: Readonly<Record<string, readonly string[]>>): OrganizationRoles {
  const expanded = new Map<string, readonly string[]>();
  for (const role of values) {
    const all = [role];
    for (let i = 0; i < all.length; i++) for (const next of includes[all[i] as string] ?? []) if (!all.includes(next)) all.push(next);
    expanded.set(role, Object.freeze(all));
  }
  const holders = new Map<string, readonly string[]>();
  for (const required of values)
    holders.set(required, Object.freeze([required, ...values.filter((r) => r !== required && expanded.get(r)?.includes(required))]));
  return Object.freeze({
    values: Object.freeze([...values]),
    holds: (held: string, required: string) => expanded.get(held)?.includes(required) ?? false,
    holdersOf: (required: string) => holders.get(required) ?? [],
  });
}

/** gatehouse's default: `enum OrganizationRole { MEMBER ADMIN @includes(roles: [MEMBER]) OWNER @includes(roles: [ADMIN]) }`. */
export const DEFAULT_ORGANIZATION_ROLES: OrganizationRoles = organizationRolesOf(['MEMBER', 'ADMIN', 'OWNER'], {
  ADMIN: ['MEMBER'],
  OWNER: ['ADMIN'],
});
