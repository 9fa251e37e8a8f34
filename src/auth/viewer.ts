/** How the caller proved who they are. */
export type CredentialKind = 'jwt' | 'api-key';

/** The signed-in caller, as the authorization checks see it. `null` in a context means anonymous. */
export interface Viewer {
  readonly id: string;
  readonly roles: readonly string[];
  readonly via: CredentialKind;
}

/** The part of a GraphQL context the directives read. An application's context may hold more. */
export interface AuthContext {
  readonly viewer: Viewer | null;
}

/**
 * Which roles include which others. An ADMIN may do whatever a USER may, so a viewer with roles
 * `['ADMIN']` passes `@hasRole(role: USER)` even when a test builds that viewer by hand.
 */
export type RoleHierarchy = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_ROLE_HIERARCHY: RoleHierarchy = Object.freeze({ ADMIN: Object.freeze(['USER']) });

/** True when any of `held` is `required` or includes it through the hierarchy. Pure. */
export function rolesSatisfy(held: readonly string[], required: string, hierarchy: RoleHierarchy = DEFAULT_ROLE_HIERARCHY): boolean {
  const seen = new Set<string>();
  const pending = [...held];
  while (pending.length > 0) {
    const role = pending.pop() as string;
    if (role === required) return true;
    if (seen.has(role)) continue;
    seen.add(role);
    const implied = hierarchy[role];
    if (implied !== undefined) pending.push(...implied);
  }
  return false;
}

/** True when the viewer holds `role` or a role that includes it (an ADMIN has every USER permission). */
export function hasRole(viewer: Viewer | null, role: string): boolean {
  return viewer !== null && rolesSatisfy(viewer.roles, role);
}

const defaultRolesOf = new Map<string, readonly string[]>();

/**
 * The roles a stored user role grants, highest first: ADMIN holds ['ADMIN', 'USER']. Called on
 * every authenticated request, so the answer for the default hierarchy is computed once per role.
 */
export function rolesOf(role: string, hierarchy: RoleHierarchy = DEFAULT_ROLE_HIERARCHY): readonly string[] {
  if (hierarchy !== DEFAULT_ROLE_HIERARCHY) return expandRoles(role, hierarchy);
  let roles = defaultRolesOf.get(role);
  if (roles === undefined) defaultRolesOf.set(role, (roles = expandRoles(role, hierarchy)));
  return roles;
}

function expandRoles(role: string, hierarchy: RoleHierarchy): readonly string[] {
  const roles = [role];
  for (let i = 0; i < roles.length; i++) {
    for (const implied of hierarchy[roles[i] as string] ?? []) if (!roles.includes(implied)) roles.push(implied);
  }
  return Object.freeze(roles);
}
