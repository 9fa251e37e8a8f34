/*
 * Subscribers that do not keep up, over the real server and real sockets: a client that stops
 * reading (its TCP socket paused) is closed with 1013 once the server holds more than
 * SUBSCRIPTION_SEND_BUFFER_MAX_BYTES unsent for it, and a subscription that falls more than
 * MAX_PENDING_EVENTS behind ends with EVENTS_MISSED instead of losing events silently.
 */
import WebSocket from 'ws';
import * as notes from '../../examples/notes';
import { MAX_PENDING_EVENTS } from '../../src/subscriptions/streams';
import { CLOSE_TRY_AGAIN_LATER } from '../../src/subscriptions/close-codes';
import { signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { eventually, openSocket, type Socket, wsUrl } from '../helpers/ws';

const BOUND = 16 * 1024;
const NOTE_BODY = 'b'.repeat(20_000);

/** A subscription whose events wait until the test lets them through: a subscriber that falls behind without TCP in the way. */
let gate: Promise<void> = Promise.resolve();
const extra = {
  typeDefs: /* GraphQL */ `
    type Tick { id: ID! }
    extend type Subscription { stalledTick: Tick @public }
  `,
  resolvers: {
    Subscription: {
      stalledTick: {
        subscribe: (_p: unknown, _a: unknown, context: any) =>
          context.events.subscribe('tick', async (id: string) => {
            await gate;
            return { id };
          }),
        resolve: (tick: unknown) => tick,
      },
    },
  },
};

const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
});

/** A raw graphql-transport-ws client, past connection_ack, whose reading the test can pause. */
function rawClient(h: HttpHarness): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(h.url), 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    ws.on('message', function ack(data) {
      if ((JSON.parse(String(data)) as { type: string }).type !== 'connection_ack') return;
      ws.off('message', ack);
      resolve(ws);
    });
    ws.on('error', reject);
  });
}

/** The server's side of the socket opened by `open`. */
async function serverSideOf(h: HttpHarness, open: () => Promise<WebSocket>): Promise<[WebSocket, WebSocket]> {
  const clients = (h.server.fastify as unknown as { websocketServer: { clients: Set<WebSocket> } }).websocketServer.clients;
  const before = new Set(clients);
  const client = await open();
  const added = [...clients].filter((socket) => !before.has(socket));
  expect(added).toHaveLength(1);
  return [client, added[0] as WebSocket];
}

