#!/usr/bin/env node
// The `gatehouse` command: start | migrate | admin … | auth-map …
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GatehouseOptions, runGatehouse } from '../gatehouse';
import { buildSourceSchema } from '../graphql/schema';
import { main as admin } from './admin';
import { loadApplication, readSchemaInputs } from './application-module';
import { main as authMap } from './auth-map';
import { main as explain } from './explain';
import { main as keys } from './keys';
import { main as migrate } from './migrate';
import { main as token } from './token';
import { printable } from './printable';

const USAGE = `Usage: gatehouse <command>

Commands:
  start [MODULE]    serve gatehouse's accounts and, with MODULE, your schema: a JavaScript module
                    (path) exporting typeDefs and resolvers (and optionally schemaFiles), named or
                    as its default export; its migrations, if it exports them, run after
                    gatehouse's. Stops cleanly on SIGTERM / SIGINT.
  migrate [MODULE]  bring the database in DATABASE_URL up to date: gatehouse's tables, then, with
                    MODULE (the one you start), the migrations it exports
  admin …           manage users and API keys (gatehouse admin --help)
  keys list|rotate|retire KID [--force]
                    the ES256 signing keys (gatehouse keys --help)
  auth-map …        who can reach each field (gatehouse auth-map --help); --schema PATH adds your SDL
  explain --as ROLE[,ROLE] 'QUERY'
                    what gatehouse decides for that caller on each field of the document (allow,
                    deny with the rule, depends), without running it (gatehouse explain --help)
  token explain JWT what gatehouse makes of a bearer token: issuer, kid, alg, expiry, audience and
                    the roles and scopes it maps to, or the exact reason it is refused
  schema [--schema PATH …]
                    print the whole SDL served (directives, gatehouse's account schema and the
                    .graphql files, folders or modules named), e.g. for GraphQL Code Generator

Every command takes --help. Configuration comes from the environment and a .env file in the
working directory (see docs/operations.md).`;

/** Usage of the commands this file runs itself (admin, auth-map and token print their own). */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  start: `Usage: gatehouse start [--subgraph] [MODULE]

Serves gatehouse's accounts and, with MODULE, your schema: a JavaScript (or, under tsx, TypeScript)
module exporting typeDefs and resolvers (and optionally schemaFiles, loaders, policies and subgraph),
named or as its default export. --subgraph serves an Apollo Federation 2 subgraph (docs/federation.md).
Configuration from the environment and .env. Stops cleanly on SIGTERM / SIGINT.`,
  migrate: `Usage: gatehouse migrate [MODULE]

Brings the database in DATABASE_URL (and .env) up to date: gatehouse's tables and, with MODULE (the
module gatehouse start serves), the application's own migrations it exports as \`migrations\`.
The server also does this at start.`,
  schema: `Usage: gatehouse schema [--schema PATH …]

Prints the whole SDL served, directives included (e.g. for GraphQL Code Generator): gatehouse's
account schema plus each PATH, a .graphql file, a folder of them, or a module exporting typeDefs
(as gatehouse start takes it).`,
};

/** `gatehouse schema`: the merged SDL with its directives, as codegen needs it. */
async function printSchema(argv: readonly string[]): Promise<number> {
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const path = argv[i + 1];
    if (argv[i] !== '--schema' || path === undefined) {
      console.error(`gatehouse schema: expected --schema <file, folder or module>, got ${printable(argv.slice(i).join(' '))}`);
      return 2;
    }
    paths.push(path);
  }
  try {
    process.stdout.write(`${printSchemaWithDirectives(buildSourceSchema({ typeDefs: await readSchemaInputs(paths) }))}\n`);
    return 0;
  } catch (error) {
    console.error(`gatehouse schema: ${printable(error instanceof Error ? error.message : String(error))}`);
    return 1;
  }
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  const usage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(usage);
    return 0;
  }
  switch (command) {
    case 'start': {
      const subgraph = rest[0] === '--subgraph';
      const modulePath = subgraph ? rest[1] : rest[0];
      if (rest.length > (subgraph ? 2 : 1) || modulePath?.startsWith('-')) break;
      let options: GatehouseOptions = {};
      if (modulePath !== undefined) {
        try {
          options = await loadApplication(modulePath, 'schema');
        } catch (error) {
          console.error(`gatehouse start: ${printable(error instanceof Error ? error.message : String(error))}`);
          return 1;
        }
      }
      const { typeDefs, resolvers, schemaFiles, loaders, policies, migrations } = options;
      runGatehouse({
        ...(typeDefs ? { typeDefs } : {}),
        ...(resolvers ? { resolvers } : {}),
        ...(schemaFiles ? { schemaFiles } : {}),
        ...(loaders ? { loaders } : {}),
        ...(policies ? { policies } : {}),
        ...(migrations ? { migrations } : {}),
        ...(subgraph ? { subgraph: options.subgraph || true } : options.subgraph ? { subgraph: options.subgraph } : {}),
      });
      return undefined; // runs until signalled
    }
    case 'migrate':
      return rest.length > 1 ? usageError(argv) : migrate(rest[0]);
    case 'admin':
      return admin(rest);
    case 'keys':
      return keys(rest);
    case 'auth-map':
      return authMap(rest);
    case 'schema':
      return printSchema(rest);
    case 'explain':
      return explain(rest);
    case 'token':
      return token(rest);
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return 0;
  }
  return usageError(argv);
}

function usageError(argv: readonly string[]): number {
  console.error(argv[0] === undefined ? USAGE : `gatehouse: unknown command ${printable(argv.join(' '))}\n\n${USAGE}`);
  return 2;
}

void main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
