import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSchema } from 'graphql';
import {
  devVars,
  gatehouseStart,
  gql as processGql,
  registerProcessCleanup,
  startServer,
  stopWithSigterm,
  tempDir,
} from '../helpers/process';

/* The `gatehouse` bin (src/cli/gatehouse.ts), run from source. `start` is tested on the packed
 * package by .ci/package-smoke; migrate, admin and auth-map have tests of their own. */

const run = promisify(execFile);

async function gatehouse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join('node_modules', '.bin', 'tsx'), [join('src', 'cli', 'gatehouse.ts'), ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

it('prints usage for help, and exit code 2 with usage for an unknown command', async () => {
  const help = await gatehouse('help');
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/start \[MODULE\][\s\S]*migrate[\s\S]*admin[\s\S]*auth-map[\s\S]*schema/);
  const unknown = await gatehouse('serve');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('unknown command serve');
});

it('schema prints the whole SDL served, directives included, for codegen', async () => {
  const { code, stdout } = await gatehouse('schema', '--schema', join('examples', 'notes', 'schema.graphql'));
  expect(code).toBe(0);
  const schema = buildSchema(stdout);
  expect(schema.getDirective('hasRole')).toBeDefined();
  expect(Object.keys(schema.getMutationType()?.getFields() ?? {})).toEqual(expect.arrayContaining(['signUp', 'createNote']));
});

it('start refuses a module that exports no schema, in one line', async () => {
  const { code, stderr } = await gatehouse('start', join('test', 'helpers', 'databases.ts'));
  expect(code).toBe(1);
  expect(stderr).toMatch(/^gatehouse start: .*exports neither typeDefs nor schemaFiles\n$/);
});

it('echoes an unknown command escaped: no terminal control from the arguments reaches the terminal', async () => {
  const unknown = await gatehouse('\u001b[2K\rserve\nok');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('unknown command \\x1b[2K\\rserve\\nok');
  expect(unknown.stderr).not.toMatch(/\u001b/);
}, 30_000);

it.each([
  ['start'],
  ['migrate'],
  ['admin'],
  ['admin', 'create-user'],
  ['keys'],
  ['keys', 'rotate'],
  ['auth-map'],
  ['schema'],
  ['explain'],
  ['token'],
  ['token', 'explain'],
])('%s … --help prints its usage and exits 0, doing nothing else', async (...command) => {
  const { code, stdout, stderr } = await gatehouse(...command, '--help');
  expect(code).toBe(0);
  expect(stdout).toMatch(new RegExp(`^Usage: gatehouse ${command[0]}`));
  expect(stderr).toBe('');
});

it('schema reads --schema from a compiled module exporting typeDefs, as start does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-module-'));
  writeFileSync(join(dir, 'schema.js'), 'exports.typeDefs = "extend type Query { hello: String @public }";\n');
  const { code, stdout, stderr } = await gatehouse('schema', '--schema', join(dir, 'schema.js'));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(Object.keys(buildSchema(stdout).getQueryType()?.getFields() ?? {})).toContain('hello');
});

describe('start --subgraph', () => {
  registerProcessCleanup();

  it('serves the module as an Apollo Federation subgraph: _service { sdl } with User and the module’s entity', async () => {
    const running = await startServer(devVars(tempDir()), gatehouseStart(join('test', 'helpers', 'subgraph-app.ts'), '--subgraph'));
    const response = await processGql(running.url, '{ _service { sdl } }');
    const sdl = String(response.body.data?.['_service']?.sdl);
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Document\s+@key\(fields: "id"\)/);
    expect((await stopWithSigterm(running)).code).toBe(0);
  }, 60_000);
});
