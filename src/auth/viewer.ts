// What the authorization checks see of a caller (Viewer), and `hasRole` for resolvers. Decides
// nothing itself: role membership is roles.ts's decision.
import { holdsRole } from './roles';

/** How the caller proved who they are. */
export type CredentialKind = 'jwt' | 'api-key' | 'external';

/** The signed-in caller, as the authorization checks see it. `null` in a context means anonymous. */
export interface Viewer {
  readonly id: string;
  readonly roles: readonly string[];
  readonly via: CredentialKind;
  /**
   * The scopes the credential holds, for `@requiresScopes`. Absent: every scope (gatehouse's own
   * sessions, and API keys made without a scope list). An API key holds the scopes it was made with;
   * an external token holds its token's scopes (its `scope` / `scp` claim).
   */
  readonly scopes?: readonly string[];
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

/** True when the viewer holds `role` or a role that includes it (an ADMIN has every USER permission). */
export function hasRole(viewer: Viewer | null, role: string): boolean {
  return viewer !== null && holdsRole(viewer.roles, role);
}
