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
  /** The account's email, for `@fromViewer(path: "email")`; absent or null: none known. */
  readonly email?: string | null;
  /** An external token's verified claims, for `@fromViewer(path: "claims.<name>")`; absent for other credentials. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The part of a GraphQL context the directives read. An application's context may hold more. */
export interface AuthContext {
  readonly viewer: Viewer | null;
}

/** True when the viewer holds `role` or a role that includes it (an ADMIN has every USER permission). */
export function hasRole(viewer: Viewer | null, role: string): boolean {
  return viewer !== null && holdsRole(viewer.roles, role);
}
