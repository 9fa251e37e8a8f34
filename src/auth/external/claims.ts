// Decides what a provider token's claims grant: the gatehouse roles its role claim maps to (per
// issuer, OIDC_ISSUERS) and its scopes.
import type { ExternalIssuerConfig } from './config';

/**
 * A claim by name or dot path. The whole name is tried first, since providers namespace custom
 * claims with URLs that contain dots (Auth0: `https://example.com/roles`).
 */
export function claimAt(payload: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

/**
 * The gatehouse roles a token maps to. Without a rolesClaim every valid token is a USER. With one,
 * only mapped roles count: a token whose roles map to nothing is signed in with no role (it reads
 * `@auth` fields, not `@hasRole` ones), so a provider account outside every mapped group gains no role.
 */
export function mappedRoles(issuer: ExternalIssuerConfig, payload: Readonly<Record<string, unknown>>): string[] {
  if (issuer.rolesClaim === null) return ['USER'];
  const roles = new Set<string>();
  for (const name of strings(claimAt(payload, issuer.rolesClaim))) {
    const role = Object.hasOwn(issuer.roleMap, name) ? issuer.roleMap[name] : undefined;
    if (role !== undefined) roles.add(role);
  }
  return [...roles];
}

/** `scope` (space-separated string, RFC 8693 / 9068) or an array (`scp` in Entra, some Okta tokens). */
export function scopesOf(issuer: ExternalIssuerConfig, payload: Readonly<Record<string, unknown>>): string[] {
  return [...new Set(strings(claimAt(payload, issuer.scopesClaim)))];
}

/** Longest organization id or role name taken from a token (ids are gatehouse's UUIDs; roles are enum values). */
const ORGANIZATION_TEXT_MAX = 100;
/** Most memberships taken from one token. */
const ORGANIZATIONS_MAX = 1_000;

/**
 * The organization memberships a token carries (`organizationsClaim`): organization id → role, from
 * an object `{ "<id>": "<role>" }` or an array `[{ "id": "<id>", "role": "<role>" }]`. Entries that
 * are not two short strings are left out; a role the schema does not declare passes no rule. Null
 * when the issuer names no such claim (the linked user's stored memberships apply then).
 */
export function organizationsOf(
  issuer: ExternalIssuerConfig,
  payload: Readonly<Record<string, unknown>>,
): Readonly<Record<string, string>> | null {
  if (issuer.organizationsClaim === null) return null;
  const claim = claimAt(payload, issuer.organizationsClaim);
  const pairs: Array<[unknown, unknown]> = Array.isArray(claim)
    ? claim.map((entry) =>
        typeof entry === 'object' && entry !== null
          ? [(entry as Record<string, unknown>)['id'], (entry as Record<string, unknown>)['role']]
          : [null, null],
      )
    : typeof claim === 'object' && claim !== null
      ? Object.entries(claim)
      : [];
  const organizations: Record<string, string> = Object.create(null);
  let n = 0;
  for (const [id, role] of pairs) {
    if (typeof id !== 'string' || typeof role !== 'string' || id === '' || role === '') continue;
    if (id.length > ORGANIZATION_TEXT_MAX || role.length > ORGANIZATION_TEXT_MAX || ++n > ORGANIZATIONS_MAX) continue;
    organizations[id.toLowerCase()] = role;
  }
  return Object.freeze(organizations);
}
