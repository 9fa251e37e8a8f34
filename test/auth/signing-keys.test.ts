import { parseConfig } from '../../src/config';
import { open, SealedKeyError, seal } from '../../src/auth/key-encryption';
import { KEY_PROPAGATION_SECONDS, makeSigningKey, privateKeyOf, publishedRecords, retireDecision } from '../../src/auth/signing-keys';
import type { SigningKeyRecord } from '../../src/store/signing-keys';
import { randomSecret } from '../helpers/http';

const timing = { accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 };
const at = (iso: string) => new Date(iso);
const key = (kid: string, created: string, retired: string | null = null): SigningKeyRecord => ({
  kid,
  algorithm: 'ES256',
  publicJwk: '{}',
  privateKey: '',
  createdAt: at(created),
  retiredAt: retired === null ? null : at(retired),
});

describe('retiring a signing key', () => {
  const keys = [key('old', '2026-12-01T00:00:00Z'), key('new', '2026-12-01T10:00:00Z')];
  const liveUntil = new Date(at('2026-12-01T10:00:00Z').getTime() + (KEY_PROPAGATION_SECONDS + 900 + 5) * 1000);

  it('is refused while a token the key signed may be live, allowed from then on or with force', () => {
    expect(retireDecision(keys, 'old', new Date(liveUntil.getTime() - 1), timing, false)).toEqual({ ok: false, reason: 'live', liveUntil });
    expect(retireDecision(keys, 'old', liveUntil, timing, false)).toEqual({ ok: true });
    expect(retireDecision(keys, 'old', at('2026-12-01T10:00:01Z'), timing, true)).toEqual({ ok: true });
  });
  it('is refused for the key that signs (even with force), an unknown key and a retired one', () => {
    expect(retireDecision(keys, 'new', at('2027-01-01T00:00:00Z'), timing, true)).toEqual({ ok: false, reason: 'signing' });
    expect(retireDecision(keys, 'nope', at('2027-01-01T00:00:00Z'), timing, true)).toEqual({ ok: false, reason: 'unknown' });
    const retired = [key('old', '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z'), keys[1] as SigningKeyRecord];
    expect(retireDecision(retired, 'old', at('2027-01-01T00:00:00Z'), timing, true)).toEqual({ ok: false, reason: 'retired' });
  });
  it('publishes the signing key and replaced keys whose tokens may be live, never retired ones', () => {
    const three = [...keys, key('gone', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')];
    expect(publishedRecords(three, at('2026-12-01T10:05:00Z'), timing).map((k) => k.kid)).toEqual(['old', 'new']);
    expect(publishedRecords(three, liveUntil, timing).map((k) => k.kid)).toEqual(['new']);
  });
});

describe('a private key at rest', () => {
  it('opens with its secret and kid only', () => {
    const secret = randomSecret();
    const sealed = seal(secret, 'kid-1', Buffer.from('private'));
    expect(open(secret, 'kid-1', sealed).toString()).toBe('private');
    expect(() => open(randomSecret(), 'kid-1', sealed)).toThrow(SealedKeyError);
    expect(() => open(secret, 'kid-2', sealed)).toThrow(SealedKeyError);
    const made = makeSigningKey(secret, new Date());
    expect(made.privateKey).not.toContain('BEGIN');
    expect(privateKeyOf({ ...made, retiredAt: null }, secret).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe('signing configuration', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: randomSecret() };
  it('defaults to HS256 and takes ES256 with SIGNING_KEYS_SECRET', () => {
    expect(parseConfig(production).jwt.algorithm).toBe('HS256');
    const es = parseConfig({ NODE_ENV: 'production', JWT_ALGORITHM: 'ES256', SIGNING_KEYS_SECRET: randomSecret() });
    expect(es.jwt).toMatchObject({ algorithm: 'ES256', secret: null });
  });
  it.each([
    [{ ...production, JWT_ALGORITHM: 'RS256' }, 'JWT_ALGORITHM: must be ES256 or HS256, got "RS256"'],
    [{ NODE_ENV: 'production', JWT_ALGORITHM: 'ES256' }, 'SIGNING_KEYS_SECRET: is required in production with JWT_ALGORITHM=ES256'],
    [
      { NODE_ENV: 'production', JWT_ALGORITHM: 'ES256', SIGNING_KEYS_SECRET: 'short' },
      'SIGNING_KEYS_SECRET: must be at least 32 bytes long',
    ],
    [{ ...production, JWT_SECRET_PREVIOUS: production.JWT_SECRET }, 'JWT_SECRET_PREVIOUS: is the same as JWT_SECRET'],
    [{ ...production, JWT_SECRET_PREVIOUS: 'x'.repeat(40) }, 'JWT_SECRET_PREVIOUS: is a well-known or low-variety value'],
  ])('refuses %j', (env, message) => {
    expect(() => parseConfig(env)).toThrow(message);
  });
  it('never puts a refused secret in its message', () => {
    const weak = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    expect(() => parseConfig({ NODE_ENV: 'production', JWT_ALGORITHM: 'ES256', SIGNING_KEYS_SECRET: weak })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(weak) }),
    );
  });
});
