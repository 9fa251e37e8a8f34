/*
 * The database unreachable when a subscription is asked for (README, "Subscriptions"): the
 * subscribe is answered SERVICE_UNAVAILABLE with a request id, as HTTP answers 503, starts
 * nothing, and the socket stays open for a later try. A PostgreSQL cluster of the test's own is
 * stopped and started again (test/helpers/postgres-cluster.ts); the server runs in-process.
 */
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { canRunCluster, Cluster } from '../helpers/postgres-cluster';
import { eventually, openSocket, type Socket } from '../helpers/ws';
import { signUp } from '../helpers/accounts';

const NOTE_ADDED = 'subscription { noteAdded { id title } }';

(canRunCluster ? describe : describe.skip)('subscribe while the database is unreachable', () => {
  let cluster: Cluster;
  let h: HttpHarness;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    cluster = await Cluster.create();
    h = await startHttpServer({ env: { DATABASE_URL: cluster.url, JWT_SECRET: randomSecret() } });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await h?.close().catch(() => undefined);
    cluster?.remove();
  }, 60_000);

  it('answers SERVICE_UNAVAILABLE with a request id, starts nothing, keeps the socket, and works once it is back', async () => {
    const user = await signUp(h);
    const socket = openSocket(h.url, { authorization: `Bearer ${user.accessToken}` });
    sockets.push(socket);
    await socket.connected;

    cluster.stop();
    const down = socket.subscribe(NOTE_ADDED).received;
    await eventually(() => down.completed, 'the subscribe is answered', 10_000);
    expect(down.errors).toHaveLength(1);
    expect(down.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.errors?.[0]?.extensions?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(down.errors)).not.toMatch(/ECONN|terminat|postgres|127\.0\.0\.1|stack/i);
    expect(down.events).toEqual([]);

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
    const response = await h.gql('mutation { createNote(title: "back", body: "b", visibility: PUBLIC) { id } }', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(response.body.errors).toBeUndefined();
    await eventually(() => again.received.events.length === 1, 'the event reaches the subscription started after the outage');
    expect(again.received.events[0]?.data?.['noteAdded']?.title).toBe('back');
  }, 120_000);
});
