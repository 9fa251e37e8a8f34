import { originAllowed, readConnectionCredential, tokenExpiry } from '../../src/subscriptions/handshake';

describe('originAllowed', () => {
  const cors = ['https://app.example.test'];
  it.each([
    [undefined, 'localhost:4000', true],
    ['http://localhost:4000', 'localhost:4000', true],
    ['https://api.example.test', 'API.example.test', true],
    ['https://app.example.test', 'api.example.test', true],
    ['https://evil.example', 'localhost:4000', false],
    ['http://localhost:4001', 'localhost:4000', false],
    ['null', 'localhost:4000', false],
    ['https://app.example.test.evil.example', 'localhost:4000', false],
    ['http://localhost:4000', undefined, false],
  ])('origin %s on host %s: %s', (origin, host, allowed) => {
    expect(originAllowed(origin, host, cors)).toBe(allowed);
  });
});

describe('readConnectionCredential', () => {
  it('reads a bearer token or an API key, names in any case', () => {
    expect(readConnectionCredential({ authorization: 'Bearer abc.def.ghi' })).toEqual({ kind: 'jwt', token: 'abc.def.ghi' });
    expect(readConnectionCredential({ Authorization: 'Bearer abc' })).toEqual({ kind: 'jwt', token: 'abc' });
    expect(readConnectionCredential({ 'X-API-Key': 'gh_key' })).toEqual({ kind: 'api-key', key: 'gh_key' });
  });

  it('is anonymous without a credential, whatever else the payload holds', () => {
    expect(readConnectionCredential(undefined)).toEqual({ kind: 'none' });
    expect(readConnectionCredential({ other: 'x' })).toEqual({ kind: 'none' });
  });

  it('refuses, never ignores, a credential that is malformed, not a string, doubled or paired', () => {
    expect(readConnectionCredential({ authorization: 'Basic abc' })).toEqual({ kind: 'refused', problem: 'invalid_token' });
    expect(readConnectionCredential({ authorization: ['Bearer a'] })).toEqual({ kind: 'refused', problem: 'invalid_token' });
    expect(readConnectionCredential({ 'x-api-key': 7 })).toEqual({ kind: 'refused', problem: 'invalid_api_key' });
    expect(readConnectionCredential({ authorization: 'Bearer a', Authorization: 'Bearer b' })).toEqual({
      kind: 'refused',
      problem: 'invalid_token',
    });
    expect(readConnectionCredential({ authorization: 'Bearer a', 'x-api-key': 'k' })).toEqual({
      kind: 'refused',
      problem: 'invalid_request',
    });
  });
});

describe('tokenExpiry', () => {
  const token = (payload: unknown) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  it('reads exp, and nothing from a token without a usable one', () => {
    expect(tokenExpiry(token({ exp: 1_900_000_000 }))).toBe(1_900_000_000);
    expect(tokenExpiry(token({ exp: '1900000000' }))).toBeUndefined();
    expect(tokenExpiry(token({}))).toBeUndefined();
    expect(tokenExpiry('not-a-jwt')).toBeUndefined();
    expect(tokenExpiry('a.!!!.b')).toBeUndefined();
  });
});
