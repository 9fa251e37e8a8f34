// `@fromViewer(path: …)`: an argument or input field whose value comes from the caller's credential,
// never from the client (docs/contract.md, "Values from the credential"). This module holds the one
// table of paths a schema may name and reads a path's value off a viewer. Pure. Where the value is
// refused when supplied, and where it is put into the arguments, is argument-rules.ts's and
// apply-directives.ts's business.
import { claimAt } from '../auth/external/claims';
import type { Viewer } from '../auth/viewer';

/** What one `@fromViewer` reads off a viewer; undefined or null: the caller lacks it. */
type ViewerValue = (viewer: Viewer, everyScope: readonly string[]) => unknown;

/**
 * The paths `@fromViewer` may name, besides `claims.<name>`. `scopes` of a credential that holds
 * every scope (gatehouse's sessions, keys made without a list) is every scope the schema names.
 * `organizationIds`: the organizations the caller is a member of (any role), as fresh as its roles.
 */
const VIEWER_PATHS: Readonly<Record<string, ViewerValue>> = {
  id: (viewer) => viewer.id,
  email: (viewer) => viewer.email,
  roles: (viewer) => viewer.roles,
  scopes: (viewer, everyScope) => viewer.scopes ?? everyScope,
  organizationIds: (viewer) => Object.keys(viewer.organizations ?? {}),
};

const CLAIMS = 'claims.';

/**
 * Why `path` cannot be a `@fromViewer` path, or null when it can. Start-up refuses a schema naming
 * one, so a misspelt path never silently gives every caller null.
 */
export function fromViewerPathProblem(path: string): string | null {
  if (Object.hasOwn(VIEWER_PATHS, path)) return null;
  if (path.startsWith(CLAIMS) && path.length > CLAIMS.length) return null;
  return `unknown path "${path}" (known: ${[...Object.keys(VIEWER_PATHS), 'claims.<name>'].join(', ')})`;
}

/**
 * The value `path` names for `viewer`, as the credential holds it (not yet coerced to the
 * argument's type); undefined when the caller lacks it: anonymous, no email, no such claim, or a
 * claim path on a credential that is not an external token.
 */
export function viewerValue(path: string, viewer: Viewer | null, everyScope: readonly string[]): unknown {
  if (viewer === null) return undefined;
  if (path.startsWith(CLAIMS)) return viewer.claims === undefined ? undefined : claimAt(viewer.claims, path.slice(CLAIMS.length));
  const read = VIEWER_PATHS[path];
  const value = read === undefined ? undefined : read(viewer, everyScope);
  return value === null ? undefined : value;
}
