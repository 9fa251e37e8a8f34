// npm run bench:subscriptions: fan-out of one event to 1,000 subscribers on one instance (SQLite,
// production mode), with the real graphql-ws client. For anonymous subscribers and for signed-in
// ones (a JWT: each event re-authenticates each subscriber before it is read): the time from sending
// the publishing mutation to the last delivery, and the server's CPU per delivered event. Also
// the CPU the once-a-second credential re-check of 1,000 idle signed-in sockets costs.
// Runs compiled (see package.json): bench/processes.ts says why.
import { type Client, createClient } from 'graphql-ws';
import { PENDING_SOCKETS_PER_ADDRESS } from '../src/subscriptions/socket-guard';
import WebSocket from 'ws';
import { cpuMs, pinLoadGenerator, startServer } from './processes';

const SUBSCRIBERS = Number(process.env['BENCH_SUBSCRIBERS'] ?? 1000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 30);
const IDLE_SECONDS = 10;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function run(url: string, pid: number, params: Record<string, string> | undefined) {
  let delivered = 0;
  let waiting: (() => void) | undefined;
  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  let acknowledged = 0;
  const connect = (): Promise<Client> =>
    new Promise<Client>((resolve, reject) => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        ...(params ? { connectionParams: params } : {}),
      });
      client.on('connected', () => {
        acknowledged++;
        resolve(client);
      });
      client.on('closed', (event) => reject(new Error(`closed ${(event as { code: number }).code}`)));
      client.subscribe(
        { query: 'subscription { ticked { id } }' },
        {
          next: () => {
            delivered++;
            if (delivered % SUBSCRIBERS === 0) waiting?.();
          },
          error: (error) => reject(error),
          complete: () => undefined,
        },
      );
    });
  // In waves: the server closes (1008) a client address's sockets beyond PENDING_SOCKETS_PER_ADDRESS
  // that have not finished their handshake, and every socket here comes from one address.
  const clients: Client[] = [];
  while (clients.length < SUBSCRIBERS)
    clients.push(
      ...(await Promise.all(Array.from({ length: Math.min(PENDING_SOCKETS_PER_ADDRESS, SUBSCRIBERS - clients.length) }, connect))),
    );
  await new Promise((resolve) => setTimeout(resolve, 500)); // the subscribe messages are in
  const tick = async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { tick }' }),
    });
    if (response.status !== 200) throw new Error(`tick answered ${response.status}`);
  };
  // Waiting set before the mutation is sent: its events can reach every subscriber before its own
  // answer does (responses leave at the end of their turn, src/http/turn-writes.ts).
  const warmedUp = new Promise<void>((resolve) => (waiting = resolve));
  await tick(); // warm-up round
  await warmedUp;
  const times: number[] = [];
  const cpuBefore = cpuMs(pid);
  for (let i = 0; i < EVENTS; i++) {
    const all = new Promise<void>((resolve) => (waiting = resolve));
    const started = performance.now();
    await tick();
    await all;
    times.push(performance.now() - started);
  }
  const cpu = cpuMs(pid) - cpuBefore;
  let idleCpuPerSecond: number | undefined;
  if (params) {
    const idleBefore = cpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    idleCpuPerSecond = (cpuMs(pid) - idleBefore) / IDLE_SECONDS;
  }
  await Promise.all(clients.map((client) => client.dispose()));
  return {
    subscribers: acknowledged,
    events: EVENTS,
    medianMsToAll: median(times),
    maxMsToAll: Math.max(...times),
    cpuUsPerDelivery: (cpu * 1000) / (EVENTS * SUBSCRIBERS),
    ...(idleCpuPerSecond === undefined ? {} : { idleRecheckCpuMsPerSecond: idleCpuPerSecond }),
  };
}

async function main(): Promise<void> {
  const placement = pinLoadGenerator();
  const { child, info } = await startServer('subscriptions-server');
  try {
    const anonymous = await run(info.url, info.pid, undefined);
    const signedIn = await run(info.url, info.pid, { authorization: `Bearer ${info.token}` });
    console.log(JSON.stringify({ when: new Date().toISOString(), placement, anonymous, signedIn }, null, 2));
  } finally {
    child.kill('SIGTERM');
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
