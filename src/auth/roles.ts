/**
 * gatehouse's own facts about roles; what the application's roles are is its `enum Role`, read once
 * at schema build into a RoleCatalog (src/enforcement/declared-roles.ts, src/auth/role-catalog.ts)
 * and passed to everything that decides: the directives and the mutation gate (through each field's
 * requirement), the auth map, per-caller introspection, authentication (a viewer's roles are expanded
 * once, when it is built), the services, the test kit and the admin CLI.
 */
import { type RoleCatalog, roleCatalogOf } from './role-catalog';

/** gatehouse's `enum Role` when the application declares none: `USER`, and `ADMIN @includes(roles: [USER])`. */
export const DEFAULT_ROLES: Readonly<Record<string, readonly string[]>> = Object.freeze({ USER: [], ADMIN: ['USER'] });

/** Roles every declaration must have: sign-up grants USER; ADMIN runs gatehouse itself. */
export const REQUIRED_ROLES: readonly string[] = Object.freeze(['USER', 'ADMIN']);

/** The role that holds every declared role (it need not list them in `@includes`), and that the last of cannot be lost. */
export const TOP_ROLE = 'ADMIN';

/** The role sign-up, a first provider login and `createUser` without roles grant. */
export const SIGN_UP_ROLE = 'USER';

/** The catalog of DEFAULT_ROLES: for callers that build no schema (a bare App in tests, token tools). */
export function defaultRoleCatalog(): RoleCatalog {
  return (defaultCatalog ??= roleCatalogOf('Role', DEFAULT_ROLES, REQUIRED_ROLES));
}
let defaultCatalog: RoleCatalog | undefined;

/**
 * The role `User.role` shows for `granted`: the one that includes every other (the catalog's
 * `senior`); when none does (ACCOUNTANT and SUPPORT), the one that includes the most roles, the
 * later declared on a tie. Undefined only for no role at all.
 */
export function mostSeniorRole(catalog: RoleCatalog, granted: readonly string[]): string | undefined {
  const senior = catalog.senior(granted);
  if (senior !== undefined || granted.length === 0) return senior;
  let best: string | undefined;
  for (const role of catalog.roles) {
    if (!granted.includes(role)) continue;
    if (best === undefined || catalog.expand(role).length >= catalog.expand(best).length) best = role;
  }
  return best ?? granted[0];
}
