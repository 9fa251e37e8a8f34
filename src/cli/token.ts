// gatehouse token explain <jwt>: what gatehouse would make of a bearer token, and why.
import { createExternalTokens } from '../auth/external/tokens';
import { explainToken } from '../tools/token-explain';
import { type Config, ConfigError, loadConfig } from '../config';
import { printable } from './printable';

const USAGE = `Usage: gatehouse token explain <jwt>

Prints the token's issuer, kid, algorithm, expiry and audience, and either the roles and scopes it
maps to or the exact reason gatehouse refuses it. Never prints the signature. Keys of an issuer in
OIDC_ISSUERS are fetched as the server fetches them. Exit status: 0 accepted, 1 refused, 2 usage.`;

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
  const explanation = await explainToken(
    config,
    (args[1] as string).replace(/^Bearer\s+/i, '').trim(),
    external,
    config.jwt.secret,
    new Date(),
  );
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
