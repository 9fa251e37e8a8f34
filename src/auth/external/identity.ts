// Decides who a verified provider token says the caller is, once its signature, issuer, audience and
// times hold (tokens.ts): that it is an access token and not an ID token (RFC 9068), from an
// accepted client, with a subject and an email held to the rules of user input.
import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { canonicalEmail, characterCount, hasForbiddenCharacters, isReservedEmail } from '../../text-rules';
import { mappedRoles, organizationsOf, scopesOf } from './claims';
import type { ExternalIssuerConfig } from './config';
import { type ExternalRefusal, refused } from './refusals';

/** Who a verified provider token says the caller is. */
export interface ExternalIdentity {
  readonly issuer: string;
  readonly subject: string;
  /**
   * From the `email` claim, only when `email_verified` is true (the boolean, or the string "true")
   * and the address passes the rules of sign-up (src/text-rules.ts canonicalEmail); else null.
   */
  readonly email: string | null;
  /** Gatehouse roles the token's claims map to (before the role hierarchy). */
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /** Organization id → role from the issuer's `organizationsClaim`; null when it names none. */
  readonly organizations: Readonly<Record<string, string>> | null;
  readonly expiresAt: number;
  /** `iat`, epoch seconds; null when the token has none (see session-ends.ts providerTokenEnded). */
  readonly issuedAt: number | null;
  readonly kid: string | null;
  readonly alg: string;
  readonly audience: readonly string[];
  /** The token's verified payload, for `@fromViewer(path: "claims.<name>")`. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Longest `sub` accepted: it is stored (external_identities) and shown. */
export const SUBJECT_MAX = 255;
/** Keycloak's own `typ` claim on an access token; other values (ID, Refresh, Logout) are other tokens. */
const ACCESS_TOKEN_CLAIM_TYPES = new Set(['bearer', 'at+jwt']);

/**
 * Whether the payload says it is some other token than an access token, though its header did not:
 * Keycloak's `typ` claim (`ID`, `Refresh`, `Logout`), or the claims only an ID token carries
 * (`at_hash`, `c_hash`: OpenID Connect Core 3.1.3.6, 3.3.2.11). An ID token that shows none of
 * these (Entra's, say) cannot be told apart here; `clientIds` (azp) is the guard for that case.
 */
function notAnAccessToken(payload: JWTPayload): { reason: string; detail: string | null } | null {
  const typ = payload['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || !ACCESS_TOKEN_CLAIM_TYPES.has(typ.toLowerCase())))
    return { reason: 'the typ claim is not an access token type', detail: String(typ) };
  if (payload['at_hash'] !== undefined || payload['c_hash'] !== undefined)
    return { reason: 'an ID token (at_hash or c_hash), not an access token', detail: null };
  return null;
}

/** `email_verified` as providers send it: the boolean, or (Cognito and others) the string "true". */
function verifiedEmail(payload: JWTPayload): string | null {
  const verified = payload['email_verified'];
  if (typeof payload['email'] !== 'string' || (verified !== true && verified !== 'true')) return null;
  const email = canonicalEmail(payload['email']);
  return email === null || isReservedEmail(email) ? null : email;
}

/** The identity a verified token's claims make, or why they make none. */
export function identityOf(
  issuer: ExternalIssuerConfig,
  header: ProtectedHeaderParameters,
  alg: string,
  payload: JWTPayload,
): { readonly ok: true; readonly identity: ExternalIdentity } | ExternalRefusal {
  const notAccess = notAnAccessToken(payload);
  if (notAccess !== null) return refused(notAccess.reason, notAccess.detail);
  if (issuer.clientIds !== null) {
    const client = typeof payload['azp'] === 'string' ? payload['azp'] : payload['client_id'];
    if (typeof client !== 'string') return refused('no azp or client_id (clientIds is set for this issuer)');
    if (!issuer.clientIds.includes(client)) return refused('client is not in clientIds', client);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') return refused('missing sub');
  // Stored and shown: held to the rules of any one-line input.
  if (characterCount(payload.sub) > SUBJECT_MAX || hasForbiddenCharacters(payload.sub))
    return refused('sub holds control characters or is too long', payload.sub);
  let audience: string[];
  if (issuer.audienceClaim === 'client_id') {
    const clientId = (payload as Record<string, unknown>)['client_id'];
    if (typeof clientId !== 'string' || !issuer.audiences.includes(clientId)) return refused('wrong audience (client_id)');
    audience = [clientId];
  } else {
    audience = typeof payload.aud === 'string' ? [payload.aud] : [...(payload.aud ?? [])];
  }
  const identity: ExternalIdentity = Object.freeze({
    issuer: issuer.issuer,
    subject: payload.sub,
    email: verifiedEmail(payload),
    roles: Object.freeze(mappedRoles(issuer, payload)),
    scopes: Object.freeze(scopesOf(issuer, payload)),
    organizations: organizationsOf(issuer, payload),
    expiresAt: payload.exp as number,
    issuedAt: typeof payload.iat === 'number' ? payload.iat : null,
    kid: typeof header.kid === 'string' ? header.kid : null,
    alg,
    audience: Object.freeze(audience),
    claims: Object.freeze({ ...payload }),
  });
  return { ok: true, identity };
}
