// Decides where the JWT secret (and, with ES256, SIGNING_KEYS_SECRET) comes from outside production when unset.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Outside production, gatehouse runs without JWT_SECRET: it makes a random secret once and keeps it
 * in `<dataDir>/jwt-secret` (mode 600), so tokens survive restarts. Production must set JWT_SECRET.
 */
export function readOrCreateDevSecret(dataDir: string, name = 'jwt-secret'): string {
  const path = join(dataDir, name);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (Buffer.byteLength(secret) < 32) throw new Error(`${path} holds fewer than 32 bytes; delete it to make a new one`);
  return secret;
}

/**
 * The secrets createApp needs that the configuration leaves to development (src/app.ts AppOptions):
 * the JWT secret with HS256 and no JWT_SECRET, SIGNING_KEYS_SECRET with ES256 and none set.
 */
export function devSecretsFor(config: {
  readonly dataDir: string;
  readonly jwt: { readonly algorithm: 'ES256' | 'HS256'; readonly secret: string | null; readonly signingKeysSecret: string | null };
}): { jwtSecret?: string; signingKeysSecret?: string } {
  const { jwt, dataDir } = config;
  if (jwt.algorithm === 'HS256') return jwt.secret === null ? { jwtSecret: readOrCreateDevSecret(dataDir) } : {};
  return jwt.signingKeysSecret === null ? { signingKeysSecret: readOrCreateDevSecret(dataDir, 'signing-keys-secret') } : {};
}
