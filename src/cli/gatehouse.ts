#!/usr/bin/env node
// The `gatehouse` command: start | migrate | admin … | auth-map …
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GatehouseOptions, runGatehouse } from '../gatehouse';
import { buildSourceSchema, readSchemaFiles } from '../graphql/schema';
import { main as admin } from './admin';
import { main as authMap } from './auth-map';
import { main as keys } from './keys';
import { main as migrate } from './migrate';
import { main as token } from './token';

const USAGE = `Usage: gatehouse <command>

Commands:
  start [MODULE]    serve gatehouse's accounts and, with MODULE, your schema: a JavaScript module
                    (path) exporting typeDefs and resolvers (and optionally schemaFiles), named or
                    as its default export. Stops cleanly on SIGTERM / SIGINT.
  migrate           bring the database in DATABASE_URL up to date
  admin …           manage users and API keys (gatehouse admin --help)
  keys list|rotate|retire KID [--force]
                    the ES256 signing keys (gatehouse keys --help)
  auth-map …        who can reach each field (gatehouse auth-map --help); --schema PATH adds your SDL
  token explain JWT what gatehouse makes of a bearer token: issuer, kid, alg, expiry, audience and
                    the roles and scopes it maps to, or the exact reason it is refused
  schema [--schema PATH …]
                    print the whole SDL served (directives, gatehouse's account schema and the
                    .graphql files or folders named), e.g. for GraphQL Code Generator

Configuration comes from the environment and a .env file in the working directory (see the README).`;

/** The application options a module exports, by name or as its default export. */
async function loadApplication(path: string): Promise<GatehouseOptions> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`no module at ${file}`);
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidates = [
    loaded,
    loaded['default'] as Record<string, unknown> | undefined,
    (loaded['default'] as Record<string, unknown> | undefined)?.['default'],
  ];
  const app = candidates.find(
    (c): c is Record<string, unknown> => typeof c === 'object' && c !== null && ('typeDefs' in c || 'schemaFiles' in c),
  );
  if (app === undefined) throw new Error(`${path} exports neither typeDefs nor schemaFiles`);
  return app as GatehouseOptions;
}

/** `gatehouse schema`: the merged SDL with its directives, as codegen needs it. */
function printSchema(argv: readonly string[]): number {
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const path = argv[i + 1];
    if (argv[i] !== '--schema' || path === undefined) {
      console.error(`gatehouse schema: expected --schema <file or folder>, got ${argv.slice(i).join(' ')}`);
      return 2;
    }
    paths.push(path);
  }
  try {
    process.stdout.write(`${printSchemaWithDirectives(buildSourceSchema({ typeDefs: readSchemaFiles(paths) }))}\n`);
    return 0;
  } catch (error) {
    console.error(`gatehouse schema: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      if (rest.length > 1) break;
      let options: GatehouseOptions = {};
      if (rest[0] !== undefined) {
        try {
          options = await loadApplication(rest[0]);
        } catch (error) {
          console.error(`gatehouse start: ${error instanceof Error ? error.message : String(error)}`);
          return 1;
        }
      }
      const { typeDefs, resolvers, schemaFiles, loaders } = options;
      runGatehouse({
        ...(typeDefs ? { typeDefs } : {}),
        ...(resolvers ? { resolvers } : {}),
        ...(schemaFiles ? { schemaFiles } : {}),
        ...(loaders ? { loaders } : {}),
      });
      return undefined; // runs until signalled
    }
    case 'migrate':
      return migrate();
    case 'admin':
      return admin(rest);
    case 'keys':
      return keys(rest);
    case 'auth-map':
      return authMap(rest);
    case 'schema':
      return printSchema(rest);
    case 'token':
      return token(rest);
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return 0;
  }
  console.error(command === undefined ? USAGE : `gatehouse: unknown command ${argv.join(' ')}\n\n${USAGE}`);
  return 2;
}

void main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
