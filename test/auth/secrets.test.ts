import { createHash } from 'node:crypto';
import {
  API_KEY_PREFIX,
  generateApiKey,
  generateRefreshToken,
  isWellFormedApiKey,
  isWellFormedRefreshToken,
  sha256,
} from '../../src/auth/secrets';

describe('sha256', () => {
  it('gives the hex digest of the UTF-8 bytes, so hashes stored by earlier versions still match', () => {
    // FIPS 180-2, appendix B.1.
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('gth_é€')).toBe(createHash('sha256').update(Buffer.from('gth_é€', 'utf8')).digest('hex'));
  });
});

describe('API keys', () => {
  it('look like gth_ + 49 base62 characters and carry a valid checksum', () => {
    const { secret, displayPrefix, secretHash } = generateApiKey();
    expect(secret).toMatch(/^gth_[0-9A-Za-z]{49}$/);
    expect(isWellFormedApiKey(secret)).toBe(true);
    expect(displayPrefix).toBe(secret.slice(0, 12));
    expect(secretHash).toBe(sha256(secret));
    expect(secretHash).not.toContain(secret.slice(API_KEY_PREFIX.length));
  });

  it('are different every time', () => {
    const secrets = new Set(Array.from({ length: 200 }, () => generateApiKey().secret));
    expect(secrets.size).toBe(200);
  });

  it('refuses a mistyped, truncated or extended key without a database', () => {
    const { secret } = generateApiKey();
    const flipped = secret.slice(0, 10) + (secret[10] === 'a' ? 'b' : 'a') + secret.slice(11);
    expect(isWellFormedApiKey(flipped)).toBe(false);
    expect(isWellFormedApiKey(secret.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${secret}0`)).toBe(false);
    expect(isWellFormedApiKey(secret.replace('gth_', 'ghp_'))).toBe(false);
  });
});

describe('refresh tokens', () => {
  it('are gtr_ + 256 random bits, told apart from API keys and JWTs', () => {
    const { token, tokenHash } = generateRefreshToken();
    expect(token).toMatch(/^gtr_[A-Za-z0-9_-]{43}$/);
    expect(isWellFormedRefreshToken(token)).toBe(true);
    expect(tokenHash).toBe(sha256(token));
    expect(isWellFormedRefreshToken(generateApiKey().secret)).toBe(false);
    expect(isWellFormedRefreshToken('a.b.c')).toBe(false);
  });
});
