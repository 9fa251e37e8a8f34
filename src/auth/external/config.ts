// Decides which identity providers gatehouse trusts beside itself and on what terms (OIDC_ISSUERS:
// issuer, audiences, algorithms, where the keys are, which claims carry roles and scopes), and which
// URLs a provider's keys may be fetched from (isFetchableUrl, also applied to a discovered
// jwks_uri). Parsed once by parseConfig; the format is docs/credentials.md's "Tokens from your
// identity provider".

export type ExternalAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
export const EXTERNAL_ALGORITHMS: readonly ExternalAlgorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);

export interface ExternalIssuerConfig {
  /** Exactly as the tokens' `iss` spells it. */
  readonly issuer: string;
  /** Accepted audiences; a token must name one of them in its audience claim. */
  readonly audiences: readonly string[];
  /** Explicit key set; null: found through `<issuer>/.well-known/openid-configuration`. */
  readonly jwksUri: string | null;
  readonly algorithms: readonly ExternalAlgorithm[];
  /** `aud` (the standard) or `client_id` (Cognito access tokens carry no `aud`). */
  readonly audienceClaim: 'aud' | 'client_id';
  /** Dot path to the token's roles (`realm_access.roles`); null: every valid token is a USER. */
  readonly rolesClaim: string | null;
  /** Provider role name → gatehouse role. */
  readonly roleMap: Readonly<Record<string, string>>;
  /** Dot path to the scopes: a space-separated string or an array. Default `scope`. */
  readonly scopesClaim: string;
  /**
   * Dot path to the token's organization memberships: an object of organization id → organization
   * role (`{ "0193…": "ADMIN" }`), or an array of `{ "id": …, "role": … }`. Null (the default): the
   * linked user's memberships in gatehouse's database apply, as for its own sessions.
   */
  readonly organizationsClaim: string | null;
  /**
   * The OAuth clients whose tokens are accepted: the token's `azp` or `client_id` (RFC 9068) must
   * be one of them, and a token with neither is refused. Null (the default): any client. Set it
   * when other applications of the same provider (or the same app registration's ID tokens) can
   * get tokens with this audience.
   */
  readonly clientIds: readonly string[] | null;
}

/** What is wrong with the value; the caller wraps it in a ConfigError naming OIDC_ISSUERS. */
export class IssuerConfigProblem extends Error {}