describe('slow WebSocket readers', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({
      app: { typeDefs: [notes.typeDefs, extra.typeDefs], resolvers: [notes.resolvers, extra.resolvers], loaders: notes.loaders } as never,
      env: { SUBSCRIPTION_SEND_BUFFER_MAX_BYTES: String(BOUND) },
    });
  });
  afterAll(() => h.close());

  it('closes a client that stops reading with 1013 once past the bound, holding at most one message more; others get every event', async () => {
    const author = await signUp(h);
    const created = await h.gql('mutation ($b: String!) { createNote(title: "big", body: $b, visibility: PUBLIC) { id } }', {
      variables: { b: NOTE_BODY },
      headers: { authorization: `Bearer ${author.accessToken}` },
    });
    const noteId = created.body.data!['createNote'].id as string;

    const reader = openSocket(h.url);
    sockets.push(reader);
    await reader.connected;
    const read = reader.subscribe('subscription { noteAdded { id } }').received;

    const [slow, server] = await serverSideOf(h, () => rawClient(h));
    let closedWith: { code: number; reason: string } | undefined;
    slow.on('close', (code, reason) => (closedWith = { code, reason: String(reason) }));
    const firstEvent = new Promise<void>((resolve) => slow.once('message', () => resolve()));
    for (const id of ['a', 'b', 'c'])
      slow.send(JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { noteAdded { id body } }' } }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await h.app.events.publish('noteAdded', noteId);
    await firstEvent;
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();

    // What the server holds for the slow client, after each message it sends it.
    let largestMessage = 0;
    let mostBuffered = 0;
    const send = server.send.bind(server) as (...args: unknown[]) => void;
    (server as unknown as { send: (...args: unknown[]) => void }).send = (data, ...rest) => {
      largestMessage = Math.max(largestMessage, Buffer.byteLength(String(data)));
      send(data, ...rest);
      mostBuffered = Math.max(mostBuffered, server.bufferedAmount);
    };

    let published = 1;
    while (server.readyState === server.OPEN && published < 5_000) {
      await h.app.events.publish('noteAdded', noteId);
      published += 1;
      // Lets the event reach the subscribers and the socket write (I/O) before the next.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.readyState).not.toBe(server.OPEN);
    expect(mostBuffered).toBeGreaterThan(BOUND);
    expect(mostBuffered).toBeLessThanOrEqual(BOUND + largestMessage);

    // Reading again, the client finds the close frame behind what it had not read.
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    await eventually(() => closedWith !== undefined, 'the slow client closed');
    expect(closedWith).toEqual({ code: CLOSE_TRY_AGAIN_LATER, reason: expect.stringMatching(/^Try again later/) });
    await eventually(() => server.readyState === server.CLOSED, 'the server side closed');

    await eventually(() => read.events.length === published, `the reader got all ${published} events`, 10_000);
    expect(read.errors).toBeUndefined();
  }, 60_000);

  it("counts answers to the client's own messages too: subscribes whose errors it never reads close it with 1013", async () => {
    const [slow, server] = await serverSideOf(h, () => rawClient(h));
    let closedWith: { code: number; reason: string } | undefined;
    slow.on('close', (code, reason) => (closedWith = { code, reason: String(reason) }));
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    let mostBuffered = 0;
    let largestMessage = 0;
    const send = server.send.bind(server) as (...args: unknown[]) => void;
    (server as unknown as { send: (...args: unknown[]) => void }).send = (data, ...rest) => {
      largestMessage = Math.max(largestMessage, Buffer.byteLength(String(data)));
      send(data, ...rest);
      mostBuffered = Math.max(mostBuffered, server.bufferedAmount);
    };
    // Each answers a validation error per unknown field (a few KB), for a few bytes sent.
    const query = `subscription { ${'nope '.repeat(50)}}`;
    let sent = 0;
    while (server.readyState === server.OPEN && sent < 20_000) {
      slow.send(JSON.stringify({ id: `x${sent}`, type: 'subscribe', payload: { query } }));
      sent += 1;
      if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.readyState).not.toBe(server.OPEN);
    expect(mostBuffered).toBeGreaterThan(BOUND);
    expect(mostBuffered).toBeLessThanOrEqual(BOUND + largestMessage);
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    await eventually(() => closedWith !== undefined, 'the slow client closed');
    expect(closedWith?.code).toBe(CLOSE_TRY_AGAIN_LATER);
  }, 60_000);

  it('ends a subscription that falls more than MAX_PENDING_EVENTS behind with EVENTS_MISSED; the socket goes on', async () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const client = openSocket(h.url);
    sockets.push(client);
    await client.connected;
    const stalled = client.subscribe('subscription { stalledTick { id } }').received;
    const other = client.subscribe('subscription { noteAdded { id } }').received;
    await new Promise((resolve) => setTimeout(resolve, 100));

    // One event is being read (waiting at the gate), MAX_PENDING_EVENTS wait behind it, one more overflows.
    for (let i = 0; i < MAX_PENDING_EVENTS + 2; i++) await h.app.events.publish('tick', `t${i}`);
    await eventually(() => stalled.completed, 'the stalled subscription ended');
    expect(stalled.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'EVENTS_MISSED' }) })]);
    open();

    // The socket and its other subscription are untouched.
    const author = await signUp(h);
    await h.gql('mutation { createNote(title: "after", body: "b", visibility: PUBLIC) { id } }', {
      headers: { authorization: `Bearer ${author.accessToken}` },
    });
    await eventually(() => other.events.length === 1, 'the other subscription got its event');
    expect(other.completed).toBe(false);
  });
});
