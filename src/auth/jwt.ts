// Decides whether a gatehouse access token is genuine and current (signature by a key the ring
// holds, `typ`, issuer, audience, expiry), and issues them. Which keys sign and verify, and how
// fresh they are, is key-ring.ts's decision; whether the token's user and session still stand is
// decided in authenticate.ts and session-ends.ts.
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createKeyRing, type KeyRing } from './key-ring';
import { createVerifiedTokens } from './verified-tokens';

/**
 * `keys`: the ring (key-ring.ts); `secret`: shorthand for an HS256 ring over that one secret. Signing
 * and verifying use node KeyObjects through jsonwebtoken, which keeps `issue` synchronous: ~20 µs
 * per HS256 verify, where a string secret costs ~600 µs.
 */
export type AccessTokenOptions = ({ readonly keys: KeyRing } | { readonly secret: string }) & {
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
  /** Leeway for exp/nbf in seconds. */
  readonly clockToleranceSeconds: number;
};

/** The media type put in the JWT header (RFC 9068), so no other JWT is mistaken for an access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Anything longer is not one of ours; refusing it early keeps a huge header from costing CPU. */
const MAX_TOKEN_LENGTH = 4096;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Our kids: an RFC 7638 thumbprint (43 characters) or `hs256-` and 22; anything else is never looked up. */
const KID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

const encodedHeader = (header: object): string => Buffer.from(JSON.stringify(header)).toString('base64url');
/**
 * How gatehouse's HS256 tokens begin: the header of tokens from before kids, and the first 36 bytes
 * (48 base64url characters, a whole number of 3-byte groups) of `{"alg":"HS256","typ":"at+jwt","kid":"`.
 * No identity provider's token is HS256 (external issuers never accept it), so a token that starts
 * so is verified as gatehouse's own without reading its payload. ES256 tokens are told apart by
 * their issuer instead: a provider's RFC 9068 token may start exactly as ours do.
 */
const OWN_HS256_PREFIXES = [
  `${encodedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE })}.`,
  encodedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE, kid: '' }).slice(0, 48),
];
export function hasOwnHs256Header(token: string): boolean {
  return token.startsWith(OWN_HS256_PREFIXES[0] as string) || token.startsWith(OWN_HS256_PREFIXES[1] as string);
}

export interface AccessTokenClaims {
  readonly sub: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /**
   * The session the token belongs to: the id of its refresh-token family, so ending a session ends
   * its access tokens too (src/services/sessions.ts). Absent from tokens issued before sessions
   * could be ended; those are judged by the account's cut-off alone.
   */
  readonly sid?: string;
  /** The key that signed it (its header's `kid`); null for HS256 tokens issued before tokens carried one. */
  readonly kid: string | null;
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'expired' | 'invalid' };

export interface AccessTokens {
  /** Loads the signing keys (ES256); call before serving. Rejects (SealedKeyError) when SIGNING_KEYS_SECRET does not open them. */
  ready(): Promise<void>;
  /** `sessionId`: the refresh-token family the token belongs to; without one the token ends only by expiry or the account's cut-off. */
  issue(userId: string, now: Date, sessionId?: string): { token: string; expiresIn: number; claims: AccessTokenClaims };
  /** Expected failures are values; the library's own message never leaves this function. With the keys in hand only: a kid not held is `invalid`. */
  verify(token: string, now: Date): VerifyResult;
  /** `verify`, and for a kid not held, once more after reloading the keys (a key another instance made a moment ago): what authentication calls. */
  verifyFresh(token: string, now: Date): Promise<VerifyResult>;
  /**
   * Whether the key that signed a verified token still verifies: asked after the request's user
   * lookup, so a key retired before the request is refused (key-ring.ts).
   */
  stillTrusted(claims: AccessTokenClaims): boolean | Promise<boolean>;
  /** The public keys for /.well-known/jwks.json. */
  publishedKeys(): readonly Readonly<Record<string, string>>[];
  close(): void;
}

