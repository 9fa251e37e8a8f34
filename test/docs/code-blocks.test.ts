/*
 * Every fenced code block of README.md and docs/ runs here, so the examples cannot drift from the
 * code. What each kind of block must do is written for authors in docs/README.md, "The code blocks
 * here run"; this file is the other half of that table. docs/contract.md is a dated copy of an
 * external document, kept word for word: its blocks are only parsed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type DefinitionNode,
  type FieldDefinitionNode,
  isObjectType,
  Kind,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  parse,
  print,
} from 'graphql';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config';
import { buildSchema } from '../../src/graphql/schema';
import { buildDemoSourceSchema } from '../helpers/demo';
import { type HttpHarness, randomSecret, startHttpServer, withoutRequestIds } from '../helpers/http';
import { asRunnableModule, type CodeBlock, codeBlocksOf, pointedAt, typeScriptSyntaxErrors } from './blocks';

const ROOT = join(__dirname, '..', '..');
/** Where blocks are written to be compiled and run: inside the repository (so `gatehouse` and the packages resolve), outside every tsconfig's `include`; gitignored. */
const BLOCKS_DIR = join(ROOT, '.docs-blocks');
const PARSED_ONLY = new Set(['docs/contract.md']);
const run = promisify(execFile);

function documentedFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

function blockFileName(block: CodeBlock): string {
  return join(BLOCKS_DIR, `${block.file.replace(/[/.]/g, '-')}-${block.line}.ts`);
}

function label(block: CodeBlock): string {
  const info = [block.lang, ...block.attributes].join(' ');
  return `${block.file}:${block.line} ${info}${block.noRun === undefined ? '' : ' (no-run, syntax only)'}`;
}

// ---------- checks that need no server ----------

function syntaxCheck(block: CodeBlock): Promise<void> | void {
  switch (block.lang) {
    case 'ts':
      expect(typeScriptSyntaxErrors(block.code)).toEqual([]);
      return;
    case 'sh':
      return run('bash', ['-n', '-c', block.code]).then(() => undefined);
    case 'json':
      JSON.parse(block.code);
      return;
    case 'graphql':
      parse(block.code);
      return;
    case 'yaml':
      parseYaml(block.code);
      return;
    case 'env':
      envLines(block.code);
      return;
    default:
      throw new Error(`${label(block)}: no syntax check for language "${block.lang}"`);
  }
}

function envLines(code: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of code.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match === null) throw new Error(`not a NAME=value line: ${line}`);
    env[match[1] as string] = match[2] as string;
  }
  return env;
}

function checkEnv(block: CodeBlock): void {
  const given = block.attributes[0] === 'given:' ? block.attributes.slice(1) : [];
  const env = envLines(block.code);
  for (const name of given) env[name] = name.includes('SECRET') ? randomSecret() : 'given';
  expect(() => parseConfig(env)).not.toThrow();
}

function checkJson(block: CodeBlock): void {
  const value: unknown = JSON.parse(block.code);
  if (block.attributes.includes('oidc-issuer')) {
    expect(() => parseConfig({ OIDC_ISSUERS: JSON.stringify([value]) })).not.toThrow();
  }
}

function objectFieldsOf(definitions: readonly DefinitionNode[]): Array<[string, FieldDefinitionNode]> {
  return definitions
    .filter(
      (d): d is ObjectTypeDefinitionNode | ObjectTypeExtensionNode =>
        d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION,
    )
    .flatMap((d) => (d.fields ?? []).map((field): [string, FieldDefinitionNode] => [d.name.value, field]));
}

/** A field's SDL without its description, so an excerpt may leave descriptions out. */
function fieldSdl(field: FieldDefinitionNode): string {
  return print({ ...field, description: undefined });
}

