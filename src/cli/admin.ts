// npm run admin -- <command> [options]: manage users and keys on the database named by DATABASE_URL.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type App, createApp } from '../app';
import { devSecretsFor } from '../auth/dev-secret';
import { knownScopes } from '../enforcement/scopes';
import { NotFound } from '../errors';
import { buildSourceSchema } from '../graphql/schema';
import type { RoleCatalog } from '../auth/role-catalog';
import { defaultRoleCatalog, TOP_ROLE } from '../auth/roles';
import { declaredRoles } from '../enforcement/declared-roles';
import type { Viewer } from '../auth/viewer';
import { createUser } from '../services/accounts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../services/api-keys';
import { CLI_ORIGIN } from '../services/audit';
import { endUserSessions } from '../services/sessions';
import { grantRole, listUsers, revokeRole, setDisabled, setUserRole } from '../services/users';
import { migrateToLatest } from '../store/database';
import { findLoginByEmail, type UserRecord } from '../store/users';
import { readSchemaInputs } from './application-module';
import { printable } from './printable';
import { withStore } from './with-store';

export const USAGE = `Usage: gatehouse admin <command> [options]   (in this repository: npm run admin -- <command>)

Commands:
  create-user --email E [--name N] [--role R] (--password-stdin | --password P)
  set-role    --email E --role R       the user holds exactly R afterwards
  grant-role  --email E --role R       the user holds R as well (seen on its next request)
  revoke-role --email E --role R       the user no longer holds R (it keeps at least one role)
  disable     --email E          tokens and keys of the user stop working at once
  enable      --email E
  end-sessions --email E         signs the user out everywhere (API keys keep working)
  issue-key   --email E --name N [--scopes a,b [--schema PATH]…] [--expires-in-days D]
                                 prints the key once. Without --scopes it holds every scope;
                                 with it, exactly those, each named by a @requiresScopes of the
                                 schema (gatehouse's own and the --schema files or folders)
  rotate-key  --id KEY_ID [--grace-seconds S]   a new secret for the key, printed once; the old
                                 one keeps working S seconds (default 86400, at most 2592000)
  revoke-key  --id KEY_ID
  list-keys   --email E
  list-users  [--first N]

A role R is a value of your application's enum Role: give --schema PATH (the module \`gatehouse start\`
runs, or its .graphql files) so that the command knows your roles; without it they are USER and ADMIN.
Runs on the database in DATABASE_URL (and .env), as the server does. --password puts the password
in your shell history and the process list: prefer --password-stdin (reads one line).
Nobody can demote or disable the last active ADMIN.`;

/** A mistake in how the command was called: usage text, exit 2. */
class UsageError extends Error {}

function role(app: App, value: string | undefined): string {
  if (value === undefined || !app.roles.roles.includes(value))
    throw new UsageError(`--role must be one of ${app.roles.roles.join(', ')} (enum Role; --schema PATH reads your application's)`);
  return value;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

async function userByEmail(app: App, email: string): Promise<UserRecord> {
  const found = await findLoginByEmail(app.store.db, email);
  if (found === undefined) throw new NotFound('User', `No user with email ${printable(email)}.`);
  return found.user;
}

/** The scopes named by `@requiresScopes` in gatehouse's schema and the SDL at `paths`. */
async function schemaScopes(paths: readonly string[]): Promise<readonly string[]> {
  return knownScopes(buildSourceSchema({ typeDefs: await readSchemaInputs(paths) }));
}

function describe(user: UserRecord): string {
  return `${user.id}  ${printable(user.email ?? '(no email)')}  ${user.roles.join(',')}${user.disabledAt ? `  disabled ${user.disabledAt.toISOString()}` : ''}`;
}

/** The roles the application declares, read from the `--schema` paths (gatehouse's default without any). */
export async function rolesOfSchema(paths: readonly string[]): Promise<RoleCatalog> {
  // Without --schema, gatehouse's own schema declares the default roles: no schema to build.
  if (paths.length === 0) return defaultRoleCatalog();
  return declaredRoles(buildSourceSchema({ typeDefs: await readSchemaInputs(paths) }));
}

/** The `--schema` values of `argv` (`--schema P` or `--schema=P`), before the command parses it. */
function schemaPaths(argv: readonly string[]): string[] {
  const paths: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--schema' && argv[i + 1] !== undefined) paths.push(argv[i + 1] as string);
    else if (arg.startsWith('--schema=')) paths.push(arg.slice('--schema='.length));
  });
  return paths;
}

