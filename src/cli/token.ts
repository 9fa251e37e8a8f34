// gatehouse token explain <jwt>: what gatehouse would make of a bearer token, and why.
import { createExternalTokens } from '../auth/external/tokens';
import { type AccessTokens, createAccessTokens } from '../auth/jwt';
import { createKeyRing } from '../auth/key-ring';
import { explainToken } from '../tools/token-explain';
import { type Config, ConfigError, loadConfig } from '../config';
import { openStore } from '../store/database';
import { listSigningKeys, signingKeysVersion } from '../store/signing-keys';
import { printable } from './printable';

const USAGE = `Usage: gatehouse token explain <jwt>

Prints the token's issuer, kid, algorithm, expiry and audience, and either the roles and scopes it
maps to or the exact reason gatehouse refuses it. Never prints the signature. Keys of an issuer in
OIDC_ISSUERS are fetched as the server fetches them. gatehouse's own tokens are verified with
JWT_SECRET and JWT_SECRET_PREVIOUS and, with JWT_ALGORITHM=ES256, with the signing keys in the
database of DATABASE_URL (read only; a retired key's tokens are refused, as the server refuses
them). Exit status: 0 accepted, 1 refused, 2 usage.`;

/**
 * Verifies gatehouse's own tokens as the server does, with `config`'s secrets and, with ES256, a
 * verify-only key ring over the database (it makes no key and needs no SIGNING_KEYS_SECRET).
 * Returns null when there is nothing to verify with (HS256 without JWT_SECRET); `close` ends it.
 */
async function ownTokens(config: Config): Promise<{ tokens: AccessTokens | null; close(): Promise<void> }> {
  const { jwt } = config;
  const timing = { accessTokenTtlSeconds: jwt.accessTokenTtlSeconds, clockToleranceSeconds: jwt.clockToleranceSeconds };
  const claims = {
    issuer: jwt.issuer,
    audience: jwt.audience,
    ttlSeconds: jwt.accessTokenTtlSeconds,
    clockToleranceSeconds: jwt.clockToleranceSeconds,
  };
  const base = { hsSecret: jwt.secret, hsPreviousSecret: jwt.previousSecret, signingKeysSecret: null, timing, now: () => new Date() };
  if (jwt.algorithm === 'HS256') {
    if (jwt.secret === null) return { tokens: null, close: async () => undefined };
    return {
      tokens: createAccessTokens({ keys: createKeyRing({ ...base, algorithm: 'HS256' }), ...claims }),
      close: async () => undefined,
    };
  }
  const store = openStore(config.database, { credentialCacheSize: 0 });
  const keys = createKeyRing({
    ...base,
    algorithm: 'ES256',
    verifyOnly: true,
    store: {
      list: () => listSigningKeys(store.db),
      version: () => signingKeysVersion(store.db),
      insertFirst: async () => false,
      onChange: () => undefined,
    },
  });
  const close = async () => {
    keys.close();
    await store.close();
  };
  try {
    await keys.ready();
  } catch (error) {
    await close();
    throw error;
  }
  return { tokens: createAccessTokens({ keys, ...claims }), close };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (args.length !== 2 || args[0] !== 'explain') {
    console.error(USAGE);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`token: ${printable(error instanceof ConfigError ? error.message : String(error))}`);
    return 2;
  }
  const warnings: string[] = [];
  const log = { info: () => {}, warn: (obj: object) => warnings.push(String((obj as { problem?: unknown }).problem ?? '')) };
  const external =
    config.externalIssuers.length === 0
      ? null
      : createExternalTokens(config.externalIssuers, { clockToleranceSeconds: config.jwt.clockToleranceSeconds, log });
  let own: Awaited<ReturnType<typeof ownTokens>>;
  try {
    own = await ownTokens(config);
  } catch (error) {
    console.error(`token: cannot read the signing keys: ${printable(error instanceof Error ? error.message : String(error))}`);
    return 2;
  }
  let explanation: Awaited<ReturnType<typeof explainToken>>;
  try {
    explanation = await explainToken(config, (args[1] as string).replace(/^Bearer\s+/i, '').trim(), external, own.tokens, new Date());
  } finally {
    await own.close();
  }
  // Every value a token supplies is escaped in the lines already (token-explain.ts `shown`, and a
  // refusal's detail in external/tokens.ts), so a crafted token cannot print a line of its own.
  for (const line of explanation.lines) console.log(line);
  for (const warning of warnings) console.log(`keys: ${printable(warning)}`);
  return explanation.accepted ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
