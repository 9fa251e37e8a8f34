// Decides what a provider token's refusal says, and how often it is logged: a fixed reason from a
// closed set (the log's rate limit is per reason), and the token's own value it is about, escaped
// and capped. The exact reason goes to the log and `token explain`, never to the client.
import { errors } from 'jose';
import { KeyProblem } from './keys';

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

const REFUSALS_LOGGED_PER_SECOND = 10;
/** Characters of a refusal's detail kept for the log and `token explain`. */
const DETAIL_MAX = 64;

/** `value` as one short printable line: escapes (JSON's, plus every non-ASCII character) and a cap. */
export function refusalDetail(value: string): string {
  const capped = [...value.slice(0, DETAIL_MAX * 2)].slice(0, DETAIL_MAX).join('');
  const escaped = JSON.stringify(capped)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/gu, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`);
  return capped.length < value.length ? `${escaped}…(${value.length} UTF-16 units)` : escaped;
}

export const refused = (reason: string, detail: string | null = null): ExternalRefusal => ({
  ok: false,
  reason,
  detail: detail === null ? null : refusalDetail(detail),
});

export function refusalOf(error: unknown): ExternalRefusal {
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

/**
 * Logs a refusal at info, under the issuer the token names when that issuer is configured.
 */
export function createRefusalLog(
  log: { info(obj: object, msg: string): void },
  now: () => number,
  isConfigured: (issuer: string) => boolean,
): (iss: string | undefined, refusal: ExternalRefusal, requestId?: string) => void {
  // Refusals are logged at info, at most REFUSALS_LOGGED_PER_SECOND per reason: a flood of bad
  // tokens (anyone can make one with a random kid, no key needed) must not become a flood of log
  // lines. Reasons are fixed text (ExternalRefusal), so no made-up alg or kid opens a budget of its
  // own; the token's value is in `detail`, escaped and capped. The next line logged for a reason
  // says how many were left out.
  const refusals = new Map<string, { second: number; logged: number; skipped: number }>();
  return (iss, refusal, requestId) => {
    const second = Math.floor(now() / 1000);
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
    log.info(
      {
        // Only a configured issuer is named: any other is the caller's text.
        issuer: iss !== undefined && isConfigured(iss) ? iss : null,
        reason: refusal.reason,
        ...(refusal.detail === null ? {} : { detail: refusal.detail }),
        ...(skipped > 0 ? { notLogged: skipped } : {}),
        // The request it refused, so the line is found by the id the client was answered with.
        ...(requestId === undefined ? {} : { requestId }),
      },
      'external token refused',
    );
  };
}
