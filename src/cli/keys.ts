// `gatehouse keys list | rotate [--publish-first] | retire KID [--force]`: the ES256 signing keys on the database
// named by DATABASE_URL (src/services/signing-keys.ts). Prints one line per key; anything read from
// the database goes through printable().
import { createApp } from '../app';
import { devSecretsFor } from '../auth/dev-secret';
import { CLI_ORIGIN } from '../services/audit';
import { KeyOperationRefused, type KeyListing, listKeys, retireKey, rotateKey } from '../services/signing-keys';
import { migrateToLatest } from '../store/database';
import { printable } from './printable';
import { withStore } from './with-store';

export const USAGE = `Usage: gatehouse keys <command>

Commands:
  list               every signing key: kid, state (signing, next, verifying, retired), created,
                     when it signs from, and until when tokens it signed may be live
  rotate [--publish-first]
                     makes a new key that signs from now on, on every instance within seconds; older
                     keys keep verifying until retired, so nobody is signed out. A verifier that
                     fetched the JWKS before sees the new kid as unknown until it fetches again.
                     --publish-first: every instance publishes the new key in the JWKS within
                     seconds, and it signs only from JWKS_MAX_AGE + 6 s later, so verifiers that
                     cache the JWKS know it before its first token
  retire KID [--force]
                     KID's tokens are refused at once on every instance and it leaves the JWKS.
                     Refused for the key that signs (rotate first) and, without --force, while a
                     token it signed may still be live. A next key not signing yet retires at once

Needs JWT_ALGORITHM=ES256 (and SIGNING_KEYS_SECRET) for rotate and retire, and the servers'
JWKS_MAX_AGE for rotate --publish-first. Runs on the database in DATABASE_URL (and .env), as the server does.`;

function line({ key, state, liveUntil }: KeyListing): string {
  const live = liveUntil === undefined ? '' : `  tokens live until ${liveUntil.toISOString()}`;
  const retired = key.retiredAt === null ? '' : `  retired ${key.retiredAt.toISOString()}`;
  const from = `  signs from ${key.signsFrom.toISOString()}`;
  return `${printable(key.kid)}  ${state}  ${printable(key.algorithm)}  created ${key.createdAt.toISOString()}${from}${retired}${live}`;
}

const FLAGS: readonly string[] = ['--force', '--publish-first'];

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  // A kid is a base64url thumbprint, which may begin with '-': only the known flags are options,
  // everything else is a positional (node's parseArgs would take '-Ab…' for an unknown option).
  const values = { force: rest.includes('--force'), 'publish-first': rest.includes('--publish-first') };
  const positionals = rest.filter((arg) => !FLAGS.includes(arg));
  const wanted = command === 'retire' ? 1 : 0;
  if (
    !['list', 'rotate', 'retire'].includes(command) ||
    positionals.length !== wanted ||
    (values.force && command !== 'retire') ||
    (values['publish-first'] && command !== 'rotate')
  ) {
    console.error(`keys: unexpected ${printable(argv.join(' '))}\n\n${USAGE}`);
    return 2;
  }
  return withStore('keys', async (config, store) => {
    await migrateToLatest(store);
    const secrets = devSecretsFor(config);
    const app = createApp(config, store, secrets);
    try {
      switch (command) {
        case 'list': {
          const keys = await listKeys(app);
          console.log(keys.length === 0 ? 'no signing keys (HS256, or ES256 before its first start)' : keys.map(line).join('\n'));
          return 0;
        }
        case 'rotate': {
          const secret = config.jwt.signingKeysSecret ?? secrets.signingKeysSecret ?? '';
          const publishFirst = values['publish-first'] === true;
          const key = await rotateKey(app, CLI_ORIGIN, secret, publishFirst);
          console.log(
            publishFirst
              ? `rotated: ${printable(key.kid)} is published now and signs from ${key.signsFrom.toISOString()}; older keys verify until retired`
              : `rotated: ${printable(key.kid)} signs from now on (every instance within seconds); older keys verify until retired`,
          );
          return 0;
        }
        default: {
          const key = await retireKey(app, CLI_ORIGIN, positionals[0] as string, values.force === true);
          console.log(`retired ${printable(key.kid)}: its tokens are refused from now on`);
          return 0;
        }
      }
    } catch (error) {
      if (error instanceof KeyOperationRefused) {
        console.error(`keys: ${printable(error.message)}`);
        return 1;
      }
      throw error;
    } finally {
      app.accessTokens.close();
    }
  });
}
