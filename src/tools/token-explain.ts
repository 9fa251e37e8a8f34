// Tooling, not enforcement: what gatehouse would make of a bearer token, for `gatehouse token
// explain`. It decides nothing: it reports what src/auth/jwt.ts and src/auth/external/tokens.ts
// decide.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Config } from '../config';
import type { AccessTokens } from '../auth/jwt';
import type { ExternalTokens } from '../auth/external/tokens';

export interface Explanation {
  readonly accepted: boolean;
  /** `name: value` lines for a person; never the signature. */
  readonly lines: readonly string[];
}

/** Longest claim value shown; the rest is counted, not printed. */
const SHOWN_MAX = 200;
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A claim or header value as the token carries it, quoted and escaped: control characters, line
 * breaks, bidi overrides and every other non-ASCII character become `\u{…}`, so a crafted token
 * can neither start a line of its own (a forged "accepted:") nor move the cursor or recolour the
 * terminal. Long values are cut. A plain value (printable ASCII, no quote or backslash) is shown
 * as it is.
 */
export function shown(value: string): string {
  const capped = value.length > SHOWN_MAX ? value.slice(0, SHOWN_MAX) : value;
  if (capped === value && PLAIN.test(value)) return value;
  const escaped = JSON.stringify(capped).replace(/[^\x20-\x7e]/gu, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`);
  return capped === value ? escaped : `${escaped}…(${value.length} characters)`;
}
const claim = (value: unknown): string => (typeof value === 'string' ? shown(value) : '(none)');

const when = (seconds: unknown): string =>
  typeof seconds === 'number' ? `${new Date(seconds * 1000).toISOString()} (${seconds})` : '(none)';
const list = (values: readonly string[]): string => (values.length === 0 ? '(none)' : values.map(shown).join(' '));

/**
 * What gatehouse would make of a bearer token, and why: the facts an operator needs when a
 * provider's token is refused with a bare 401 (the reason the server logs at info, spelled out).
 * Only header and claim values are printed, never the signature. `own` verifies gatehouse's own
 * tokens as the server does (its key ring: JWT_SECRET and JWT_SECRET_PREVIOUS, and with ES256 the
 * keys in the database, retired ones refused); null when there is nothing to verify them with.
 */
export async function explainToken(
  config: Config,
  token: string,
  external: ExternalTokens | null,
  own: AccessTokens | null,
  now: Date,
): Promise<Explanation> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    return { accepted: false, lines: ['refused: not a JWT (three base64url parts with a JSON header and payload)'] };
  }
  const facts = [
    `issuer: ${claim(payload.iss)}`,
    `kid: ${claim(header.kid)}`,
    `alg: ${claim(header.alg)}`,
    `typ: ${claim(header.typ)}`,
    `subject: ${claim(payload.sub)}`,
    `expires: ${when(payload.exp)}`,
    `audience: ${typeof payload.aud === 'string' ? shown(payload.aud) : Array.isArray(payload.aud) ? list(payload.aud.map(String)) : '(none)'}`,
  ];
  if (payload.iss === config.jwt.issuer) {
    if (own === null)
      return { accepted: false, lines: [...facts, 'kind: gatehouse access token', 'refused: no JWT_SECRET to check it with'] };
    const verified = await own.verifyFresh(token, now);
    if (verified.ok && !(await own.stillTrusted(verified.claims)))
      return { accepted: false, lines: [...facts, 'kind: gatehouse access token', 'refused: its signing key is retired'] };
    return verified.ok
      ? {
          accepted: true,
          lines: [...facts, 'kind: gatehouse access token', 'accepted: signature and claims valid (the user is checked per request)'],
        }
      : { accepted: false, lines: [...facts, 'kind: gatehouse access token', `refused: ${verified.reason}`] };
  }
  if (external === null || external.issuerOf(token) === undefined) {
    return {
      accepted: false,
      lines: [...facts, `refused: issuer is neither gatehouse's own (${config.jwt.issuer}) nor one in OIDC_ISSUERS`],
    };
  }
  const result = await external.verify(token, now);
  if (!result.ok) {
    const detail = result.detail === null ? [] : [`refused value: ${result.detail}`];
    return { accepted: false, lines: [...facts, 'kind: external (OIDC_ISSUERS)', `refused: ${result.reason}`, ...detail] };
  }
  const { identity } = result;
  return {
    accepted: true,
    lines: [
      ...facts,
      'kind: external (OIDC_ISSUERS)',
      `email: ${identity.email === null ? '(none: absent, unverified or not a valid address)' : shown(identity.email)}`,
      `roles: ${list(identity.roles)}`,
      `scopes: ${list(identity.scopes)}`,
      'accepted: signature and claims valid (the linked user is checked per request)',
    ],
  };
}
