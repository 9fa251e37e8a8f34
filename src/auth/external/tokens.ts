// Decides whether a provider's token is genuine and current: its issuer configured, signed by one of
// that issuer's keys with an accepted algorithm, audience, times and subject; verifications are
// remembered until the token expires. The exact reason for a refusal goes to the log, never the client.
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { mappedRoles, scopesOf } from './claims';
import type { ExternalIssuerConfig } from './config';
import { createIssuerKeys, DEFAULT_KEY_FETCH, type IssuerKeys, type KeyFetchOptions, KeyProblem } from './keys';
import { createVerifiedTokens } from '../verified-tokens';
import { canonicalEmail, characterCount, hasForbiddenCharacters, isReservedEmail } from '../../text-rules';

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
  readonly expiresAt: number;
  /** `iat`, epoch seconds; null when the token has none (see session-ends.ts providerTokenEnded). */
  readonly issuedAt: number | null;
  readonly kid: string | null;
  readonly alg: string;
  readonly audience: readonly string[];
}

/**
 * Why a token was refused: `reason` is fixed text from a closed set (the refusal log's rate limit
 * is per reason, so no token can make up a new one); `detail` is the token's own value it is about
 * (a `kid`, an `alg`), escaped and at most DETAIL_MAX characters, or null.
 */
export interface ExternalRefusal {
  readonly ok: false;
  readonly reason: string;
  readonly detail: string | null;
}

export type ExternalVerifyResult = { readonly ok: true; readonly identity: ExternalIdentity } | ExternalRefusal;

export interface ExternalTokens {
  /** The configured issuer the token's (unverified) `iss` names, or undefined: then it is not an external token. */
  issuerOf(token: string): ExternalIssuerConfig | undefined;
  /** A remembered verification of this token, synchronously; undefined when there is none (not external, or not yet verified). */
  recall(token: string, now: Date): ExternalVerifyResult | undefined;
  /** Signature, issuer, audience, times and subject; the exact reason when refused (for the log and `token explain`, never the client). */
  verify(token: string, now: Date): Promise<ExternalVerifyResult>;
  /** Fetches every issuer's keys not yet in hand; resolves when each fetch has succeeded or failed (logged). */
  prefetch(): Promise<void>;
}

export interface ExternalTokenOptions {
  readonly clockToleranceSeconds: number;
  readonly log: KeyFetchOptions['log'];
  readonly fetch?: Partial<Omit<KeyFetchOptions, 'log'>>;
}

const MAX_TOKEN_LENGTH = 16 * 1024;
const REFUSALS_LOGGED_PER_SECOND = 10;
/** Longest `sub` accepted: it is stored (external_identities) and shown. */
export const SUBJECT_MAX = 255;
/** Characters of a refusal's detail kept for the log and `token explain`. */
const DETAIL_MAX = 64;
/** The HMAC algorithms by name, so the reason naming one is still fixed text. */
const HMAC = new Set(['HS256', 'HS384', 'HS512']);

