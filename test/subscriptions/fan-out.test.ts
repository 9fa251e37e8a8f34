import { writeRoles } from '../helpers/store';
/*
 * Subscriptions that cost per event, not per subscriber (issue 29, finding 1), through the real
 * server and real graphql-ws clients, on SQLite (a file) and PostgreSQL: an event N subscribers of
 * one viewer kind may not see is read once; what those who may see it receive is unchanged; and the
 * caps that bound how many subscribers there can be — on the server, and per anonymous network.
 */
import * as notes from '../../examples/notes';
import { createKey, signUp } from '../helpers/accounts';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { eventually, openSocket, type Socket } from '../helpers/ws';

const NOTE_ADDED = 'subscription { noteAdded { id title visibility } }';
const CREATE_NOTE =
  'mutation ($title: String!, $visibility: Visibility) { createNote(title: $title, body: "b", visibility: $visibility) { id } }';
const app = { typeDefs: notes.typeDefs, resolvers: notes.resolvers, loaders: notes.loaders } as never;

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

const sockets: Socket[] = [];
function open(h: HttpHarness, params?: Record<string, unknown>, headers?: Record<string, string>): Socket {
  const socket = openSocket(h.url, params, headers ? { headers } : {});
  sockets.push(socket);
  return socket;
}
afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
});

/**
 * Counts the notes example's reads of one note by id (examples/notes/store.ts findNoteById), as
 * the queries the server's database handle starts: the same count whichever code reads it.
 */
function countNoteReads(h: HttpHarness): () => number {
  const db = h.store.db as unknown as { selectFrom(table: string): unknown };
  const selectFrom = db.selectFrom.bind(db);
  let reads = 0;
  jest.spyOn(db, 'selectFrom').mockImplementation((table: string) => {
    if (table === 'notes' && new Error().stack?.includes('findNoteById')) reads++;
    return selectFrom(table);
  });
  return () => reads;
}

async function createNote(h: HttpHarness, token: string, title: string, visibility: 'PUBLIC' | 'PRIVATE') {
  const response = await h.gql(CREATE_NOTE, { variables: { title, visibility }, headers: { authorization: `Bearer ${token}` } });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!['createNote'].id as string;
}

