/**
 * Decides which roles there are and what holding one means, in one place. The list and the
 * hierarchy are fixed here (ADMIN includes USER) and are the only source: no option, schema build
 * or request path carries another one.
 * A viewer's roles are expanded once, when the viewer is built (`rolesOf`), and every check
 * (directives, the mutation gate, the auth map, services, `hasRole`) asks `holdsRole`.
 */

/**
 * Every role gatehouse knows: what a user row may store, an ADMIN may grant (`admin --role`) and a
 * provider's role claim may map to (OIDC_ISSUERS `roleMap`). The schema's `Role` enum
 * (schema/base.graphql) and the users table's CHECK say the same; a test holds the enum to this list.
 */
export const ROLES: readonly string[] = Object.freeze(['USER', 'ADMIN']);

/** Which roles include which others. */
export type RoleHierarchy = Readonly<Record<string, readonly string[]>>;

/** An ADMIN may do whatever a USER may. */
export const ROLE_HIERARCHY: RoleHierarchy = Object.freeze({ ADMIN: Object.freeze(['USER']) });

const expanded = new Map<string, readonly string[]>();

/**
 * The roles a stored user role grants, itself first: ADMIN holds ['ADMIN', 'USER']. Called on every
 * authenticated request, so each role is expanded once per process.
 */
export function rolesOf(role: string): readonly string[] {
  let roles = expanded.get(role);
  if (roles === undefined) expanded.set(role, (roles = expandRole(role, ROLE_HIERARCHY)));
  return roles;
}

/** The roles several granted roles add up to (an external token may map to more than one), each once. */
export function rolesOfAll(roles: readonly string[]): readonly string[] {
  if (roles.length === 1) return rolesOf(roles[0] as string);
  const all = new Set<string>();
  for (const role of roles) for (const r of rolesOf(role)) all.add(r);
  return [...all];
}

/**
 * True when any of `held` is `required` or includes it. Roles expanded by `rolesOf` match on the
 * first, allocation-free test; the walk covers viewers built by hand, e.g. `roles: ['ADMIN']`.
 */
export function holdsRole(held: readonly string[], required: string): boolean {
  if (held.includes(required)) return true;
  for (const role of held) if (rolesOf(role).includes(required)) return true;
  return false;
}

/**
 * The one role of `held` that includes every other (ADMIN of ['USER', 'ADMIN']), or undefined when
 * none does or `held` is empty: what `User.role` says of a viewer whose roles come from a token.
 */
export function seniorRole(held: readonly string[]): string | undefined {
  return held.find((role) => held.every((other) => rolesOf(role).includes(other)));
}

/** `role` and every role it reaches through `hierarchy`, each once (cycles end). Exported for tests. */
export function expandRole(role: string, hierarchy: RoleHierarchy): readonly string[] {
  const roles = [role];
  for (let i = 0; i < roles.length; i++) {
    for (const implied of hierarchy[roles[i] as string] ?? []) if (!roles.includes(implied)) roles.push(implied);
  }
  return Object.freeze(roles);
}