/** `value` as one short printable line: escapes (JSON's, plus every non-ASCII character) and a cap. */
export function refusalDetail(value: string): string {
  const capped = [...value.slice(0, DETAIL_MAX * 2)].slice(0, DETAIL_MAX).join('');
  const escaped = JSON.stringify(capped)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/gu, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`);
  return capped.length < value.length ? `${escaped}…(${value.length} UTF-16 units)` : escaped;
}

const refused = (reason: string, detail: string | null = null): ExternalRefusal => ({
  ok: false,
  reason,
  detail: detail === null ? null : refusalDetail(detail),
});

function unverifiedIssuer(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || second - first > MAX_TOKEN_LENGTH) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    const iss = typeof payload === 'object' && payload !== null ? (payload as { iss?: unknown }).iss : undefined;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

function refusalOf(error: unknown): ExternalRefusal {
  if (error instanceof KeyProblem) return refused(error.message, error.detail);
  if (error instanceof errors.JWTExpired) return refused('expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    // jose names one of the registered claims it checks (exp, sub, …): fixed text, not the token's.
    const claim = /^[a-z]{2,5}$/.test(error.claim) ? error.claim : 'claim';
    if (error.reason === 'missing') return refused(`missing ${claim}`);
    if (error.claim === 'nbf') return refused('not yet valid (nbf)');
    if (error.claim === 'iat') return refused('issued in the future (iat)');
    if (error.claim === 'aud') return refused('wrong audience');
    if (error.claim === 'iss') return refused('wrong issuer');
    return refused(`claim ${claim} is invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return refused('signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return refused("no key in the issuer's set matches the token's kid and alg");
  if (error instanceof errors.JWKSMultipleMatchingKeys) return refused('the token has no kid and several keys match');
  if (error instanceof errors.JOSEAlgNotAllowed) return refused('algorithm not accepted');
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return refused('malformed token');
  if (error instanceof errors.JOSEError) return refused('unverifiable', error.code);
  return refused('unverifiable');
}

/** The access-token `typ` values accepted (RFC 9068 §2.1 `at+jwt`, its long form, and plain `JWT`), compared without case. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

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

export function createExternalTokens(issuers: readonly ExternalIssuerConfig[], options: ExternalTokenOptions): ExternalTokens {
  const byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  const fetchOptions: KeyFetchOptions = { ...DEFAULT_KEY_FETCH, now: Date.now, ...options.fetch, log: options.log };
  const keys = new Map<string, IssuerKeys>();
  // Successes until the token's exp (verified-tokens.ts); a token whose key the provider stops
  // publishing is forgotten then.
  const verified = createVerifiedTokens<ExternalVerifyResult & { ok: true }>(options.clockToleranceSeconds);
  for (const issuer of issuers) {
    const set = createIssuerKeys(issuer.issuer, issuer.jwksUri, fetchOptions);
    set.onRemoved((kids) => {
      verified.forgetWhere(({ identity }) => identity.issuer === issuer.issuer && identity.kid !== null && kids.includes(identity.kid));
    });
    keys.set(issuer.issuer, set);
  }

  async function check(token: string, now: Date): Promise<ExternalVerifyResult> {
    if (token.length > MAX_TOKEN_LENGTH) return refused('longer than 16 KiB');
    const iss = unverifiedIssuer(token);
    const issuer = iss === undefined ? undefined : byIssuer.get(iss);
    if (issuer === undefined) return refused('issuer is not configured');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return refused('malformed header');
    }
    const alg = typeof header.alg === 'string' ? header.alg : '';
    if (alg.toLowerCase() === 'none') return refused('alg none is never accepted');
    if (HMAC.has(alg)) return refused(`${alg} is never accepted for an external issuer`);
    if (!(issuer.algorithms as readonly string[]).includes(alg))
      return refused('algorithm is not accepted for this issuer', alg || '(none)');
    const typ = header.typ;
    // RFC 9068 §4: a token whose typ says it is something else (an ID token, `JWT` aside, a logout
    // token, …) is no access token, whatever its audience. Providers that send no typ are taken at
    // their word.
    if (typ !== undefined && (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())))
      return refused('typ is not an access token type (at+jwt or JWT)', String(typ));
    const set = keys.get(issuer.issuer) as IssuerKeys;
    const atOnce = set.refusedAtOnce(typeof header.kid === 'string' ? header.kid : undefined);
    if (atOnce !== null) return refused(atOnce.reason, atOnce.detail);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (h) => set.select(h), {
        issuer: issuer.issuer,
        algorithms: [...issuer.algorithms],
        clockTolerance: options.clockToleranceSeconds,
        currentDate: now,
        // RFC 9068 §2.2: iat is required, and ending an account's sessions judges provider tokens by it (session-ends.ts).
        requiredClaims: ['exp', 'sub', 'iat'],
        ...(issuer.audienceClaim === 'aud' ? { audience: [...issuer.audiences] } : {}),
      }));
    } catch (error) {
      return refusalOf(error);
    }
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
      expiresAt: payload.exp as number,
      issuedAt: typeof payload.iat === 'number' ? payload.iat : null,
      kid: typeof header.kid === 'string' ? header.kid : null,
      alg,
      audience: Object.freeze(audience),
    });
    return { ok: true, identity };
  }

  // Refusals are logged at info, at most REFUSALS_LOGGED_PER_SECOND per reason: a flood of bad
  // tokens (anyone can make one with a random kid, no key needed) must not become a flood of log
  // lines. Reasons are fixed text (ExternalRefusal), so no made-up alg or kid opens a budget of its
  // own; the token's value is in `detail`, escaped and capped. The next line logged for a reason
  // says how many were left out.
  const refusals = new Map<string, { second: number; logged: number; skipped: number }>();
  function logRefusal(token: string, refusal: ExternalRefusal): void {
    const second = Math.floor(fetchOptions.now() / 1000);
    let entry = refusals.get(refusal.reason);
    if (entry === undefined) refusals.set(refusal.reason, (entry = { second, logged: 0, skipped: 0 }));
    if (entry.second !== second) {
      entry.second = second;
      entry.logged = 0;
    }
    if (entry.logged >= REFUSALS_LOGGED_PER_SECOND) {
      entry.skipped++;
      return;
    }
    entry.logged++;
    const skipped = entry.skipped;
    entry.skipped = 0;
    const iss = unverifiedIssuer(token);
    options.log.info(
      {
        // Only a configured issuer is named: any other is the caller's text.
        issuer: iss !== undefined && byIssuer.has(iss) ? iss : null,
        reason: refusal.reason,
        ...(refusal.detail === null ? {} : { detail: refusal.detail }),
        ...(skipped > 0 ? { notLogged: skipped } : {}),
      },
      'external token refused',
    );
  }

  function recall(token: string, now: Date): ExternalVerifyResult | undefined {
    const remembered = verified.recall(token, now.getTime() / 1000);
    // A refresh that finds the token's key retired forgets the token (onRemoved above).
    if (remembered !== undefined) keys.get(remembered.identity.issuer)?.maintain();
    return remembered;
  }

  return {
    prefetch: async () => {
      await Promise.all([...keys.values()].map((set) => set.prefetch()));
    },
    issuerOf(token) {
      const iss = unverifiedIssuer(token);
      return iss === undefined ? undefined : byIssuer.get(iss);
    },
    recall,
    async verify(token, now) {
      const remembered = recall(token, now);
      if (remembered !== undefined) return remembered;
      const result = await check(token, now);
      if (!result.ok) {
        logRefusal(token, result);
        return result;
      }
      verified.remember(token, result, result.identity.expiresAt);
      return result;
    },
  };
}