/** Runs one command; returns the text to print. Errors: UsageError (exit 2), anything else (exit 1). */
export async function runCommand(app: App, argv: readonly string[], stdin: () => string): Promise<string> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'expires-in-days': { type: 'string' },
      id: { type: 'string' },
      first: { type: 'string' },
      scopes: { type: 'string' },
      schema: { type: 'string', multiple: true },
      'grace-seconds': { type: 'string' },
    },
  });
  switch (command) {
    case 'create-user': {
      const password = values['password-stdin']
        ? (stdin().split(/\r?\n/)[0] ?? '')
        : required(values.password, '--password or --password-stdin');
      const user = await createUser(
        app,
        {
          email: required(values.email, '--email'),
          password,
          name: values.name ?? null,
          ...(values.role === undefined ? {} : { roles: [role(app, values.role)] }),
        },
        CLI_ORIGIN,
      );
      return `created ${describe(user)}`;
    }
    case 'set-role':
    case 'grant-role':
    case 'revoke-role': {
      const named = role(app, values.role);
      const user = await userByEmail(app, required(values.email, '--email'));
      const change = { 'set-role': setUserRole, 'grant-role': grantRole, 'revoke-role': revokeRole }[command];
      return `updated ${describe(await change(app, user.id, named, CLI_ORIGIN))}`;
    }
    case 'disable':
    case 'enable': {
      const user = await userByEmail(app, required(values.email, '--email'));
      return `${command}d ${describe(await setDisabled(app, user.id, command === 'disable', CLI_ORIGIN))}`;
    }
    case 'end-sessions': {
      const user = await userByEmail(app, required(values.email, '--email'));
      await endUserSessions(app, user.id, CLI_ORIGIN);
      return `ended every session of ${describe(user)}`;
    }
    case 'issue-key': {
      const owner = await userByEmail(app, required(values.email, '--email'));
      const days = values['expires-in-days'];
      if (days !== undefined && !/^\d+$/.test(days)) throw new UsageError('--expires-in-days must be a whole number');
      const scopes = values.scopes === undefined ? null : values.scopes.split(',').map((scope) => scope.trim());
      if (scopes?.some((scope) => scope === '')) throw new UsageError('--scopes is a comma-separated list of scope names');
      const viewer: Viewer = { id: owner.id, roles: app.roles.expandAll(owner.roles), via: 'api-key' };
      const created = await createApiKey(
        app,
        viewer,
        { name: required(values.name, '--name'), expiresInDays: days === undefined ? null : Number(days), scopes },
        CLI_ORIGIN,
        scopes === null ? [] : await schemaScopes(values.schema ?? []),
      );
      const expires = created.apiKey.expiresAt ? ` (expires ${created.apiKey.expiresAt.toISOString()})` : '';
      const held = created.apiKey.scopes === null ? 'every scope' : `scopes ${printable(created.apiKey.scopes.join(',')) || '(none)'}`;
      return `key ${created.apiKey.id} for ${printable(owner.email ?? owner.id)}, ${held}${expires}. It is shown once; store it now:\n${created.secret}`;
    }
    case 'rotate-key': {
      const grace = values['grace-seconds'] ?? '86400';
      if (!/^\d+$/.test(grace)) throw new UsageError('--grace-seconds must be a whole number');
      const admin: Viewer = { id: 'cli', roles: [TOP_ROLE], via: 'jwt' };
      const rotated = await rotateApiKey(app, admin, required(values.id, '--id'), Number(grace), CLI_ORIGIN);
      const until = rotated.apiKey.previousSecretExpiresAt?.toISOString();
      return `rotated ${rotated.apiKey.id} (now ${printable(rotated.apiKey.prefix)}…); the old secret works until ${until}. The new one is shown once; store it now:\n${rotated.secret}`;
    }
    case 'revoke-key': {
      const admin: Viewer = { id: 'cli', roles: [TOP_ROLE], via: 'jwt' };
      const key = await revokeApiKey(app, admin, required(values.id, '--id'), CLI_ORIGIN);
      return `revoked ${key.id} (${printable(key.prefix)}…) at ${key.revokedAt?.toISOString()}`;
    }
    case 'list-keys': {
      const owner = await userByEmail(app, required(values.email, '--email'));
      const keys = await listApiKeys(app, owner.id);
      if (keys.length === 0) return `${printable(owner.email ?? owner.id)} has no API keys`;
      return keys
        .map(
          (k) =>
            `${k.id}  ${printable(k.prefix)}…  ${printable(k.name)}  created ${k.createdAt.toISOString()}${k.revokedAt ? `  revoked ${k.revokedAt.toISOString()}` : ''}`,
        )
        .join('\n');
    }
    case 'list-users': {
      const first = values.first === undefined ? 100 : Number(values.first);
      const page = await listUsers(app, { first });
      return [`${page.totalCount} user(s)`, ...page.edges.map((e) => describe(e.node))].join('\n');
    }
    case undefined:
    case 'help':
      return USAGE;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  return withStore('admin', async (config, store) => {
    try {
      await migrateToLatest(store);
      const app = createApp(config, store, { ...devSecretsFor(config), roles: await rolesOfSchema(schemaPaths(argv)) });
      console.log(await runCommand(app, argv, () => readFileSync(0, 'utf8')));
      return 0;
    } catch (error) {
      if (
        error instanceof UsageError ||
        (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
      ) {
        console.error(`admin: ${printable(error.message)}\n\n${USAGE}`);
        return 2;
      }
      console.error(`admin: ${printable(error instanceof Error ? error.message : String(error))}`);
      return 1;
    }
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
