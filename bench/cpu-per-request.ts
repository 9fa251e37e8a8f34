// npm run bench:cpu: server CPU time per request (from /proc/<pid>/stat), a steadier measure than
// requests per second on a noisy machine. Starts the servers named in SERVERS (comma-separated:
// info, warn, debug = gatehouse at that LOG_LEVEL; noauth = authentication off; bare = Apollo's
// standalone server), sends 20,000 requests of query Q to each per round, R rounds interleaved.
// AUTH=1 sends the first gatehouse server's JWT. Example:
//   SERVERS=info,bare R=5 npm run bench:cpu
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';

interface Server {
  readonly url: string;
  readonly pid: number;
  readonly token?: string;
  kill(): void;
}

function start(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: join(__dirname, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve) => {
    let buffer = '';
    child.stderr!.on('data', (chunk) => {
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve({ ...JSON.parse(line), kill: () => child.kill() });
    });
  });
}

/** User + system CPU time of a process so far, in milliseconds (clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function cpuPerRequestUs(server: Server, query: string, headers: Record<string, string>): Promise<number> {
  const amount = 20_000;
  const before = cpuMs(server.pid);
  await autocannon({ url: `${server.url}/graphql`, method: 'POST', connections: 10, amount, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return ((cpuMs(server.pid) - before) * 1000) / amount;
}

async function main(): Promise<void> {
  const names = (process.env['SERVERS'] ?? 'info,bare').split(',');
  const query = process.env['Q'] ?? '{ publicMessage }';
  const rounds = Number(process.env['R'] ?? 3);
  const servers: Record<string, Server> = {};
  for (const name of names) {
    servers[name] =
      name === 'bare' ? await start(['bench/bare-apollo.ts']) : name === 'noauth' ? await start(['bench/server.ts', 'noauth']) : await start(['bench/server.ts', 'gatehouse'], { LOG_LEVEL: name });
  }
  const token = Object.values(servers).find((s) => s.token)?.token;
  const headersFor = (name: string): Record<string, string> => (process.env['AUTH'] && token && name !== 'noauth' && name !== 'bare' ? { authorization: `Bearer ${token}` } : {});
  for (const [name, server] of Object.entries(servers)) await cpuPerRequestUs(server, query, headersFor(name)); // warm-up
  const results: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, server] of Object.entries(servers)) (results[name] ??= []).push(Math.round(await cpuPerRequestUs(server, query, headersFor(name))));
  }
  console.log(`µs of server CPU per request, ${query}:`, results);
  for (const server of Object.values(servers)) server.kill();
}

void main();
