// Starting the servers under test, each in its own process, and keeping them off the load
// generator's core. The benchmark runs compiled JavaScript (tsc, as `npm start` does): under tsx,
// esbuild's keepNames adds a call to every closure gatehouse creates and none to its dependencies.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** The repository root (this file runs from .bench-build/bench/). */
export const ROOT = join(__dirname, '..', '..');

/** What a bench server prints, as one JSON line on stderr, once it listens. */
export interface ServerInfo {
  readonly url: string;
  readonly pid: number;
  readonly token?: string;
  readonly apiKey?: string;
  readonly email?: string;
  readonly password?: string;
}

export interface Started {
  readonly child: ChildProcess;
  readonly info: ServerInfo;
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();

/**
 * With two or more cores and taskset: this process (autocannon, the load generator) on core 0,
 * the servers on the last core, so that they do not take CPU from each other. Returns how the
 * run is placed, for the results.
 */
export function pinLoadGenerator(): string {
  if (!hasTaskset) return 'not pinned (taskset or a second core missing)';
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  return `load generator on core 0, servers on core ${cpus().length - 1}`;
}

/**
 * Gives the processes every core again (for the cases where the server's thread pool matters: the
 * password hashes of case 3 must not share the event loop's one core).
 */
export function releaseCores(pids: readonly number[]): void {
  if (!hasTaskset) return;
  for (const pid of [process.pid, ...pids])
    execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(pid)], { stdio: 'ignore' });
}

/**
 * Starts `bench/<script>.js` (or, given an absolute path, that script of another checkout's bench
 * build) in its own process and waits for the JSON line it prints when listening.
 */
export function startServer(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<Started> {
  const node = [process.execPath, isAbsolute(script) ? `${script}.js` : join(__dirname, `${script}.js`), ...args];
  const [command, ...commandArgs] = hasTaskset ? ['taskset', '-c', String(cpus().length - 1), ...node] : node;
  const child = spawn(command as string, commandArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve({ child, info: JSON.parse(line) });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening:\n${buffer}`)));
  });
}

/** User + system CPU time of a process so far (all its threads), in milliseconds. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) / 1024;
}

/** Server CPU time per request of `query` (POST, 10 connections, 20,000 requests), in microseconds. */
export async function cpuPerRequestUs(server: Started, query: string, headers: Record<string, string>): Promise<number> {
  const amount = 20_000;
  const before = cpuMs(server.info.pid);
  const result = await autocannon({
    url: `${server.info.url}/graphql`,
    method: 'POST',
    connections: 10,
    amount,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${query}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return ((cpuMs(server.info.pid) - before) * 1000) / amount;
}
