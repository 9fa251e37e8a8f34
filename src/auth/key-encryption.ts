// Decides how a private signing key is kept at rest: AES-256-GCM (node:crypto) under a key derived
// from SIGNING_KEYS_SECRET with HKDF-SHA256, a fresh 96-bit nonce per seal, and the key's kid as
// associated data, so a sealed key copied onto another row does not open. Not jose's JWE: it would
// add a second format and an async API for what is one AEAD call; GCM's tag already says "wrong
// secret" (or a tampered row) without any key material in the message.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The sealed form's version tag: a different derivation or cipher later gets another. */
const VERSION = 'v1';
const INFO = 'gatehouse signing keys v1';

/** The stored key cannot be opened with this secret: SIGNING_KEYS_SECRET is not the one it was sealed with, or the row was altered. */
export class SealedKeyError extends Error {
  override readonly name = 'SealedKeyError';
  readonly code = 'SIGNING_KEY_UNREADABLE';
}

function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), INFO, 32));
}

/** `plain` encrypted for the row `kid`: `v1.<nonce>.<ciphertext>.<tag>`, base64url parts. */
export function seal(secret: string, kid: string, plain: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), nonce);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [VERSION, nonce, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The plain key sealed for `kid`; SealedKeyError when the secret or the row does not match. */
export function open(secret: string, kid: string, sealed: string): Buffer {
  const [version, nonce, body, tag] = sealed.split('.');
  if (version !== VERSION || nonce === undefined || body === undefined || tag === undefined) {
    throw new SealedKeyError(`signing key ${kid}: stored in a form this gatehouse does not read`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  } catch {
    throw new SealedKeyError(
      `signing key ${kid} cannot be decrypted: SIGNING_KEYS_SECRET is not the secret the keys were encrypted with (or the row was altered)`,
    );
  }
}
