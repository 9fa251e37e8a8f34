import { parseConfig } from '../../src/config';
import { open, SealedKeyError, seal } from '../../src/auth/key-encryption';
import {
  KEY_PROPAGATION_SECONDS,
  liveUntil as liveUntilOf,
  makeSigningKey,
  nextKeySignsFrom,
  privateKeyOf,
  publishedRecords,
  retireDecision,
  signingRecord,
} from '../../src/auth/signing-keys';
import type { SigningKeyRecord } from '../../src/store/signing-keys';
import { randomSecret } from '../helpers/http';

const timing = { accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 };
const at = (iso: string) => new Date(iso);
const key = (kid: string, created: string, retired: string | null = null, signsFrom = created): SigningKeyRecord => ({
  kid,
  algorithm: 'ES256',
  publicJwk: '{}',
  privateKey: '',
  createdAt: at(created),
  signsFrom: at(signsFrom),
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

describe('the next key, published before it signs', () => {
  // `keys rotate` at 10:00 with JWKS_MAX_AGE=300: published at once, signs from 10:05:06.
  const rotatedAt = at('2026-12-01T10:00:00Z');
  const signsFrom = nextKeySignsFrom(rotatedAt, 300, false);
  const keys = [key('old', '2026-12-01T00:00:00Z'), key('next', '2026-12-01T10:00:00Z', null, signsFrom.toISOString())];

  it('signs from JWKS_MAX_AGE + the propagation allowance after the rotation; plain rotate (no --publish-first) at once', () => {
    expect(signsFrom).toEqual(new Date(rotatedAt.getTime() + (300 + KEY_PROPAGATION_SECONDS) * 1000));
    expect(nextKeySignsFrom(rotatedAt, 300, true)).toEqual(rotatedAt);
  });
  it('is in the key set from the rotation on, while the old key goes on signing until its time', () => {
    const justBefore = new Date(signsFrom.getTime() - 1);
    expect(publishedRecords(keys, rotatedAt, timing).map((k) => k.kid)).toEqual(['old', 'next']);
    expect(signingRecord(keys, rotatedAt)?.kid).toBe('old');
    expect(signingRecord(keys, justBefore)?.kid).toBe('old');
    expect(signingRecord(keys, signsFrom)?.kid).toBe('next');
  });
  it("counts the old key's last tokens from the next key's signing time, not from the rotation", () => {
    const until = new Date(signsFrom.getTime() + (KEY_PROPAGATION_SECONDS + 900 + 5) * 1000);
    expect(liveUntilOf(keys, keys[0] as SigningKeyRecord, timing)).toEqual(until);
    expect(retireDecision(keys, 'old', signsFrom, timing, false)).toEqual({ ok: false, reason: 'live', liveUntil: until });
    expect(retireDecision(keys, 'old', until, timing, false)).toEqual({ ok: true });
  });
  it('refuses to retire the signing key while the next waits, and retires the next at once (no token carries it)', () => {
    expect(retireDecision(keys, 'old', rotatedAt, timing, true)).toEqual({ ok: false, reason: 'signing' });
    expect(retireDecision(keys, 'next', rotatedAt, timing, false)).toEqual({ ok: true });
    // Retired before its time, the next key never took over: the old one signs on, with no end.
    const withdrawn = [keys[0] as SigningKeyRecord, { ...(keys[1] as SigningKeyRecord), retiredAt: rotatedAt }];
    expect(signingRecord(withdrawn, signsFrom)?.kid).toBe('old');
    expect(liveUntilOf(withdrawn, keys[0] as SigningKeyRecord, timing)).toBeUndefined();
  });
  it('signs with the earliest waiting key when no key has come yet (a clock behind the one that made them)', () => {
    expect(signingRecord([key('a', '2026-12-01T10:00:00Z')], at('2026-12-01T09:59:58Z'))?.kid).toBe('a');
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
