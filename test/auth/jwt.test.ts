import jwt from 'jsonwebtoken';
import { createAccessTokens } from '../../src/auth/jwt';

const secret = `${'k'.repeat(16)}Q7w!x2#Z9p$L0m^v`;
const options = { secret, issuer: 'gatehouse', audience: 'gatehouse-api', ttlSeconds: 900, clockToleranceSeconds: 5 };
const tokens = createAccessTokens(options);
const now = new Date('2026-11-28T10:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

function forge(payload: object, header: object = { alg: 'HS256', typ: 'at+jwt' }, key: string = secret): string {
  return jwt.sign(payload, key, { algorithm: 'HS256', header: header as jwt.JwtHeader });
}

const goodClaims = { sub: 'user-1', jti: 'j1', iat: nowSeconds, exp: nowSeconds + 900, iss: 'gatehouse', aud: 'gatehouse-api' };

describe('access tokens', () => {
  it('issues a token whose claims verify, with sub, iat, exp, iss, aud and jti', () => {
    const { token, expiresIn, claims } = tokens.issue('user-1', now);
    expect(expiresIn).toBe(900);
    expect(tokens.verify(token, now)).toEqual({ ok: true, claims });
    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(decoded?.payload).toMatchObject({
      sub: 'user-1',
      iss: 'gatehouse',
      aud: 'gatehouse-api',
      exp: nowSeconds + 900,
      iat: nowSeconds,
    });
    expect(typeof (decoded!.payload as jwt.JwtPayload).jti).toBe('string');
  });

  it('refuses an expired token beyond the tolerance and accepts one just inside it', () => {
    const { token } = tokens.issue('user-1', now);
    expect(tokens.verify(token, new Date(now.getTime() + 904_000)).ok).toBe(true);
    expect(tokens.verify(token, new Date(now.getTime() + 906_000))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses tokens signed with another secret, another algorithm, or none', () => {
    expect(tokens.verify(forge(goodClaims, undefined, 'another-secret-that-is-long-enough!!'), now).ok).toBe(false);
    const hs512 = jwt.sign(goodClaims, secret, { algorithm: 'HS512', header: { alg: 'HS512', typ: 'at+jwt' } });
    expect(tokens.verify(hs512, now).ok).toBe(false);
    const [, body] = forge(goodClaims).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${body}.`;
    expect(tokens.verify(none, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a payload altered under the old signature, also once the genuine token is remembered', () => {
    const genuine = tokens.issue('user-1', now).token;
    const [header, , signature] = genuine.split('.');
    const altered = Buffer.from(JSON.stringify({ ...goodClaims, sub: 'admin' })).toString('base64url');
    const forged = `${header}.${altered}.${signature}`;
    expect(tokens.verify(forged, now).ok).toBe(false);
    // Verified tokens are remembered by the end of their signature, which the forgery shares.
    expect(tokens.verify(genuine, now).ok).toBe(true);
    expect(tokens.verify(forged, now)).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.verify(genuine, now)).toMatchObject({ ok: true, claims: { sub: 'user-1' } });
  });

  it('requires exp, sub, the right iss and aud, and the access-token type', () => {
    const { exp: _exp, ...noExp } = goodClaims;
    expect(tokens.verify(forge(noExp), now).ok).toBe(false);
    const { sub: _sub, ...noSub } = goodClaims;
    expect(tokens.verify(forge(noSub), now).ok).toBe(false);
    expect(tokens.verify(forge({ ...goodClaims, iss: 'someone-else' }), now).ok).toBe(false);
    expect(tokens.verify(forge({ ...goodClaims, aud: 'other-api' }), now).ok).toBe(false);
    expect(tokens.verify(forge(goodClaims, { alg: 'HS256', typ: 'JWT' }), now).ok).toBe(false);
    expect(tokens.verify(forge(goodClaims), now).ok).toBe(true);
  });

  it('refuses malformed tokens without throwing', () => {
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', 'a.b.c', '!!!.###.$$$', 'x'.repeat(20_000)]) {
      expect(tokens.verify(bad, now).ok).toBe(false);
    }
  });
});
