// The application module the command line is given (`gatehouse start MODULE`, `gatehouse migrate
// MODULE`): a JavaScript module exporting what createGatehouse takes, by name or as its default export.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GatehouseOptions } from '../gatehouse';

/** What a command needs the module to export: a schema (`start`) or migrations (`migrate`). */
export type ApplicationNeed = 'schema' | 'migrations';

const provides: Record<ApplicationNeed, { readonly keys: readonly string[]; readonly missing: string }> = {
  schema: { keys: ['typeDefs', 'schemaFiles'], missing: 'exports neither typeDefs nor schemaFiles' },
  migrations: { keys: ['migrations'], missing: 'exports no migrations' },
};

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
