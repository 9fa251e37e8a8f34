// What `--schema` and `gatehouse start MODULE` read: an application's schema, given the way
// `gatehouse start` takes it (a JavaScript or TypeScript module exporting typeDefs and resolvers),
// or as `.graphql` files and folders. One reader, so every command accepts the same inputs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DocumentNode } from 'graphql';
import { appSchemaOf, type GatehouseOptions } from '../gatehouse';
import { readSchemaFiles } from '../graphql/schema';

/** A path `--schema` treats as a module rather than SDL. */
const MODULE = /\.(c|m)?(j|t)s$/;

/** The application options a module exports, by name or as its default export. */
export async function loadApplication(path: string): Promise<GatehouseOptions> {
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

/**
 * The SDL of every `--schema` path, in order: a `.graphql` file, a folder of them, or a module
 * (`.js`, `.cjs`, `.mjs`, `.ts` …) exporting `typeDefs` (and `schemaFiles`) as `gatehouse start` takes it.
 */
export async function readSchemaInputs(paths: readonly string[]): Promise<(string | DocumentNode)[]> {
  const typeDefs: (string | DocumentNode)[] = [];
  for (const path of paths) {
    if (MODULE.test(path)) {
      const { typeDefs: moduleTypeDefs, schemaFiles } = await loadApplication(path);
      typeDefs.push(
        ...appSchemaOf({ ...(moduleTypeDefs ? { typeDefs: moduleTypeDefs } : {}), ...(schemaFiles ? { schemaFiles } : {}) }).typeDefs,
      );
    } else {
      typeDefs.push(...readSchemaFiles(path));
    }
  }
  return typeDefs;
}
