// What the authorization checks see of a caller (Viewer), and `hasRole` for resolvers. Decides
// nothing itself: what a role includes is the application's RoleCatalog's decision (role-catalog.ts).
import type { RoleCatalog } from './role-catalog';
import { TOP_ROLE } from './roles';

/** How the caller proved who they are. */
export type CredentialKind = 'jwt' | 'api-key' | 'external';

/** The signed-in caller, as the authorization checks see it. `null` in a context means anonymous. */
export interface Viewer {
  readonly id: string;
  /**
   * Every role the caller holds: those granted, expanded through the declared `@includes` when
   * gatehouse builds the viewer (a MODERATOR that includes USER holds ['MODERATOR', 'USER']).
   */
  readonly roles: readonly string[];
  readonly via: CredentialKind;
  /**
   * The scopes the credential holds, for `@requiresScopes`. Absent: every scope (gatehouse's own
   * sessions, and API keys made without a scope list). An API key holds the scopes it was made with;
   * an external token holds its token's scopes (its `scope` / `scp` claim).
   */
  readonly scopes?: readonly string[];
  /** The account's email, for `@fromViewer(path: "email")`; absent or null: none known. */
  readonly email?: string | null;
  /** An external token's verified claims, for `@fromViewer(path: "claims.<name>")`; absent for other credentials. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * The organizations the caller is a member of: organization id → the organization role held
   * there (as granted, not expanded), for `@inOrganization`. Absent or empty: none. Read with the
   * user (fresh like roles); an API key acts with its owner's; a provider token with its
   * `organizationsClaim` when its issuer names one.
   */
  readonly organizations?: Readonly<Record<string, string>>;
}

/** The part of a GraphQL context the directives read. An application's context may hold more. */
export interface AuthContext {
  readonly viewer: Viewer | null;
}

/** The organization role the viewer holds in this organization, or undefined when not a member. */
export function organizationRoleOf(viewer: Viewer | null, organizationId: string): string | undefined {
  const held = viewer?.organizations;
  return held !== undefined && Object.hasOwn(held, organizationId) ? held[organizationId] : undefined;
}

/**
 * True when the viewer holds `role` or a role that includes it. Viewers gatehouse builds hold their
 * roles expanded, so this is a lookup; an ADMIN holds every declared role. For a viewer built by hand
 * with only its granted roles (`roles: ['MODERATOR']`), pass the catalog (`app.roles`) to expand them.
 */
export function hasRole(viewer: Viewer | null, role: string, roles?: RoleCatalog): boolean {
  if (viewer === null) return false;
  if (viewer.roles.includes(role) || viewer.roles.includes(TOP_ROLE)) return true;
  return roles?.holds(viewer.roles, role) === true;
}
