// Decides whether a gatehouse access token is genuine and current (HS256 signature, `typ`, issuer,
// audience, expiry), and issues them. Whether its user and session still stand is decided in
// authenticate.ts and session-ends.ts.
import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createVerifiedTokens } from './verified-tokens';

export interface AccessTokenOptions {
  /** HS256 secret, at least 32 bytes. */
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
  /** Leeway for exp/nbf in seconds. */
  readonly clockToleranceSeconds: number;
}

/** The media type put in the JWT header (RFC 9068), so no other JWT is mistaken for an access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHMS: jwt.Algorithm[] = ['HS256'];
/** Anything longer is not one of ours; refusing it early keeps a huge header from costing CPU. */
const MAX_TOKEN_LENGTH = 4096;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

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
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'expired' | 'invalid' };

export interface AccessTokens {
  /** `sessionId`: the refresh-token family the token belongs to; without one the token ends only by expiry or the account's cut-off. */
  issue(userId: string, now: Date, sessionId?: string): { token: string; expiresIn: number; claims: AccessTokenClaims };
  /** Expected failures are values; the library's own message never leaves this function. */
  verify(token: string, now: Date): VerifyResult;
}

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  // A KeyObject, not a string: jsonwebtoken 9 tries createPublicKey on a string secret first and
  // throws internally, which costs ~30x more per verify.
  const key: KeyObject = createSecretKey(Buffer.from(options.secret, 'utf8'));
  // A signature check is a pure function of the token, so its success can be remembered until the
  // token expires (verified-tokens.ts); that saves the HMAC and JSON parsing on every later request
  // with the token. A disabled user or an ended session is refused by the user lookup that follows
  // (src/auth/authenticate.ts).
  const verified = createVerifiedTokens<VerifyResult & { ok: true }>(options.clockToleranceSeconds);
  return {
    issue(userId, now, sessionId) {
      const iat = Math.floor(now.getTime() / 1000);
      const base = { sub: userId, jti: randomUUID(), iat, exp: iat + options.ttlSeconds };
      const claims: AccessTokenClaims = sessionId === undefined ? base : { ...base, sid: sessionId };
      const token = jwt.sign(claims, key, {
        algorithm: 'HS256',
        issuer: options.issuer,
        audience: options.audience,
        header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE },
      });
      return { token, expiresIn: options.ttlSeconds, claims };
    },
    verify(token, now) {
      const remembered = verified.recall(token, now.getTime() / 1000);
      if (remembered !== undefined) return remembered;
      if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
      let decoded: jwt.Jwt;
      try {
        decoded = jwt.verify(token, key, {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds,
          clockTimestamp: Math.floor(now.getTime() / 1000),
          complete: true,
        });
      } catch (error) {
        return { ok: false, reason: error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid' };
      }
      const { header, payload } = decoded;
      if (header.typ !== ACCESS_TOKEN_TYPE || typeof payload !== 'object' || payload === null) return { ok: false, reason: 'invalid' };
      const { sub, jti, iat, exp, sid } = payload;
      // jsonwebtoken accepts a token without exp; ours always carry one.
      if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
        return { ok: false, reason: 'invalid' };
      }
      if (sid !== undefined && (typeof sid !== 'string' || sid === '')) return { ok: false, reason: 'invalid' };
      const claims: AccessTokenClaims = Object.freeze(sid === undefined ? { sub, jti, iat, exp } : { sub, jti, iat, exp, sid });
      const result = Object.freeze({ ok: true, claims } as const);
      verified.remember(token, result, exp);
      return result;
    },
  };
}
