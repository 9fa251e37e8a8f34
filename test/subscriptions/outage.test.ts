/*
 * The database unreachable when a subscription is asked for (docs/subscriptions.md): the
 * subscribe is answered SERVICE_UNAVAILABLE with a request id, as HTTP answers 503, starts
 * nothing, and the socket stays open for a later try. A PostgreSQL cluster of the test's own is
 * stopped and started again (test/helpers/postgres-cluster.ts); the server runs in-process.
 */
import * as notes from '../../examples/notes';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { canRunCluster, Cluster } from '../helpers/postgres-cluster';
import { eventually, openSocket, type Socket } from '../helpers/ws';
import { signUp } from '../helpers/accounts';
import { NOTE_WATCH, NOTE_WATCH_FIELD, noteWatch } from '../helpers/note-watch';

const NOTE_ADDED = 'subscription { noteAdded { id title } }';
/** A root field with @owner(loads: …): subscribing loads the note. */
const extra = {
  typeDefs: /* GraphQL */ `
    extend type Subscription {${NOTE_WATCH_FIELD}    }
  `,
  resolvers: { Subscription: { noteWatch } },
};

function expectUnavailable(received: { completed: boolean; events: unknown[]; errors?: ReadonlyArray<{ extensions?: any }> }) {
  expect(received.errors).toHaveLength(1);
  expect(received.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(received.errors?.[0]?.extensions?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.stringify(received.errors)).not.toMatch(/ECONN|terminat|postgres|127\.0\.0\.1|stack/i);
  expect(received.events).toEqual([]);
}

(canRunCluster ? describe : describe.skip)('subscribe while the database is unreachable', () => {
  let cluster: Cluster;
  let h: HttpHarness;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    cluster = await Cluster.create();
    h = await startHttpServer({
      app: { typeDefs: [notes.typeDefs, extra.typeDefs], resolvers: [notes.resolvers, extra.resolvers], loaders: notes.loaders } as never,
      env: { DATABASE_URL: cluster.url, JWT_SECRET: randomSecret() },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await h?.close().catch(() => undefined);
    cluster?.remove();
  }, 60_000);

  it('answers SERVICE_UNAVAILABLE with a request id, starts nothing, keeps the socket, and works once it is back', async () => {
    const user = await signUp(h);
    const created = await h.gql('mutation { createNote(title: "watched", body: "b", visibility: PUBLIC) { id } }', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    const noteId = created.body.data!['createNote'].id as string;
    // Anonymous: no credential to re-check, so it is the root @owner's load of the note that fails.
    const anonymous = openSocket(h.url);
    sockets.push(anonymous);
    await anonymous.connected;
    const socket = openSocket(h.url, { authorization: `Bearer ${user.accessToken}` });
    sockets.push(socket);
    await socket.connected;

    cluster.stop();
    const down = socket.subscribe(NOTE_ADDED).received;
    await eventually(() => down.completed, 'the subscribe is answered', 10_000);
    expectUnavailable(down);
    const watch = anonymous.subscribe(NOTE_WATCH, { id: noteId }).received;
    await eventually(() => watch.completed, 'the @owner subscribe is answered', 10_000);
    expectUnavailable(watch);

    cluster.start();
    let back = false;
    const deadline = Date.now() + 20_000;
    while (!back && Date.now() < deadline) {
      const me = await h.gql('{ me { id } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
      back = me.body.errors === undefined;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toBe(true);
    // The same socket subscribes again once the store answers.
    const again = socket.subscribe(NOTE_ADDED);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(again.received.completed).toBe(false);
    const watchAgain = anonymous.subscribe(NOTE_WATCH, { id: noteId }).received;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watchAgain.completed).toBe(false);
    const response = await h.gql('mutation { createNote(title: "back", body: "b", visibility: PUBLIC) { id } }', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(response.body.errors).toBeUndefined();
    await eventually(() => again.received.events.length === 1, 'the event reaches the subscription started after the outage');
    expect(again.received.events[0]?.data?.['noteAdded']?.title).toBe('back');
  }, 120_000);
});
