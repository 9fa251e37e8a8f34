// Decides whether a provider's token is genuine and current: its issuer configured, signed by one of
// that issuer's keys with an accepted algorithm and an access-token `typ`, audience and times;
// verifications are remembered until the token expires. What the verified claims make of the caller
// is identity.ts's decision; how a refusal is worded and logged, refusals.ts's. The exact reason for
// a refusal goes to the log, never the client.
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { ExternalIssuerConfig } from './config';
import { type ExternalIdentity, identityOf } from './identity';
import { createIssuerKeys, DEFAULT_KEY_FETCH, type IssuerKeys, type KeyFetchOptions } from './keys';
import { createRefusalLog, type ExternalRefusal, refusalOf, refused } from './refusals';
import { createVerifiedTokens } from '../verified-tokens';

export type { ExternalIdentity } from './identity';
export type { ExternalRefusal } from './refusals';
export { refusalDetail } from './refusals';

export type ExternalVerifyResult = { readonly ok: true; readonly identity: ExternalIdentity } | ExternalRefusal;

export interface ExternalTokens {
  /** The configured issuer the token's (unverified) `iss` names, or undefined: then it is not an external token. */
  issuerOf(token: string): ExternalIssuerConfig | undefined;
  /** A remembered verification of this token, synchronously; undefined when there is none (not external, or not yet verified). */
  recall(token: string, now: Date): ExternalVerifyResult | undefined;
  /** Signature, issuer, audience, times and subject; the exact reason when refused (for the log and `token explain`, never the client). */
  /** `requestId`: the request the token came with, named in the refusal's log line. */
  verify(token: string, now: Date, requestId?: string): Promise<ExternalVerifyResult>;
  /** Fetches every issuer's keys not yet in hand; resolves when each fetch has succeeded or failed (logged). */
  prefetch(): Promise<void>;
}

export interface ExternalTokenOptions {
  readonly clockToleranceSeconds: number;
  readonly log: KeyFetchOptions['log'];
  readonly fetch?: Partial<Omit<KeyFetchOptions, 'log'>>;
}

const MAX_TOKEN_LENGTH = 16 * 1024;
/** The HMAC algorithms by name, so the reason naming one is still fixed text. */
const HMAC = new Set(['HS256', 'HS384', 'HS512']);
/** The access-token `typ` values accepted (RFC 9068 §2.1 `at+jwt`, its long form, and plain `JWT`), compared without case. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

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

export function createExternalTokens(issuers: readonly ExternalIssuerConfig[], options: ExternalTokenOptions): ExternalTokens {
  const byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  const fetchOptions: KeyFetchOptions = { ...DEFAULT_KEY_FETCH, now: Date.now, ...options.fetch, log: options.log };
  const keys = new Map<string, IssuerKeys>();
  const logRefusal = createRefusalLog(options.log, fetchOptions.now, (iss) => byIssuer.has(iss));
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
    return identityOf(issuer, header, alg, payload);
  }

  function recall(token: string, now: Date): ExternalVerifyResult | undefined {
    const remembered = verified.recall(token, now.getTime() / 1000);
    // A refresh that finds the token's key retired forgets the token (onRemoved above). Past the
    // set's max-age the token is verified again, after the refresh (keys.ts, the freshness rule).
    if (remembered !== undefined && keys.get(remembered.identity.issuer)?.maintain() === false) return undefined;
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
    async verify(token, now, requestId) {
      const remembered = recall(token, now);
      if (remembered !== undefined) return remembered;
      const result = await check(token, now);
      if (!result.ok) {
        logRefusal(unverifiedIssuer(token), result, requestId);
        return result;
      }
      verified.remember(token, result, result.identity.expiresAt);
      return result;
    },
  };
}
