// Decides where the JWT secret comes from outside production when JWT_SECRET is unset.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Outside production, gatehouse runs without JWT_SECRET: it makes a random secret once and keeps it
 * in `<dataDir>/jwt-secret` (mode 600), so tokens survive restarts. Production must set JWT_SECRET.
 */
export function readOrCreateDevSecret(dataDir: string): string {
  const path = join(dataDir, 'jwt-secret');
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
