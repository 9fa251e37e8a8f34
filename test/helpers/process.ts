import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GqlResponse, readResponse } from './http';

/**
 * Real gatehouse processes for tests: the demo `npm start` serves (`examples/notes/main.ts`) run by node with tsx's loader, configured only
 * through its environment, talked to over loopback HTTP, stopped with signals sent to that process.
 *
 * Not `node_modules/.bin/tsx src/main.ts`: the tsx CLI is a parent that runs the server in a second
 * node process, and when it gets SIGTERM it SIGKILLs that server (and exits 143) unless the server
 * acknowledges the relayed signal over IPC within 30 ms, which a busy machine (the full suite in
 * parallel) does not always manage. `node --import tsx` makes the child we signal the server itself.
 *
 * A test file that uses these calls `registerProcessCleanup()` once at its top level.
 */

export const ROOT = join(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 20_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
}

const children = new Set<ChildProcess>();
/** Children that lead a process group of their own (see spawnServer). */
const groups = new Set<ChildProcess>();
const tempDirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
  tempDirs.push(dir);
  return dir;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Only what the child needs: no NODE_ENV=test or other variables leaking in from jest's environment. */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
  if (process.env['HOME'] !== undefined) env['HOME'] = process.env['HOME'];
  return { ...env, ...vars };
}

/** What runs the server: by default the demo's source through tsx's loader. */
export type Command = readonly [string, ...string[]];
const DEMO_FROM_SOURCE: Command = [process.execPath, '--import', 'tsx', 'examples/notes/main.ts'];

/** `gatehouse start [...options] MODULE` from source, through tsx's loader: an application as the CLI serves it. */
export function gatehouseStart(module: string, ...options: string[]): Command {
  return [process.execPath, '--import', 'tsx', join('src', 'cli', 'gatehouse.ts'), 'start', ...options, module];
}

export function spawnServer(vars: Record<string, string>, command: Command = DEMO_FROM_SOURCE): Omit<Running, 'url'> {
  const [file, ...args] = command;
  // A command such as `npm start` runs the server as a grandchild: in its own process group, so the
  // cleanup below can end the server too when a test fails and leaves it running.
  const ownGroup = command !== DEMO_FROM_SOURCE;
  const child = spawn(file, args, { cwd: ROOT, env: childEnv(vars), stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
  if (ownGroup) groups.add(child);
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, exited, stdout: () => out, stderr: () => err };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the exit, or rejects when the process is still running after `ms`. */
export async function exitWithin(running: Pick<Running, 'exited' | 'stderr'>, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`process still running after ${ms} ms; stderr:\n${running.stderr()}`)), ms);
  });
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the server and waits until GET /healthz answers 200. */
export async function startServer(vars: Record<string, string>, command?: Command): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const running = spawnServer({ HOST: '127.0.0.1', PORT: String(port), ...vars }, command);
  let exit: Exit | undefined;
  void running.exited.then((e) => (exit = e));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new Error(
        `server exited during start-up (code ${exit.code}, signal ${exit.signal}); stderr:\n${running.stderr()}\nstdout:\n${running.stdout()}`,
      );
    }
    const healthy = await fetch(`${url}/healthz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (healthy) return { ...running, url };
    await delay(100);
  }
  throw new Error(`server did not answer /healthz within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${running.stderr()}`);
}

/** Sends SIGTERM to the child itself and waits (up to 15 s) for it to exit; also says how long that took. */
export async function stopWithSigterm(running: Running): Promise<Exit & { readonly ms: number }> {
  const sentAt = Date.now();
  expect(running.child.kill('SIGTERM')).toBe(true);
  const exit = await exitWithin(running, 15_000);
  return { ...exit, ms: Date.now() - sentAt };
}

/** A development-mode environment over an SQLite file in `dir` (a cheap password hash unless `extra` says otherwise). */
export function devVars(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: `file:${join(dir, 'g.db')}`,
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: '10',
    ...extra,
  };
}

/**
 * Starts `send` and waits (up to 10 s) until the server has logged that the request arrived (it
 * must run with LOG_LEVEL debug); fails the test if it never does. Returns the pending answer, and
 * where in stdout the server's logs for it begin.
 */
export async function sendAndWaitForArrival<T>(
  running: Running,
  send: () => Promise<T>,
): Promise<{ pending: Promise<T>; logsFrom: number }> {
  const logsFrom = running.stdout().length;
  const pending = send();
  const arrivedBy = Date.now() + 10_000;
  const arrived = () => running.stdout().slice(logsFrom).includes('"msg":"request received"');
  while (!arrived() && Date.now() < arrivedBy) await delay(5);
  expect(arrived()).toBe(true);
  return { pending, logsFrom };
}

/** POSTs a GraphQL operation as JSON to `url`/graphql. */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return readResponse(response);
}

/**
 * Kills every child still running after each test (or, with `{ per: 'file' }`, after the file, for
 * servers shared by several tests), and removes temp folders after the file.
 */
export function registerProcessCleanup({ per = 'test' }: { per?: 'test' | 'file' } = {}): void {
  (per === 'test' ? afterEach : afterAll)(async () => {
    for (const leader of groups) {
      try {
        if (leader.pid !== undefined) process.kill(-leader.pid, 'SIGKILL');
      } catch {
        // the group has ended already
      }
    }
    groups.clear();
    const running = [...children];
    for (const child of running) child.kill('SIGKILL');
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) =>
            child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
          ),
      ),
    );
  });

  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}