function checkGraphql(block: CodeBlock): void {
  const document = parse(block.code);
  if (!block.attributes.includes('excerpt')) {
    // An application's SDL, as createGatehouse builds it (strict mode on).
    expect(() => buildSchema({ typeDefs: [block.code] })).not.toThrow();
    return;
  }
  const served = buildDemoSourceSchema();
  const fields = objectFieldsOf(document.definitions);
  expect(fields.length).toBeGreaterThan(0);
  for (const [typeName, field] of fields) {
    const type = served.getType(typeName);
    if (!isObjectType(type)) throw new Error(`${label(block)}: the served schema has no object type ${typeName}`);
    const servedField = type.getFields()[field.name.value];
    if (servedField?.astNode == null) throw new Error(`${label(block)}: the served schema has no field ${typeName}.${field.name.value}`);
    expect(`${typeName}.${fieldSdl(field)}`).toBe(`${typeName}.${fieldSdl(servedField.astNode)}`);
  }
}

function checkLayout(block: CodeBlock): void {
  const paths = block.code
    .split('\n')
    .filter((line) => /^\S/.test(line))
    .map((line) => line.split(/\s+/)[0] as string);
  expect(paths.length).toBeGreaterThan(0);
  expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
}

// ---------- TypeScript: one type-check for every block ----------

/**
 * Starts `tsc` on every TypeScript block (with the repository's compiler options, so `gatehouse`
 * resolves to src/) in a child process, to run beside the other checks; resolves to the errors
 * found in the blocks. A block may declare what it does not use (a resolver map shown for its shape).
 */
function startTypeCheck(): Promise<string[]> {
  writeFileSync(
    join(BLOCKS_DIR, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
      include: ['*.ts'],
      exclude: ['*.run.ts'],
    }),
  );
  return run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(BLOCKS_DIR, 'tsconfig.json'), '--pretty', 'false'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    () => [],
    (error: { stdout?: string }) => {
      const lines = (error.stdout ?? String(error)).split('\n');
      const inBlocks = lines.filter((line) => line.startsWith('.docs-blocks/'));
      return inBlocks.length > 0 ? inBlocks : lines.filter((line) => line.trim() !== '');
    },
  );
}

// ---------- servers the blocks talk to ----------

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForHealth(base: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    const healthy = await fetch(`${base}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not answer /healthz within 30 s:\n${output()}`);
}

/** A `ts server` block running in a child process, as `npx tsx server.ts` would run it. */
interface BlockServer {
  readonly hostAndPort: string;
  stop(): Promise<number | null>;
}

async function startBlockServer(file: string): Promise<BlockServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-'));
  const port = await freePort();
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [file], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `file:${join(dataDir, 'gatehouse.db')}`,
      DATA_DIR: dataDir,
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    hostAndPort: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000))),
      ]);
      clearTimeout(timer);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      return code === 'timeout' ? -1 : code;
    },
  };
}

/** The demo (`npm start`'s notes example) in this process, with a user whose token blocks get as TOKEN. */
interface DemoServer {
  readonly harness: HttpHarness;
  readonly token: string;
  readonly dataDir: string;
}

async function startDemo(): Promise<DemoServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-'));
  const harness = await startHttpServer({ env: { DATABASE_URL: `file:${join(dataDir, 'gatehouse.db')}` } });
  const signedUp = await harness.gql('mutation { signUp(email: "docs@example.com", password: "correct horse battery") { accessToken } }');
  const token = signedUp.body.data?.['signUp']?.accessToken as string;
  return { harness, token, dataDir };
}

/** While `work` runs, the demo gets a PUBLIC note every 100 ms (a subscription example waits for one). */
async function withNotesArriving<T>(demo: DemoServer, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    void demo.harness.gql('mutation { createNote(title: "from the docs test", body: "…", visibility: PUBLIC) { id } }', {
      headers: { authorization: `Bearer ${demo.token}` },
    });
  }, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

// ---------- the blocks ----------