describe.each(databasesUnderTest())('subscriptions on %s', (dialect) => {
  let database: ThrowawayDatabase;
  const servers: HttpHarness[] = [];
  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
  });
  afterAll(async () => {
    await Promise.all(servers.map((h) => h.close()));
    await database.drop();
  });

  /** A server on this test's database (each its own JWT secret), with `env` on top. */
  async function server(env: Record<string, string> = {}): Promise<HttpHarness> {
    const url = dialect === 'sqlite' ? `file:${(database.config as { path: string }).path}` : (database.config as { url: string }).url;
    const h = await startHttpServer({ app, env: { DATABASE_URL: url, JWT_SECRET: randomSecret(), ...env } });
    servers.push(h);
    return h;
  }

  describe('one read per event, shared', () => {
    const ANONYMOUS = 12;
    let h: HttpHarness;
    beforeAll(async () => {
      h = await server({ SUBSCRIPTION_SOCKETS_PER_USER: '50' });
    });

    it('reads a note N anonymous subscribers may not see once, not N times, and still delivers it to its author', async () => {
      const author = await signUp(h);
      const other = await signUp(h);
      const anonymous = Array.from({ length: ANONYMOUS }, () => open(h).subscribe(NOTE_ADDED).received);
      const asAuthor = open(h, { authorization: `Bearer ${author.accessToken}` }).subscribe(NOTE_ADDED).received;
      const asOther = open(h, { authorization: `Bearer ${other.accessToken}` }).subscribe(NOTE_ADDED).received;
      await eventually(() => h.app.events.listenerCount() === ANONYMOUS + 2, 'every subscription runs');
      const reads = countNoteReads(h);

      const privateId = await createNote(h, author.accessToken, 'mine', 'PRIVATE');
      await eventually(() => asAuthor.events.length === 1, 'the author gets the private note');
      await settle();
      // Before: one read per subscription (14). Now: one for the event.
      expect(reads()).toBe(1);
      expect(asAuthor.events[0]).toEqual({ data: { noteAdded: { id: privateId, title: 'mine', visibility: 'PRIVATE' } } });
      expect(asOther.events).toEqual([]);
      for (const received of anonymous) expect(received.events).toEqual([]);
    });

    it('reads a note every subscriber may see once, and delivers it to each of them as before', async () => {
      const author = await signUp(h);
      const anonymous = Array.from({ length: ANONYMOUS }, () => open(h).subscribe(NOTE_ADDED).received);
      const asAuthor = open(h, { authorization: `Bearer ${author.accessToken}` }).subscribe(NOTE_ADDED).received;
      const admin = await signUp(h);
      await writeRoles(h.store.db, admin.id, ['ADMIN']);
      const key = await createKey(h, admin.accessToken);
      const asAdmin = open(h, { 'x-api-key': key.secret }).subscribe(NOTE_ADDED).received;
      await eventually(() => h.app.events.listenerCount() === ANONYMOUS + 2, 'every subscription runs');
      const reads = countNoteReads(h);

      const publicId = await createNote(h, author.accessToken, 'for all', 'PUBLIC');
      const everyone = [...anonymous, asAuthor, asAdmin];
      await eventually(() => everyone.every((received) => received.events.length === 1), 'everyone gets the public note');
      expect(reads()).toBe(1);
      for (const received of everyone) {
        expect(received.events).toEqual([{ data: { noteAdded: { id: publicId, title: 'for all', visibility: 'PUBLIC' } } }]);
      }
    });
  });

  describe('server-wide caps', () => {
    let h: HttpHarness;
    beforeAll(async () => {
      h = await server({ SUBSCRIPTION_MAX_SOCKETS: '3', SUBSCRIPTION_MAX_TOTAL: '4' });
    });

    it('closes a socket beyond SUBSCRIPTION_MAX_SOCKETS with 1008, whoever opens it, and takes one again once a socket closes', async () => {
      const users = await Promise.all([signUp(h), signUp(h), signUp(h), signUp(h)]);
      const first = users.slice(0, 3).map((user) => open(h, { authorization: `Bearer ${user.accessToken}` }));
      await Promise.all(first.map((socket) => socket.connected));
      const beyond = open(h, { authorization: `Bearer ${users[3]!.accessToken}` });
      expect((await beyond.closed).code).toBe(1008);
      expect((await open(h).closed).code).toBe(1008);
      await first[0]!.dispose();
      await settle(100);
      await open(h, { authorization: `Bearer ${users[3]!.accessToken}` }).connected;
    });

    it('refuses a subscription beyond SUBSCRIPTION_MAX_TOTAL with LIMIT_EXCEEDED, across users', async () => {
      const [a, b] = await Promise.all([signUp(h), signUp(h)]);
      const asA = open(h, { authorization: `Bearer ${a.accessToken}` });
      const asB = open(h, { authorization: `Bearer ${b.accessToken}` });
      const running = [asA.subscribe(NOTE_ADDED), asA.subscribe(NOTE_ADDED), asB.subscribe(NOTE_ADDED), asB.subscribe(NOTE_ADDED)];
      await settle(300);
      const refused = asB.subscribe(NOTE_ADDED).received;
      await eventually(() => refused.completed, 'refused');
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['LIMIT_EXCEEDED']);
      expect(running.every(({ received }) => !received.completed)).toBe(true);
      running[0]!.stop();
      await settle(200);
      const again = asB.subscribe(NOTE_ADDED).received;
      await settle(300);
      expect(again.completed).toBe(false);
    });
  });

  describe('anonymous caps per IPv6 network', () => {
    let h: HttpHarness;
    beforeAll(async () => {
      h = await server({ TRUST_PROXY: 'true', SUBSCRIPTION_SOCKETS_PER_NETWORK: '3', SUBSCRIPTIONS_PER_NETWORK: '4' });
    });
    /** An anonymous socket from a /64 of its own (the per-address caps count /64s) in 2001:db8:<site>::/48. */
    const from = (site: number, subnet: number) => ({ 'x-forwarded-for': `2001:db8:${site}:${subnet}::1` });

    it('closes an anonymous socket beyond SUBSCRIPTION_SOCKETS_PER_NETWORK from one /48 with 1008, however many /64s it uses', async () => {
      const inSite = [1, 2, 3].map((subnet) => open(h, undefined, from(0xa, subnet)));
      await Promise.all(inSite.map((socket) => socket.connected));
      expect((await open(h, undefined, from(0xa, 4)).closed).code).toBe(1008);
      // Another /48, and a signed-in user in the same one, are not counted against it.
      await open(h, undefined, from(0xb, 1)).connected;
      const user = await signUp(h);
      await open(h, { authorization: `Bearer ${user.accessToken}` }, from(0xa, 5)).connected;
    });

    it('refuses an anonymous subscription beyond SUBSCRIPTIONS_PER_NETWORK from one /48 with LIMIT_EXCEEDED', async () => {
      const [first, second, third] = [1, 2, 3].map((subnet) => open(h, undefined, from(0xc, subnet))) as [Socket, Socket, Socket];
      const running = [
        first.subscribe(NOTE_ADDED),
        first.subscribe(NOTE_ADDED),
        second.subscribe(NOTE_ADDED),
        second.subscribe(NOTE_ADDED),
      ];
      await settle(300);
      const refused = third.subscribe(NOTE_ADDED).received;
      await eventually(() => refused.completed, 'refused');
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['LIMIT_EXCEEDED']);
      expect(running.every(({ received }) => !received.completed)).toBe(true);
      const elsewhere = open(h, undefined, from(0xd, 1)).subscribe(NOTE_ADDED).received;
      await settle(300);
      expect(elsewhere.completed).toBe(false);
    });
  });
});
