// What the command line reads of an application: the module `gatehouse start MODULE` and
// `gatehouse migrate MODULE` are given (a JavaScript or TypeScript module exporting what
// createGatehouse takes, by name or as its default export), and what `--schema` names (such a
// module, or `.graphql` files and folders). One reader, so every command accepts the same inputs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DocumentNode } from 'graphql';
import { appSchemaOf, type GatehouseOptions } from '../gatehouse';
import { readSchemaFiles } from '../graphql/schema';

/** What a command needs the module to export: a schema (`start`, `--schema`) or migrations (`migrate`). */
export type ApplicationNeed = 'schema' | 'migrations';

const provides: Record<ApplicationNeed, { readonly keys: readonly string[]; readonly missing: string }> = {
  schema: { keys: ['typeDefs', 'schemaFiles'], missing: 'exports neither typeDefs nor schemaFiles' },
  migrations: { keys: ['migrations'], missing: 'exports no migrations' },
};

/** A path `--schema` treats as a module rather than SDL. */
const MODULE = /\.(c|m)?(j|t)s$/;

/** Loads the module at `path`; throws an Error whose message is one line when it is not there or lacks what `need` asks. */
export async function loadApplication(path: string, need: ApplicationNeed): Promise<GatehouseOptions> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`no module at ${file}`);
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidates = [
    loaded,
    loaded['default'] as Record<string, unknown> | undefined,
    (loaded['default'] as Record<string, unknown> | undefined)?.['default'],
  ];
  const { keys, missing } = provides[need];
  const app = candidates.find((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && keys.some((key) => key in c));
  if (app === undefined) throw new Error(`${path} ${missing}`);
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
      const { typeDefs: moduleTypeDefs, schemaFiles } = await loadApplication(path, 'schema');
      typeDefs.push(
        ...appSchemaOf({ ...(moduleTypeDefs ? { typeDefs: moduleTypeDefs } : {}), ...(schemaFiles ? { schemaFiles } : {}) }).typeDefs,
      );
    } else {
      typeDefs.push(...readSchemaFiles(path));
    }
  }
  return typeDefs;
}