rmSync(BLOCKS_DIR, { recursive: true, force: true });
mkdirSync(BLOCKS_DIR, { recursive: true });
const files = documentedFiles();
const allBlocks = files.flatMap((file) => codeBlocksOf(file, readFileSync(join(ROOT, file), 'utf8')));
const typeScriptBlocks = allBlocks.filter((b) => b.lang === 'ts' && b.noRun === undefined && !PARSED_ONLY.has(b.file));
for (const block of typeScriptBlocks) {
  const runnable = block.attributes.length === 0;
  try {
    writeFileSync(blockFileName(block), runnable ? asRunnableModule(block.code) : block.code);
  } catch (error) {
    throw new Error(`${label(block)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const typeCheck = startTypeCheck();

it('finds the blocks of the README and the guides', () => {
  expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/getting-started.md', 'docs/protecting-fields.md']));
  expect(allBlocks.length).toBeGreaterThan(20);
});

describe.each(files)('%s', (file) => {
  const blocks = allBlocks.filter((b) => b.file === file);
  let demo: DemoServer | undefined;
  let blockServer: BlockServer | undefined;
  let lastOutput: string | undefined;

  async function demoServer(): Promise<DemoServer> {
    demo ??= await startDemo();
    return demo;
  }

  async function stopBlockServer(): Promise<void> {
    if (blockServer === undefined) return;
    const server = blockServer;
    blockServer = undefined;
    expect(await server.stop()).toBe(0);
  }

  afterAll(async () => {
    await stopBlockServer();
    if (demo !== undefined) {
      await demo.harness.close();
      rmSync(demo.dataDir, { recursive: true, force: true });
    }
  });

  if (blocks.length === 0) it.skip('has no code blocks', () => undefined);

  for (const block of blocks) {
    if (PARSED_ONLY.has(file) || block.noRun !== undefined) {
      it(label(block), async () => {
        if (block.noRun !== undefined) expect(block.noRun.length).toBeGreaterThan(10); // a reason, not a shrug
        await syntaxCheck(block);
      });
      continue;
    }
    const kind = [block.lang, ...block.attributes].join(' ');
    if (kind === 'ts test') {
      describe(label(block), () => {
        require(blockFileName(block));
      });
      continue;
    }
    it(label(block), async () => {
      switch (block.lang) {
        case 'ts': {
          if (kind === 'ts server') {
            await stopBlockServer();
            blockServer = await startBlockServer(blockFileName(block));
            return;
          }
          if (kind !== 'ts') throw new Error(`unknown kind of ts block: ${kind}`);
          const source = block.code.includes('localhost:4000') ? await demoServer() : undefined;
          let path = blockFileName(block);
          if (source !== undefined) {
            path = path.replace(/\.ts$/, '.run.ts');
            writeFileSync(path, pointedAt(readFileSync(blockFileName(block), 'utf8'), new URL(source.harness.url).host));
            process.env['TOKEN'] = source.token;
          }
          // A block's relative paths (a development secret under ./data) land in a directory of its own.
          const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-'));
          const cwd = process.cwd();
          process.chdir(workDir);
          try {
            const module = require(path) as { default: () => Promise<void> };
            await (source === undefined ? module.default() : withNotesArriving(source, module.default));
          } finally {
            process.chdir(cwd);
            delete process.env['TOKEN'];
            rmSync(workDir, { recursive: true, force: true });
          }
          return;
        }
        case 'sh': {
          if (kind !== 'sh') throw new Error(`unknown kind of sh block: ${kind}`);
          const hostAndPort = blockServer?.hostAndPort ?? new URL((await demoServer()).harness.url).host;
          const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', pointedAt(block.code, hostAndPort)], { timeout: 30_000 });
          lastOutput = stdout;
          return;
        }
        case 'json':
          if (block.attributes.includes('output')) {
            if (lastOutput === undefined) throw new Error(`${label(block)}: an output block needs an sh block before it`);
            // Request ids are fresh UUIDs per request: both sides compare with a placeholder for them, nothing else.
            expect(withoutRequestIds(lastOutput)).toContain(withoutRequestIds(JSON.stringify(JSON.parse(block.code))));
            return;
          }
          checkJson(block);
          return;
        case 'env':
          checkEnv(block);
          return;
        case 'graphql':
          checkGraphql(block);
          return;
        case 'yaml':
          parseYaml(block.code);
          return;
        case 'text':
          if (kind !== 'text layout') throw new Error(`unknown kind of text block: ${kind}`);
          checkLayout(block);
          return;
        default:
          throw new Error(`${label(block)}: no convention for language "${block.lang}" (docs/README.md lists them)`);
      }
    }, 60_000);
  }
});

// Last, so that the compiler ran beside everything above.
it('type-checks every TypeScript block against the source', async () => {
  expect(await typeCheck).toEqual([]);
}, 120_000);
