// Decides whether a provider's token is genuine and current: its issuer configured, signed by one of
// that issuer's keys with an accepted algorithm, audience, times and subject; verifications are
// remembered until the token expires. The exact reason for a refusal goes to the log, never the client.
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { mappedRoles, scopesOf } from './claims';
import type { ExternalIssuerConfig } from './config';
import { createIssuerKeys, DEFAULT_KEY_FETCH, type IssuerKeys, type KeyFetchOptions, KeyProblem } from './keys';
import { createVerifiedTokens } from '../verified-tokens';

/** Who a verified provider token says the caller is. */
export interface ExternalIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** From the `email` claim, when present and not marked unverified. */
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

export type ExternalVerifyResult =
  | { readonly ok: true; readonly identity: ExternalIdentity }
  | { readonly ok: false; readonly reason: string };

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

function refusalReason(error: unknown): string {
  if (error instanceof KeyProblem) return error.message;
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'not yet valid (nbf)';
    if (error.claim === 'iat') return 'issued in the future (iat)';
    if (error.claim === 'aud') return 'wrong audience';
    if (error.claim === 'iss') return 'wrong issuer';
    if (error.reason === 'missing') return `missing ${error.claim}`;
    return `claim ${error.claim} is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return "no key in the issuer's set matches the token's kid and alg";
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'the token has no kid and several keys match';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not accepted';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'malformed token';
  if (error instanceof errors.JOSEError) return error.code;
  return 'unverifiable';
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
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'longer than 16 KiB' };
    const iss = unverifiedIssuer(token);
    const issuer = iss === undefined ? undefined : byIssuer.get(iss);
    if (issuer === undefined) return { ok: false, reason: 'issuer is not configured' };
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'malformed header' };
    }
    const alg = typeof header.alg === 'string' ? header.alg : '';
    if (alg.toLowerCase() === 'none') return { ok: false, reason: 'alg none is never accepted' };
    if (alg.startsWith('HS')) return { ok: false, reason: `${alg} is never accepted for an external issuer` };
    if (!(issuer.algorithms as readonly string[]).includes(alg))
      return { ok: false, reason: `algorithm ${alg || '(none)'} is not accepted for this issuer` };
    const set = keys.get(issuer.issuer) as IssuerKeys;
    const atOnce = set.refusedAtOnce(typeof header.kid === 'string' ? header.kid : undefined);
    if (atOnce !== null) return { ok: false, reason: atOnce };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (h) => set.select(h), {
        issuer: issuer.issuer,
        algorithms: [...issuer.algorithms],
        clockTolerance: options.clockToleranceSeconds,
        currentDate: now,
        requiredClaims: ['exp', 'sub'],
        ...(issuer.audienceClaim === 'aud' ? { audience: [...issuer.audiences] } : {}),
      }));
    } catch (error) {
      return { ok: false, reason: refusalReason(error) };
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'missing sub' };
    let audience: string[];
    if (issuer.audienceClaim === 'client_id') {
      const clientId = (payload as Record<string, unknown>)['client_id'];
      if (typeof clientId !== 'string' || !issuer.audiences.includes(clientId)) return { ok: false, reason: 'wrong audience (client_id)' };
      audience = [clientId];
    } else {
      audience = typeof payload.aud === 'string' ? [payload.aud] : [...(payload.aud ?? [])];
    }
    const email = typeof payload['email'] === 'string' && payload['email_verified'] !== false ? payload['email'] : null;
    const identity: ExternalIdentity = Object.freeze({
      issuer: issuer.issuer,
      subject: payload.sub,
      email,
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
  // lines. The next line logged for a reason says how many were left out.
  const refusals = new Map<string, { second: number; logged: number; skipped: number }>();
  function logRefusal(token: string, reason: string): void {
    const second = Math.floor(fetchOptions.now() / 1000);
    // One budget for every kid a flood makes up: the quoted, caller-chosen part is not the reason.
    const kind = reason.replace(/"[^"]*"/g, '…');
    let entry = refusals.get(kind);
    if (entry === undefined) {
      if (refusals.size >= 1000) refusals.clear();
      refusals.set(kind, (entry = { second, logged: 0, skipped: 0 }));
    }
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
    options.log.info(
      { issuer: unverifiedIssuer(token) ?? null, reason, ...(skipped > 0 ? { notLogged: skipped } : {}) },
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
        logRefusal(token, result.reason);
        return result;
      }
      verified.remember(token, result, result.identity.expiresAt);
      return result;
    },
  };
}
