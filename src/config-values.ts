// The readers every configuration value goes through (ConfigError names the variable and the fix),
// and the signing secrets, whose rules are the strictest: parseConfig (src/config.ts) is the one
// caller. Pure: reads only the environment it is given.
import type { SigningAlgorithm } from './auth/signing-keys';

export type NodeEnv = 'development' | 'production' | 'test';

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export const MIN_JWT_SECRET_BYTES = 32;

/** Secrets that appear in tutorials and leaked-secret lists; refused in production whatever their length. */
const WELL_KNOWN_WEAK_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'your-256-bit-secret',
  'your-secret-key',
  'supersecret',
  'jwt_secret',
  'jwtsecret',
  'please-change-this-secret-in-production',
  'replace-with-at-least-32-random-bytes',
]);

export function text(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

/** A secret's strength; the message names the variable and never the value. */
function checkSecret(name: string, secret: string): string {
  if (Buffer.byteLength(secret, 'utf8') < MIN_JWT_SECRET_BYTES) {
    throw new ConfigError(name, `must be at least ${MIN_JWT_SECRET_BYTES} bytes long`);
  }
  if (WELL_KNOWN_WEAK_SECRETS.has(secret.toLowerCase()) || new Set(secret).size < 8) {
    throw new ConfigError(name, 'is a well-known or low-variety value; generate one with `openssl rand -base64 48`');
  }
  return secret;
}

function optionalSecret(env: Env, name: string): string | null {
  const secret = env[name];
  return secret === undefined || secret === '' ? null : checkSecret(name, secret);
}

export function signingAlgorithm(env: Env): SigningAlgorithm {
  const raw = text(env, 'JWT_ALGORITHM') ?? 'HS256';
  if (raw !== 'ES256' && raw !== 'HS256') throw new ConfigError('JWT_ALGORITHM', `must be ES256 or HS256, got "${raw.slice(0, 20)}"`);
  return raw;
}

/** JWT_SECRET, JWT_SECRET_PREVIOUS and SIGNING_KEYS_SECRET for the chosen algorithm. */
export function signingSecrets(env: Env, nodeEnv: NodeEnv, algorithm: SigningAlgorithm) {
  const secret = optionalSecret(env, 'JWT_SECRET');
  const previousSecret = optionalSecret(env, 'JWT_SECRET_PREVIOUS');
  const signingKeysSecret = optionalSecret(env, 'SIGNING_KEYS_SECRET');
  const production = nodeEnv === 'production';
  if (algorithm === 'HS256' && secret === null && production) {
    throw new ConfigError(
      'JWT_SECRET',
      `is required in production: set it to at least ${MIN_JWT_SECRET_BYTES} random bytes, for instance the output of \`openssl rand -base64 48\``,
    );
  }
  if (algorithm === 'ES256' && signingKeysSecret === null && production) {
    throw new ConfigError(
      'SIGNING_KEYS_SECRET',
      `is required in production with JWT_ALGORITHM=ES256 (at least ${MIN_JWT_SECRET_BYTES} random bytes; it encrypts the signing keys in the database)`,
    );
  }
  if (previousSecret !== null && previousSecret === secret) {
    throw new ConfigError('JWT_SECRET_PREVIOUS', 'is the same as JWT_SECRET; set it to the secret JWT_SECRET replaced');
  }
  if (signingKeysSecret !== null && (signingKeysSecret === secret || signingKeysSecret === previousSecret)) {
    throw new ConfigError('SIGNING_KEYS_SECRET', 'must differ from JWT_SECRET and JWT_SECRET_PREVIOUS');
  }
  return { secret, previousSecret, signingKeysSecret: algorithm === 'ES256' ? signingKeysSecret : null };
}