function headerOf(token: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null ? header : undefined;
  } catch {
    return undefined;
  }
}

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const keys =
    'keys' in options
      ? options.keys
      : createKeyRing({
          algorithm: 'HS256',
          hsSecret: options.secret,
          hsPreviousSecret: null,
          signingKeysSecret: null,
          timing: { accessTokenTtlSeconds: options.ttlSeconds, clockToleranceSeconds: options.clockToleranceSeconds },
          now: () => new Date(),
        });
  // A signature check is a pure function of the token and its key, so its success can be
  // remembered until the token expires (verified-tokens.ts); that saves the signature check and
  // JSON parsing on every later request with the token. A retired key's entries are dropped, and
  // `stillTrusted` refuses them meanwhile; a disabled user or an ended session is refused by the
  // user lookup that follows (src/auth/authenticate.ts).
  const verified = createVerifiedTokens<VerifyResult & { ok: true }>(options.clockToleranceSeconds);
  keys.onForget((kid) => verified.forgetWhere((result) => result.claims.kid === kid));

  const check = (token: string, kid: string | null, now: Date): VerifyResult | undefined => {
    const candidates = keys.verifying(kid);
    if (candidates.length === 0) return undefined;
    let decoded: jwt.Jwt | undefined;
    let expired = false;
    for (const candidate of candidates) {
      try {
        decoded = jwt.verify(token, candidate.key, {
          algorithms: [candidate.algorithm],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds,
          clockTimestamp: Math.floor(now.getTime() / 1000),
          complete: true,
        });
        break;
      } catch (error) {
        expired ||= error instanceof jwt.TokenExpiredError;
      }
    }
    if (decoded === undefined) return { ok: false, reason: expired ? 'expired' : 'invalid' };
    const { header, payload } = decoded;
    if (header.typ !== ACCESS_TOKEN_TYPE || typeof payload !== 'object' || payload === null) return { ok: false, reason: 'invalid' };
    const { sub, jti, iat, exp, sid } = payload;
    // jsonwebtoken accepts a token without exp; ours always carry one.
    if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
      return { ok: false, reason: 'invalid' };
    }
    if (sid !== undefined && (typeof sid !== 'string' || sid === '')) return { ok: false, reason: 'invalid' };
    const base = { sub, jti, iat, exp, kid };
    const claims: AccessTokenClaims = Object.freeze(sid === undefined ? base : { ...base, sid });
    const result = Object.freeze({ ok: true, claims } as const);
    verified.remember(token, result, exp);
    return result;
  };

  /** The verdict with the keys in hand, or the kid that none of them has. */
  const attempt = (token: string, now: Date): VerifyResult | { readonly unknownKid: string } => {
    const remembered = verified.recall(token, now.getTime() / 1000);
    if (remembered !== undefined) return remembered;
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
    const header = headerOf(token);
    if (header === undefined) return { ok: false, reason: 'malformed' };
    const kid = header.kid === undefined ? null : header.kid;
    if (kid !== null && (typeof kid !== 'string' || !KID_SHAPE.test(kid))) return { ok: false, reason: 'invalid' };
    return check(token, kid, now) ?? (kid === null ? { ok: false, reason: 'invalid' } : { unknownKid: kid });
  };

  return {
    ready: () => keys.ready(),
    issue(userId, now, sessionId) {
      const signing = keys.signing();
      const iat = Math.floor(now.getTime() / 1000);
      const base = { sub: userId, jti: randomUUID(), iat, exp: iat + options.ttlSeconds };
      const payload = sessionId === undefined ? base : { ...base, sid: sessionId };
      const token = jwt.sign(payload, signing.key, {
        algorithm: signing.algorithm,
        issuer: options.issuer,
        audience: options.audience,
        header: { alg: signing.algorithm, typ: ACCESS_TOKEN_TYPE, kid: signing.kid },
      });
      return { token, expiresIn: options.ttlSeconds, claims: { ...payload, kid: signing.kid } };
    },
    verify: (token, now) => {
      const outcome = attempt(token, now);
      return 'unknownKid' in outcome ? { ok: false, reason: 'invalid' } : outcome;
    },
    async verifyFresh(token, now) {
      const outcome = attempt(token, now);
      if (!('unknownKid' in outcome)) return outcome;
      await keys.learn(outcome.unknownKid);
      return check(token, outcome.unknownKid, now) ?? { ok: false, reason: 'invalid' };
    },
    stillTrusted: (claims) => keys.trusts(claims.kid),
    publishedKeys: () => keys.published(),
    close: () => keys.close(),
  };
}
