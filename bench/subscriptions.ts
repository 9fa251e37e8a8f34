// npm run bench:subscriptions: fan-out of one event to 1,000 subscribers on one instance (SQLite,
// production mode), with the real graphql-ws client. For anonymous subscribers and for signed-in
// ones (a JWT: each event re-authenticates each subscriber before it is read): the time from sending
// the publishing mutation to the last delivery, and the server's CPU per delivered event. Also
// the CPU the once-a-second credential re-check of 1,000 idle signed-in sockets costs.
// Then the notes example's createNote → noteAdded (issue 29): the server CPU of one event with
// 2,000 subscribers that may not see it (a PRIVATE note; anonymous subscribers, then signed-in ones
// of one other account), against the same createNote with no subscriber, and of one event 1,000
// subscribers may see (a PUBLIC note), per delivery.
// Runs compiled (see package.json): bench/processes.ts says why.
import { type Client, createClient } from 'graphql-ws';
import { PENDING_SOCKETS_PER_ADDRESS } from '../src/subscriptions/socket-guard';
import WebSocket from 'ws';
import { cpuMs, pinLoadGenerator, startServer } from './processes';

const SUBSCRIBERS = Number(process.env['BENCH_SUBSCRIBERS'] ?? 1000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 30);
const IDLE_SECONDS = 10;
/** Subscribers that may not see the event, and subscribers that may. */
const UNSEEN_BY = Number(process.env['BENCH_UNSEEN_BY'] ?? 2000);
const SEEN_BY = Number(process.env['BENCH_SEEN_BY'] ?? 1000);
/** Notes per measured block, blocks per measurement, and the pause after each note (the server finishes its fan-out in it). */
const NOTES_PER_BLOCK = 10;
const BLOCKS = 3;
const PAUSE_MS = 150;

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

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` graphql-ws clients subscribed to `query`, in waves (PENDING_SOCKETS_PER_ADDRESS); `onNext` per event. */
async function subscribers(url: string, count: number, query: string, params: Record<string, string> | undefined, onNext: () => void) {
  const connect = (): Promise<Client> =>
    new Promise<Client>((resolve, reject) => {
      const client = createClient({
        url: `${url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        ...(params ? { connectionParams: params } : {}),
      });
      client.on('connected', () => resolve(client));
      client.on('closed', (event) => reject(new Error(`closed ${(event as { code: number }).code}`)));
      client.subscribe({ query }, { next: onNext, error: (error) => reject(error), complete: () => undefined });
    });
  const clients: Client[] = [];
  while (clients.length < count)
    clients.push(...(await Promise.all(Array.from({ length: Math.min(PENDING_SOCKETS_PER_ADDRESS, count - clients.length) }, connect))));
  await pause(1_000); // the subscribe messages are in
  return { dispose: () => Promise.all(clients.map((client) => client.dispose())) };
}

/** Creates notes as the bench's authors in turn (createNote is limited per account). */
function noteWriter(url: string, authors: readonly string[]) {
  let next = 0;
  return async (visibility: 'PUBLIC' | 'PRIVATE') => {
    const token = authors[next++ % authors.length]!;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `mutation { createNote(title: "bench", body: "b", visibility: ${visibility}) { id } }` }),
    });
    const body = (await response.json()) as { errors?: unknown };
    if (response.status !== 200 || body.errors) throw new Error(`createNote answered ${response.status} ${JSON.stringify(body.errors)}`);
  };
}

/**
 * Server CPU per PRIVATE note, in ms: blocks of NOTES_PER_BLOCK notes (each followed by PAUSE_MS)
 * against blocks of the same pauses without a note, interleaved; the median over BLOCKS of the
 * difference. /proc counts CPU in 10 ms ticks: a block spans many notes so that the tick is small beside it.
 */
async function cpuPerUnseenNote(pid: number, write: (visibility: 'PRIVATE') => Promise<void>): Promise<number> {
  const perNote: number[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    const idleBefore = cpuMs(pid);
    for (let i = 0; i < NOTES_PER_BLOCK; i++) await pause(PAUSE_MS);
    const idle = cpuMs(pid) - idleBefore;
    const before = cpuMs(pid);
    for (let i = 0; i < NOTES_PER_BLOCK; i++) {
      await write('PRIVATE');
      await pause(PAUSE_MS);
    }
    perNote.push((cpuMs(pid) - before - idle) / NOTES_PER_BLOCK);
  }
  return median(perNote);
}

async function fanOut(url: string, pid: number, token: string, authors: readonly string[]) {
  const write = noteWriter(url, authors);
  await write('PRIVATE'); // warm-up
  const noSubscriberMs = await cpuPerUnseenNote(pid, write);
  const query = 'subscription { noteAdded { id title visibility } }';
  let delivered = 0;
  const anonymous = await subscribers(url, UNSEEN_BY, query, undefined, () => delivered++);
  await write('PRIVATE');
  const unseenAnonymousMs = await cpuPerUnseenNote(pid, write);
  await anonymous.dispose();
  const signedIn = await subscribers(url, UNSEEN_BY, query, { authorization: `Bearer ${token}` }, () => delivered++);
  await write('PRIVATE');
  const unseenSignedInMs = await cpuPerUnseenNote(pid, write);
  await signedIn.dispose();
  if (delivered !== 0) throw new Error(`${delivered} PRIVATE notes reached subscribers who may not see them`);

  let waiting: (() => void) | undefined;
  const seen = await subscribers(url, SEEN_BY, query, undefined, () => {
    delivered++;
    if (delivered % SEEN_BY === 0) waiting?.();
  });
  const publicNote = async () => {
    const all = new Promise<void>((resolve) => (waiting = resolve));
    await write('PUBLIC');
    await all;
  };
  await publicNote(); // warm-up
  const perDelivery: number[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    const before = cpuMs(pid);
    for (let i = 0; i < NOTES_PER_BLOCK; i++) await publicNote();
    // The note's own cost (createNote with no subscriber) is not a delivery's.
    perDelivery.push(((cpuMs(pid) - before) / NOTES_PER_BLOCK - noSubscriberMs) * (1000 / SEEN_BY));
  }
  await seen.dispose();
  return {
    createNoteWithoutSubscribersCpuMs: noSubscriberMs,
    [`createNoteUnseenBy${UNSEEN_BY}AnonymousCpuMs`]: unseenAnonymousMs,
    [`createNoteUnseenBy${UNSEEN_BY}SignedInCpuMs`]: unseenSignedInMs,
    [`publicNoteSeenBy${SEEN_BY}CpuUsPerDelivery`]: median(perDelivery),
  };
}

async function main(): Promise<void> {
  const placement = pinLoadGenerator();
  const { child, info } = await startServer('subscriptions-server');
  try {
    const authors = (info as unknown as { authors: string[] }).authors;
    const anonymous = await run(info.url, info.pid, undefined);
    const signedIn = await run(info.url, info.pid, { authorization: `Bearer ${info.token}` });
    const notes = await fanOut(info.url, info.pid, info.token!, authors);
    console.log(JSON.stringify({ when: new Date().toISOString(), placement, anonymous, signedIn, notes }, null, 2));
  } finally {
    child.kill('SIGTERM');
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
