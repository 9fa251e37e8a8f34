// The layer check (`npm run lint` runs it after Biome): every import in src/ goes from a layer to
// the same layer or a lower one, every source file belongs to a layer, no source file is over 400
// lines (generated ones aside), and only the edge tells a database outage apart. Biome enforces what
// it can on its own (biome.json: noImportCycles, noExcessiveLinesPerFunction at 120 lines,
// noExcessiveLinesPerFile at 400, noRestrictedImports for enforcement/, auth/ and store/); this
// script holds the whole order, which Biome cannot express.
//
// The order, lowest first, as the code has it (type-only imports count: they are dependencies too):
//  1. base            src/errors.ts (domain errors), src/client-address.ts, src/manual-clock.ts,
//                     src/text-rules.ts (which text may be stored or printed)
//  2. credentials     src/auth/ — tokens, keys, passwords, roles, the Viewer, issuer configuration:
//                     pure rules that read no store (authentication itself is layer 5)
//  3. config          src/config.ts (parses issuers with auth/external/config.ts), config-values.ts,
//                     src/context.ts
//  4. store           src/store/ (reads auth/session-ends.ts to parse a column it stores)
//  5. authentication  src/auth/authenticate.ts: a credential and the store's rows become a Viewer
//                     (its writes are done by src/services/authentication.ts)
//  6. enforcement     src/enforcement/: plain graphql-js; decides what a viewer may read; src/cedar/:
//                     Cedar policy sets as its policies
//  7. events          src/events/: the event log's follower, its per-dialect wakers, publishing
//  8. telemetry       src/telemetry/: metrics (a prom-client registry per instance), spans through
//                     @opentelemetry/api, the denial log; reads enforcement's Denial, nothing above
//  9. app             src/app.ts: the App every service is given (config, store, primitives)
// 10. services        src/services/
// 11. graphql         src/graphql/ (schema, resolvers, errors at the edge, Apollo and its plugins)
// 12. edge            src/http/, src/subscriptions/ (the WebSocket transport): the two ways in;
//                     each imports the other's route plumbing, so they share a layer
// 13. composition     src/gatehouse.ts, src/main.ts, src/index.ts, src/testing.ts, src/testkit*.ts, src/cedar.ts,
//                     src/cli/, src/tools/
// So enforcement, auth and the store never import graphql/, http/, subscriptions/ or app.ts.
// A new file or folder must be placed here first: an unplaced file fails the check.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** The repository to check: this one, or the folder given as the first argument (the test's). */
const ROOT = process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..');
const SRC = join(ROOT, 'src');
const MAX_FILE_LINES = 400;
/** Written by tools, never by hand (npm run codegen). */
const GENERATED = ['src/graphql/generated/'];

/** Layers, lowest first; a file belongs to the layer of its longest matching prefix. */
const LAYERS = [
  ['base', ['src/errors.ts', 'src/client-address.ts', 'src/manual-clock.ts', 'src/text-rules.ts']],
  ['credentials', ['src/auth/']],
  ['config', ['src/config.ts', 'src/config-values.ts', 'src/context.ts']],
  ['store', ['src/store/']],
  ['authentication', ['src/auth/authenticate.ts']],
  // The auth map is tooling, but pure (it reads the schema's directives only): `Query.authMap` serves it.
  ['enforcement', ['src/enforcement/', 'src/cedar/', 'src/tools/auth-map.ts', 'src/tools/auth-map-arguments.ts']],
  ['events', ['src/events/']],
  ['telemetry', ['src/telemetry/']],
  ['app', ['src/app.ts']],
  ['services', ['src/services/']],
  ['graphql', ['src/graphql/']],
  ['edge', ['src/http/', 'src/subscriptions/']],
  [
    'composition',
    [
      'src/gatehouse.ts',
      'src/gatehouse-options.ts',
      'src/open-app.ts',
      'src/main.ts',
      'src/index.ts',
      'src/testing.ts',
      'src/testkit.ts',
      'src/testkit-shapes.ts',
      'src/cedar.ts',
      'src/apollo.ts',
      'src/apollo-open.ts',
      'src/apollo-types.ts',
      'src/cli/',
      'src/tools/',
    ],
  ],
];

/** Names only some layers may import: the store's outage test is for the edge (and the store). */
const EDGE_ONLY = { module: 'src/store/failures.ts', name: 'isUnreachable', from: ['store', 'graphql', 'edge', 'composition'] };

/** The layer of `file` (relative to the repository, forward slashes), or undefined. */
export function layerOf(file) {
  let best;
  for (const [index, [name, prefixes]] of LAYERS.entries()) {
    for (const prefix of prefixes) {
      if ((prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix) && (best === undefined || prefix.length > best.prefix.length))
        best = { name, rank: index, prefix };
    }
  }
  return best;
}

/** Relative imports of a TypeScript source: `from '…'`, `import('…')`, `export … from '…'`; with the names they bring. */
export function importsOf(source) {
  const found = [];
  const pattern =
    /(?:import|export)\s+(type\s+)?(\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)?\s*(?:from\s+)?'(\.[^']*)'|import\(\s*'(\.[^']*)'\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[3] ?? match[4];
    const line = source.slice(0, match.index).split('\n').length;
    const names = (match[2] ?? '')
      .replace(/[{}]/g, '')
      .split(',')
      .map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0],
      )
      .filter(Boolean);
    found.push({ specifier, line, names });
  }
  return found;
}

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** `./x` from `src/a/b.ts` → `src/a/x.ts` (or `src/a/x/index.ts`). */
function resolveImport(fromFile, specifier, known) {
  const base = normalize(join(dirname(fromFile), specifier)).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) if (known.has(candidate)) return candidate;
  return `${base}.ts`;
}

/** Every problem in the files (repository-relative path → text), as `file:line message` strings. */
export function checkLayers(files) {
  const problems = [];
  const known = new Set(files.keys());
  for (const [file, text] of files) {
    const generated = GENERATED.some((prefix) => file.startsWith(prefix));
    if (generated) continue;
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE_LINES) problems.push(`${file}:1 has ${lines} lines; the limit is ${MAX_FILE_LINES}: split it by job.`);
    const own = layerOf(file);
    if (own === undefined) {
      problems.push(`${file}:1 belongs to no layer: place it in LAYERS (scripts/check-layers.mjs).`);
      continue;
    }
    for (const { specifier, line, names } of importsOf(text)) {
      const target = resolveImport(file, specifier, known);
      const theirs = layerOf(target);
      if (theirs === undefined) continue; // Outside src/ (package.json, say), or reported as unplaced.
      if (theirs.rank > own.rank) problems.push(`${file}:${line} (${own.name}) imports ${target} (${theirs.name}), a higher layer.`);
      if (target === EDGE_ONLY.module && names.includes(EDGE_ONLY.name) && !EDGE_ONLY.from.includes(own.name))
        problems.push(
          `${file}:${line} (${own.name}) imports ${EDGE_ONLY.name}: only the edge tells an outage apart; let the error pass up.`,
        );
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = new Map(sourceFiles(SRC).map((path) => [relative(ROOT, path).split('\\').join('/'), readFileSync(path, 'utf8')]));
  const problems = checkLayers(files);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`check-layers: ${problems.length} problem(s) in ${files.size} files.`);
    process.exit(1);
  }
  console.log(`check-layers: ${files.size} files, every import goes down or across, none over ${MAX_FILE_LINES} lines.`);
}
