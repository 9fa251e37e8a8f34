// Decides the shape of gatehouse's own secrets, API keys and refresh tokens (prefix, length,
// checksum), and how they are stored (SHA-256). Whether a key still works is authenticate.ts's
// decision; whether a refresh token does, src/services/accounts.ts's.
import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** SHA-256 hex. Right for high-entropy secrets (keys, refresh tokens); never for passwords. */
export function sha256(value: string): string {
  // One-shot crypto.hash (Node 20.12+): ~0.8 µs here against ~2 µs for a createHash object, on
  // every API-key request.
  return hash('sha256', value, 'hex');
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = BASE62[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

/**
 * API keys look like `gth_` + 43 base62 characters (32 random bytes) + a 6-character CRC32
 * checksum of those 43, after GitHub's token format: a typo or a truncated key is refused without a
 * database query, and secret scanners can match `gth_[0-9A-Za-z]{49}` with few false positives.
 */
export const API_KEY_PREFIX = 'gth_';
const API_KEY_BODY = 43;
const API_KEY_CHECKSUM = 6;
const API_KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_BODY + API_KEY_CHECKSUM}}$`);
/** How much of a key is shown back (list, logs): the prefix and 8 characters. */
const API_KEY_DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;

function checksumOf(body: string): string {
  // A CRC32 fits in a double: plain arithmetic, no BigInt, on this per-request path.
  let rest = crc32(body);
  let out = '';
  for (let i = 0; i < API_KEY_CHECKSUM; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

export function generateApiKey(): { secret: string; displayPrefix: string; secretHash: string } {
  const body = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), API_KEY_BODY);
  const secret = `${API_KEY_PREFIX}${body}${checksumOf(body)}`;
  return { secret, displayPrefix: secret.slice(0, API_KEY_DISPLAY_LENGTH), secretHash: sha256(secret) };
}

/** True when `key` has the shape and a correct checksum. Pure and cheap: no database. */
export function isWellFormedApiKey(key: string): boolean {
  if (!API_KEY_SHAPE.test(key)) return false;
  const body = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + API_KEY_BODY);
  return key.slice(API_KEY_PREFIX.length + API_KEY_BODY) === checksumOf(body);
}

/** Refresh tokens: `gtr_` + 32 random bytes, base64url. Opaque; only the hash is stored. */
export const REFRESH_TOKEN_PREFIX = 'gtr_';
const REFRESH_TOKEN_SHAPE = /^gtr_[A-Za-z0-9_-]{43}$/;

export function generateRefreshToken(): { token: string; tokenHash: string } {
  const token = `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: sha256(token) };
}

export function isWellFormedRefreshToken(token: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(token);
}