const KEYS = new Set([
  'issuer',
  'audience',
  'jwksUri',
  'algorithms',
  'audienceClaim',
  'rolesClaim',
  'roleMap',
  'scopesClaim',
  'organizationsClaim',
  'clientIds',
]);
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** A claim name (whole, as Auth0's URL-namespaced claims) or a dot path; no spaces, no empty segments. */
const DOT_PATH = /^[\x21-\x2d\x2f-\x7e]+(\.[\x21-\x2d\x2f-\x7e]+)*$/;

/** https, or http on a loopback address (local development and tests): for configured and discovered URLs alike. */
export function isFetchableUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

function checkUrl(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new IssuerConfigProblem(`${what} must be a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IssuerConfigProblem(`${what} "${value}" is not a URL`);
  }
  if (isFetchableUrl(url)) return value;
  throw new IssuerConfigProblem(`${what} "${value}" must use https (http only on 127.0.0.1, ::1 or localhost)`);
}

function nonEmptyStrings(value: unknown, what: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new IssuerConfigProblem(`${what} must be a non-empty string or array of non-empty strings`);
  }
  return list as string[];
}

function dotPath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > 200 || !DOT_PATH.test(value))
    throw new IssuerConfigProblem(`${what} must be a claim name or dot path like realm_access.roles`);
  return value;
}

/** A GraphQL enum value name: what a `roleMap` target must look like before the declared roles are known. */
const ROLE_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * Parses the JSON array. Pure. `ownIssuer` is gatehouse's own JWT_ISSUER: an external issuer with
 * that name would let the provider's tokens pass for gatehouse's own, so it is refused. The config is
 * parsed before the schema declares the roles: without `knownRoles` a `roleMap` target need only be
 * a role's name, and `checkRoleMaps` holds it to the declared roles at start-up.
 */
export function parseIssuers(raw: string, ownIssuer: string, knownRoles?: readonly string[]): ExternalIssuerConfig[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new IssuerConfigProblem('is not valid JSON (expected an array of issuer objects)');
  }
  if (!Array.isArray(parsed)) throw new IssuerConfigProblem('must be a JSON array of issuer objects');
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    const at = `entry ${index}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new IssuerConfigProblem(`${at} must be an object`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!KEYS.has(key)) throw new IssuerConfigProblem(`${at}: unknown key "${key}"`);
    const issuer = checkUrl(e['issuer'], `${at}: issuer`);
    if (issuer === ownIssuer) throw new IssuerConfigProblem(`${at}: issuer "${issuer}" is gatehouse's own JWT_ISSUER`);
    if (seen.has(issuer)) throw new IssuerConfigProblem(`${at}: issuer "${issuer}" is listed twice`);
    seen.add(issuer);
    if (e['audience'] === undefined) throw new IssuerConfigProblem(`${at}: audience is required`);
    const audiences = nonEmptyStrings(e['audience'], `${at}: audience`);
    const jwksUri = e['jwksUri'] === undefined ? null : checkUrl(e['jwksUri'], `${at}: jwksUri`);
    let algorithms: ExternalAlgorithm[] = [...EXTERNAL_ALGORITHMS];
    if (e['algorithms'] !== undefined) {
      const list = nonEmptyStrings(e['algorithms'], `${at}: algorithms`);
      for (const alg of list) {
        if (!(EXTERNAL_ALGORITHMS as readonly string[]).includes(alg)) {
          throw new IssuerConfigProblem(
            `${at}: algorithm "${alg}" is not accepted (one of ${EXTERNAL_ALGORITHMS.join(', ')}; HS* never for an external issuer)`,
          );
        }
      }
      algorithms = [...new Set(list)] as ExternalAlgorithm[];
    }
    const audienceClaim = e['audienceClaim'] ?? 'aud';
    if (audienceClaim !== 'aud' && audienceClaim !== 'client_id')
      throw new IssuerConfigProblem(`${at}: audienceClaim must be "aud" or "client_id"`);
    const rolesClaim = e['rolesClaim'] === undefined ? null : dotPath(e['rolesClaim'], `${at}: rolesClaim`);
    const roleMap: Record<string, string> = {};
    if (e['roleMap'] !== undefined) {
      const map = e['roleMap'];
      if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new IssuerConfigProblem(`${at}: roleMap must be an object`);
      for (const [from, to] of Object.entries(map)) {
        if (typeof to !== 'string' || (knownRoles === undefined ? !ROLE_NAME.test(to) : !knownRoles.includes(to))) {
          throw new IssuerConfigProblem(
            `${at}: roleMap["${from}"] must be ${knownRoles === undefined ? 'the name of a role' : `one of ${knownRoles.join(', ')}`}`,
          );
        }
        roleMap[from] = to;
      }
      if (rolesClaim === null) throw new IssuerConfigProblem(`${at}: roleMap needs rolesClaim`);
    }
    const scopesClaim = e['scopesClaim'] === undefined ? 'scope' : dotPath(e['scopesClaim'], `${at}: scopesClaim`);
    const organizationsClaim = e['organizationsClaim'] === undefined ? null : dotPath(e['organizationsClaim'], `${at}: organizationsClaim`);
    let clientIds: string[] | null = null;
    if (e['clientIds'] !== undefined) {
      if (!Array.isArray(e['clientIds']))
        throw new IssuerConfigProblem(`${at}: clientIds must be an array of client ids (the azp / client_id values accepted)`);
      clientIds = [...new Set(nonEmptyStrings(e['clientIds'], `${at}: clientIds`))];
    }
    return { issuer, audiences, jwksUri, algorithms, audienceClaim, rolesClaim, roleMap, scopesClaim, organizationsClaim, clientIds };
  });
}

/**
 * Holds every `roleMap` target to the application's declared roles (its `enum Role`); throws
 * IssuerConfigProblem naming the first issuer and provider role that maps to an undeclared one.
 */
export function checkRoleMaps(issuers: readonly ExternalIssuerConfig[], declared: readonly string[]): void {
  for (const [index, issuer] of issuers.entries()) {
    for (const [from, to] of Object.entries(issuer.roleMap)) {
      if (!declared.includes(to)) {
        throw new IssuerConfigProblem(
          `entry ${index} (${issuer.issuer}): roleMap["${from}"] maps to ${to}, which enum Role does not declare (declared: ${declared.join(', ')})`,
        );
      }
    }
  }
}
