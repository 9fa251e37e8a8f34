/*
 * Subscriptions over the real server with the real graphql-ws client: the handshake, the same
 * directives on subscribe and on every event, a credential's end closing the socket, and the limits.
 * In-memory SQLite (events within the process), then two in-process instances on PostgreSQL; two
 * processes (the demo as `npm start` runs it): instances.test.ts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GraphQLError } from 'graphql';
import WebSocket from 'ws';
import type { Kysely } from 'kysely';
import * as notes from '../../examples/notes';
import * as notesStore from '../../examples/notes/store';
import { grantUserRole, revokeUserRole, setUserDisabled } from '../../src/store/users';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { eventually, openSocket, type Socket, wsUrl } from '../helpers/ws';
import { createKey, signUp } from '../helpers/accounts';
import { PENDING_SOCKETS_PER_ADDRESS } from '../../src/subscriptions/socket-guard';
import { NOTE_WATCH, NOTE_WATCH_FIELD, noteWatch } from '../helpers/note-watch';

/** A test-only part of the schema: a root field for ADMINs, and a public one with an ADMIN-only nested field. */
const extra = {
  typeDefs: /* GraphQL */ `
    type Pulse { id: ID! adminNote: String @hasRole(role: ADMIN) }
    extend type Subscription {
      adminPulse: Pulse @hasRole(role: ADMIN)
      pulse: Pulse @public
      broken: String @public
      brokenCoded: String @public
${NOTE_WATCH_FIELD}    }
  `,
  resolvers: {
    Subscription: {
      adminPulse: {
        subscribe: (_p: unknown, _a: unknown, context: any) =>
          context.events.subscribe('pulse', (id: string) => ({ id, adminNote: `admin ${id}` })),
        resolve: (pulse: unknown) => pulse,
      },
      broken: {
        subscribe: (_p: unknown, _a: unknown, context: any) => context.events.subscribe('pulse', (id: string) => id),
        resolve: () => {
          throw new Error('secret detail of /work/db.ts:12');
        },
      },
      // An application's GraphQLError coded INTERNAL_SERVER_ERROR, naming another request.
      brokenCoded: {
        subscribe: (_p: unknown, _a: unknown, context: any) => context.events.subscribe('pulse', (id: string) => id),
        resolve: () => {
          throw new GraphQLError('secret detail of ledger db-9', {
            extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'another-request' },
          });
        },
      },
      noteWatch,
      pulse: {
        subscribe: (_p: unknown, _a: unknown, context: any) =>
          context.events.subscribe('pulse', (id: string) => ({ id, adminNote: `admin ${id}` })),
        resolve: (pulse: unknown) => pulse,
      },
    },
  },
};

const NOTE_ADDED = 'subscription { noteAdded { id title visibility } }';
const CREATE_NOTE =
  'mutation ($title: String!, $visibility: Visibility) { createNote(title: $title, body: "b", visibility: $visibility) { id } }';

const sockets: Socket[] = [];
function open(h: HttpHarness, params?: Record<string, unknown>, options?: { headers?: Record<string, string> }): Socket {
  const socket = openSocket(h.url, params, options);
  sockets.push(socket);
  return socket;
}
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
});

async function createNote(h: HttpHarness, token: string, title: string, visibility: 'PUBLIC' | 'PRIVATE') {
  const response = await h.gql(CREATE_NOTE, { variables: { title, visibility }, headers: { authorization: `Bearer ${token}` } });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!['createNote'].id as string;
}

/** A new account granted ADMIN beside its USER (grantRole). */
async function makeAdmin(h: HttpHarness) {
  const admin = await signUp(h);
  expect((await grantUserRole(h.store.db, admin.id, 'ADMIN', new Date())).status).toBe('changed');
  return admin;
}

/** Takes ADMIN from an ADMIN (revokeRole; another ADMIN is made first: the last one cannot lose it). */
async function demote(h: HttpHarness, id: string) {
  await makeAdmin(h);
  expect((await revokeUserRole(h.store.db, id, 'ADMIN')).status).toBe('changed');
}

/** Waits a little so that an event that should not arrive would have. */
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

describe('subscriptions over WebSocket', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({
      app: { typeDefs: [notes.typeDefs, extra.typeDefs], resolvers: [notes.resolvers, extra.resolvers], loaders: notes.loaders } as never,
      env: {
        CORS_ORIGINS: 'https://app.example.test',
        SUBSCRIPTIONS_PER_SOCKET: '3',
        SUBSCRIPTION_SOCKETS_PER_USER: '3',
        SUBSCRIPTION_MESSAGE_MAX_BYTES: '16384',
        SUBSCRIPTION_INIT_TIMEOUT_MS: '300',
        MAX_QUERY_DEPTH: '3',
      },
    });
  });
  afterAll(() => h.close());

  it('delivers public notes to everyone and private ones only to their author and ADMINs', async () => {
    const author = await signUp(h);
    const other = await signUp(h);
    const admin = await makeAdmin(h);
    const anonymous = open(h).subscribe(NOTE_ADDED).received;
    const asAuthor = open(h, { authorization: `Bearer ${author.accessToken}` }).subscribe(NOTE_ADDED).received;
    const asOther = open(h, { authorization: `Bearer ${other.accessToken}` }).subscribe(NOTE_ADDED).received;
    const key = await createKey(h, admin.accessToken);
    const asAdmin = open(h, { 'x-api-key': key.secret }).subscribe(NOTE_ADDED).received;
    await settle(200);

    const publicId = await createNote(h, author.accessToken, 'for all', 'PUBLIC');
    const privateId = await createNote(h, author.accessToken, 'mine', 'PRIVATE');
    await eventually(() => asAuthor.events.length === 2 && asAdmin.events.length === 2, 'author and admin get both notes');
    await eventually(() => anonymous.events.length === 1 && asOther.events.length === 1, 'the others get the public note');
    await settle();
    const ids = (r: typeof anonymous) => r.events.map((e) => e.data?.['noteAdded']?.id);
    expect(ids(asAuthor)).toEqual([publicId, privateId]);
    expect(ids(asAdmin)).toEqual([publicId, privateId]);
    expect(ids(anonymous)).toEqual([publicId]);
    expect(ids(asOther)).toEqual([publicId]);
    expect(anonymous.events[0]).toEqual({ data: { noteAdded: { id: publicId, title: 'for all', visibility: 'PUBLIC' } } });
  });

  it('closes with 4401 and no detail on a bad credential, and on two credentials at once', async () => {
    for (const params of [
      { authorization: 'Bearer not-a-token' },
      { 'x-api-key': 'gh_nonsense' },
      { authorization: 'Basic abc' },
      { authorization: 42 },
    ]) {
      const socket = open(h, params);
      expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    }
    const user = await signUp(h);
    const key = await createKey(h, user.accessToken);
    const both = open(h, { authorization: `Bearer ${user.accessToken}`, 'x-api-key': key.secret });
    expect((await both.closed).code).toBe(4401);
  });

  it('refuses a subscribe the viewer may not make with UNAUTHENTICATED / FORBIDDEN, and starts nothing', async () => {
    const user = await signUp(h);
    const anonymous = open(h).subscribe('subscription { adminPulse { id } }').received;
    const asUser = open(h, { authorization: `Bearer ${user.accessToken}` }).subscribe('subscription { adminPulse { id } }').received;
    await eventually(() => anonymous.completed && asUser.completed, 'both refused');
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(asUser.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    await h.app.events.publish('pulse', 'p0');
    await settle();
    expect(anonymous.events).toEqual([]);
    expect(asUser.events).toEqual([]);
  });

  it('suggests ("Did you mean") only what the subscriber may see, as HTTP does', async () => {
    const user = await signUp(h);
    const admin = await makeAdmin(h);
    const typo = 'subscription { adminPuls { id } }';
    const nestedTypo = 'subscription { pulse { adminNot } }';
    const asUser = open(h, { authorization: `Bearer ${user.accessToken}` });
    const asAdmin = open(h, { authorization: `Bearer ${admin.accessToken}` });
    const [userRoot, userNested] = [asUser.subscribe(typo).received, asUser.subscribe(nestedTypo).received];
    const [adminRoot, adminNested] = [asAdmin.subscribe(typo).received, asAdmin.subscribe(nestedTypo).received];
    await eventually(() => [userRoot, userNested, adminRoot, adminNested].every((r) => r.completed), 'all four refused');
    const text = (received: typeof userRoot) => (received.errors ?? []).map((e) => e.message).join('\n');
    expect(text(userRoot)).toContain('Cannot query field "adminPuls"');
    expect(text(userRoot)).not.toContain('adminPulse');
    expect(text(userNested)).toContain('Cannot query field "adminNot"');
    expect(text(userNested)).not.toContain('adminNote');
    expect(text(adminRoot)).toContain('"adminPulse"');
    expect(text(adminNested)).toContain('Did you mean "adminNote"?');
  });

  it('ends a subscription whose root field a role change denies, within 2 s, and keeps the socket', async () => {
    const admin = await makeAdmin(h);
    const socket = open(h, { authorization: `Bearer ${admin.accessToken}` });
    const feed = socket.subscribe('subscription { adminPulse { id } }').received;
    const open2 = socket.subscribe(NOTE_ADDED).received;
    await settle(200);
    await h.app.events.publish('pulse', 'p1');
    await eventually(() => feed.events.length === 1, 'the admin gets the pulse');
    const demotedAt = Date.now();
    await demote(h, admin.id);
    await eventually(() => feed.completed, 'the subscription ends', 2_000);
    expect(Date.now() - demotedAt).toBeLessThan(2_000);
    expect(feed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    await h.app.events.publish('pulse', 'p2');
    await settle();
    expect(feed.events).toHaveLength(1);
    expect(open2.completed).toBe(false);
  });

  it('executes every event against the viewer as of its last re-check: a field no longer readable is null with FORBIDDEN', async () => {
    const admin = await makeAdmin(h);
    const feed = open(h, { authorization: `Bearer ${admin.accessToken}` }).subscribe('subscription { pulse { id adminNote } }').received;
    await settle(200);
    await h.app.events.publish('pulse', 'p1');
    await eventually(() => feed.events.length === 1, 'first event');
    expect(feed.events[0]).toEqual({ data: { pulse: { id: 'p1', adminNote: 'admin p1' } } });
    await demote(h, admin.id);
    // The viewer is re-read on SUBSCRIPTION_RECHECK_MS's timer (1 s here), not before each event:
    // an event costs the same whatever its subscribers hold (issue 29).
    await settle(1_500);
    await h.app.events.publish('pulse', 'p2');
    await eventually(() => feed.events.length === 2, 'second event');
    expect(feed.events[1]?.data).toEqual({ pulse: { id: 'p2', adminNote: null } });
    expect(feed.events[1]?.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['pulse', 'adminNote'], 'FORBIDDEN']]);
  });

  it('checks a root @owner on subscribe (a non-owner starts nothing) and again against the object as it is later', async () => {
    const author = await signUp(h);
    const other = await signUp(h);
    const watch = NOTE_WATCH;
    const privateId = await createNote(h, author.accessToken, 'mine', 'PRIVATE');
    const listeners = h.app.events.listenerCount();
    const socket = open(h, { authorization: `Bearer ${other.accessToken}` });
    const refused = socket.subscribe(watch, { id: privateId }).received;
    await eventually(() => refused.completed, 'refused');
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(h.app.events.listenerCount()).toBe(listeners);

    const publicId = await createNote(h, author.accessToken, 'open', 'PUBLIC');
    const feed = socket.subscribe(watch, { id: publicId }).received;
    const anonymous = open(h).subscribe(watch, { id: publicId }).received;
    await settle(200);
    await h.app.events.publish('noteWatch', publicId);
    await eventually(() => feed.events.length === 1 && anonymous.events.length === 1, 'the public note');
    expect(feed.events[0]).toEqual({ data: { noteWatch: { id: publicId, title: 'open' } } });
    await h.store.db
      .updateTable('notes' as never)
      .set({ visibility: 'PRIVATE' } as never)
      .where('id' as never, '=', publicId as never)
      .execute();
    await h.app.events.publish('noteWatch', publicId);
    // Now denied: the subscription ends (the re-check before the event sees the note as it is).
    await eventually(() => feed.completed, 'the subscription ends', 2_000);
    expect(feed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    await settle();
    expect(JSON.stringify(feed.events.slice(1))).not.toContain('open');
    // An anonymous socket has no credential to re-check: its event is judged on the note as it is now.
    await eventually(() => anonymous.events.length === 2, 'the anonymous event');
    expect(anonymous.events[1]?.data).toEqual({ noteWatch: null });
    expect(anonymous.events[1]?.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('ends a subscription to a root @owner field when a role change denies it, within 2 s', async () => {
    const author = await signUp(h);
    const admin = await makeAdmin(h);
    const privateId = await createNote(h, author.accessToken, 'mine', 'PRIVATE');
    const feed = open(h, { authorization: `Bearer ${admin.accessToken}` }).subscribe(
      'subscription ($id: ID!) { noteWatch(id: $id) { id title } }',
      { id: privateId },
    ).received;
    await settle(200);
    await h.app.events.publish('noteWatch', privateId);
    await eventually(() => feed.events.length === 1, 'the ADMIN may watch it');
    const demotedAt = Date.now();
    await demote(h, admin.id);
    await eventually(() => feed.completed, 'the subscription ends', 2_000);
    expect(Date.now() - demotedAt).toBeLessThan(2_000);
    expect(feed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('masks an unexpected error in an event as INTERNAL_SERVER_ERROR with a request id', async () => {
    const feed = open(h).subscribe('subscription { broken }').received;
    await settle(200);
    await h.app.events.publish('pulse', 'p1');
    await eventually(() => feed.events.length === 1, 'the event');
    expect(feed.events[0]).toEqual({
      data: { broken: null },
      errors: [
        {
          message: 'Something went wrong on our side.',
          path: ['broken'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) },
        },
      ],
    });
    expect(JSON.stringify(feed.events)).not.toContain('secret detail');
  });

  it("masks an application's GraphQLError coded INTERNAL_SERVER_ERROR, with the socket's request id rather than the one it names", async () => {
    const feed = open(h).subscribe('subscription { brokenCoded }').received;
    await settle(200);
    await h.app.events.publish('pulse', 'p1');
    await eventually(() => feed.events.length === 1, 'the event');
    expect(feed.events[0]).toEqual({
      data: { brokenCoded: null },
      errors: [
        {
          message: 'Something went wrong on our side.',
          path: ['brokenCoded'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        },
      ],
    });
    expect(JSON.stringify(feed.events)).not.toContain('secret detail');
  });

  describe('ends the socket with 4401 when the credential ends', () => {
    it('a token at its exp', async () => {
      const user = await signUp(h);
      // Issued 898 s ago with the 900 s lifetime: it expires in 2 s.
      const { token, claims } = h.app.accessTokens.issue(user.id, new Date(Date.now() - 898_000));
      const socket = open(h, { authorization: `Bearer ${token}` });
      const feed = socket.subscribe(NOTE_ADDED).received;
      await socket.connected;
      const { code } = await socket.closed;
      const closedAt = Date.now();
      expect(code).toBe(4401);
      expect(closedAt).toBeGreaterThanOrEqual(claims.exp * 1000 - 20);
      expect(closedAt).toBeLessThan(claims.exp * 1000 + 500);
      await eventually(() => feed.completed, 'the subscription ends with the socket');
    });

    it('a revoked API key, within 2 s', async () => {
      const user = await signUp(h);
      const key = await createKey(h, user.accessToken);
      const socket = open(h, { 'x-api-key': key.secret });
      const feed = socket.subscribe(NOTE_ADDED).received;
      await socket.connected;
      await settle(100);
      const revokedAt = Date.now();
      const revoked = await h.gql('mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', {
        variables: { id: key.id },
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      expect(revoked.body.errors).toBeUndefined();
      expect((await socket.closed).code).toBe(4401);
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
      await eventually(() => feed.completed, 'the subscription ends with the socket');
    });

    it('a disabled user, within 2 s', async () => {
      const user = await signUp(h);
      const socket = open(h, { authorization: `Bearer ${user.accessToken}` });
      socket.subscribe(NOTE_ADDED);
      await socket.connected;
      const disabledAt = Date.now();
      await setUserDisabled(h.store.db, user.id, new Date());
      expect((await socket.closed).code).toBe(4401);
      expect(Date.now() - disabledAt).toBeLessThan(2_000);
    });

    it('a session ended by logoutEverywhere, within 2 s', async () => {
      const user = await signUp(h);
      const socket = open(h, { authorization: `Bearer ${user.accessToken}` });
      socket.subscribe(NOTE_ADDED);
      await socket.connected;
      const endedAt = Date.now();
      const out = await h.gql('mutation { logoutEverywhere }', { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(out.body).toEqual({ data: { logoutEverywhere: true } });
      expect((await socket.closed).code).toBe(4401);
      expect(Date.now() - endedAt).toBeLessThan(2_000);
    });
  });

  describe('limits', () => {
    it('applies HTTP operation limits on subscribe: depth, aliases, tokens', async () => {
      const socket = open(h);
      const [fine, aliases, tokens] = [
        'subscription { noteAdded { author { id } } }',
        `subscription { noteAdded { ${Array.from({ length: 20 }, (_, i) => `a${i}: id`).join(' ')} } }`,
        `subscription { noteAdded { id ${'id '.repeat(2100)} } }`,
      ].map((query) => socket.subscribe(query).received);
      // User.apiKeys is for ADMINs: to anyone else it is absent (src/enforcement/hidden-validation.ts).
      const admin = await makeAdmin(h);
      const deep = open(h, { authorization: `Bearer ${admin.accessToken}` }).subscribe(
        'subscription { noteAdded { author { apiKeys { id } } } }',
      ).received;
      await eventually(() => [deep, aliases, tokens].every((r) => r?.completed), 'refused');
      expect(fine?.completed).toBe(false);
      expect(deep?.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(deep?.errors?.[0]?.message).toMatch(/nested 4 levels deep/);
      expect(aliases?.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(aliases?.errors?.[0]?.message).toMatch(/alias/i);
      expect(tokens?.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
    });

    it('serves only subscriptions: a query over WebSocket is refused', async () => {
      const query = open(h).subscribe('{ publicMessage }').received;
      await eventually(() => query.completed, 'refused');
      expect(query.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    });

    it('answers a root @skip/@include that leaves no field (or that graphql cannot judge) with an error, and keeps the socket', async () => {
      const socket = open(h);
      // graphql 16 validates a root @skip/@include without the variables: a variable there is refused, not a closed socket.
      const withVariable = socket.subscribe('subscription ($s: Boolean!) { noteAdded @skip(if: $s) { id } }', { s: true }).received;
      const skipped = socket.subscribe('subscription { noteAdded @skip(if: true) { id } }').received;
      const viaFragment = socket.subscribe(
        'subscription { ...F } fragment F on Subscription { pulse @include(if: false) { id } }',
      ).received;
      await eventually(() => withVariable.completed && skipped.completed && viaFragment.completed, 'all three refused');
      expect(withVariable.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(skipped.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
      expect(viaFragment.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
      const kept = socket.subscribe('subscription { ...F } fragment F on Subscription { pulse @include(if: true) { id } }').received;
      await settle(200);
      await h.app.events.publish('pulse', 'p1');
      await eventually(() => kept.events.length === 1, 'the socket still serves');
      expect(kept.events[0]).toEqual({ data: { pulse: { id: 'p1' } } });
    });

    it('caps subscriptions per socket', async () => {
      const socket = open(h);
      const running = [1, 2, 3].map(() => socket.subscribe(NOTE_ADDED).received);
      await settle(200);
      const fourth = socket.subscribe(NOTE_ADDED).received;
      await eventually(() => fourth.completed, 'fourth refused');
      expect(fourth.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
      expect(running.every((r) => !r.completed)).toBe(true);
    });

    it('runs one subscription per id: an id sent again before its subscription has ended closes the socket (4409), leaving nothing running', async () => {
      const user = await signUp(h);
      const raw = new WebSocket(wsUrl(h.url), 'graphql-transport-ws');
      const messages: Array<{ type: string; id?: string; payload?: any }> = [];
      raw.on('message', (data) => messages.push(JSON.parse(String(data))));
      const closed = new Promise<number>((resolve) => raw.on('close', (code) => resolve(code)));
      await new Promise((resolve) => raw.on('open', resolve));
      raw.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.accessToken}` } }));
      await eventually(() => messages.some((m) => m.type === 'connection_ack'), 'acknowledged');
      const listeners = h.app.events.listenerCount();
      const subscribe = JSON.stringify({ id: 'X', type: 'subscribe', payload: { query: NOTE_ADDED } });
      const complete = JSON.stringify({ id: 'X', type: 'complete' });
      for (let i = 0; i < 20; i++) {
        raw.send(subscribe);
        raw.send(complete);
      }
      raw.send(subscribe);
      expect(await closed).toBe(4409);
      await eventually(() => h.app.events.listenerCount() === listeners, 'nothing left listening');
      await createNote(h, user.accessToken, 'after', 'PUBLIC');
      await settle();
      expect(messages.filter((m) => m.type === 'next')).toEqual([]);

      // An id is free again once its subscription has ended.
      const second = new WebSocket(wsUrl(h.url), 'graphql-transport-ws');
      const received: Array<{ type: string; id?: string }> = [];
      second.on('message', (data) => received.push(JSON.parse(String(data))));
      await new Promise((resolve) => second.on('open', resolve));
      second.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.accessToken}` } }));
      await eventually(() => received.some((m) => m.type === 'connection_ack'), 'acknowledged');
      second.send(subscribe);
      await eventually(() => h.app.events.listenerCount() === listeners + 1, 'running');
      second.send(complete);
      await eventually(() => h.app.events.listenerCount() === listeners, 'ended');
      await settle(50);
      second.send(subscribe);
      await settle(200);
      await createNote(h, user.accessToken, 'again', 'PUBLIC');
      await eventually(() => received.some((m) => m.type === 'next' && m.id === 'X'), 'the later subscription runs');
      await settle();
      expect(received.filter((m) => m.type === 'next')).toHaveLength(1);
      expect(second.readyState).toBe(WebSocket.OPEN);
      second.close();
    });

    it('caps sockets per user (1008)', async () => {
      const user = await signUp(h);
      const params = { authorization: `Bearer ${user.accessToken}` };
      const first = [1, 2, 3].map(() => open(h, params));
      await Promise.all(first.map((s) => s.connected));
      const fourth = open(h, params);
      expect((await fourth.closed).code).toBe(1008);
    });

    it('caps sockets that have not sent connection_init per client address (1008); they count no more once acknowledged', async () => {
      const silent = Array.from({ length: PENDING_SOCKETS_PER_ADDRESS }, () => new WebSocket(wsUrl(h.url), 'graphql-transport-ws'));
      await Promise.all(silent.map((raw) => new Promise((resolve) => raw.once('open', resolve))));
      const closes = silent.map((raw) => new Promise<number>((resolve) => raw.once('close', (c) => resolve(c))));
      const extra = new WebSocket(wsUrl(h.url), 'graphql-transport-ws');
      expect(await new Promise<number>((resolve) => extra.once('close', (c) => resolve(c)))).toBe(1008);
      // An acknowledged socket is counted by its user (or address) cap instead: the slot is free again.
      silent[0]!.send(JSON.stringify({ type: 'connection_init' }));
      await new Promise((resolve) => silent[0]!.once('message', resolve));
      const next = open(h);
      await next.connected;
      // The others still wait and are closed by the init timeout (4408), not by the cap.
      expect(await Promise.all(closes.slice(1))).toEqual(Array(PENDING_SOCKETS_PER_ADDRESS - 1).fill(4408));
      silent[0]!.close();
    });

    it('closes a socket that sends a message over the size limit (1009)', async () => {
      const socket = open(h);
      socket.subscribe(`subscription { noteAdded { id } } # ${'x'.repeat(20_000)}`);
      expect((await socket.closed).code).toBe(1009);
    });

    it('closes a socket that does not send connection_init in time (4408)', async () => {
      const raw = new WebSocket(wsUrl(h.url), 'graphql-transport-ws');
      const code = await new Promise<number>((resolve) => raw.on('close', (c) => resolve(c)));
      expect(code).toBe(4408);
    });

    it('refuses the upgrade from a foreign Origin; accepts none, its own and CORS_ORIGINS', async () => {
      const tryOrigin = (origin?: string) =>
        new Promise<number | 'open'>((resolve) => {
          const raw = new WebSocket(wsUrl(h.url), 'graphql-transport-ws', origin ? { headers: { origin } } : {});
          raw.on('open', () => {
            raw.close();
            resolve('open');
          });
          raw.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          raw.on('error', () => undefined);
        });
      expect(await tryOrigin('https://evil.example')).toBe(403);
      // An origin that merely ends with this server's host (http://evil127.0.0.1:<port>) is foreign too.
      expect(await tryOrigin(h.url.replace('://', '://evil'))).toBe(403);
      expect(await tryOrigin()).toBe('open');
      expect(await tryOrigin(h.url)).toBe('open');
      expect(await tryOrigin('https://app.example.test')).toBe('open');
    });
  });

  it('still serves HTTP GET and POST on /graphql', async () => {
    const get = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ publicMessage }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).data.publicMessage).toEqual(expect.any(String));
    const post = await h.gql('{ publicMessage }');
    expect(post.status).toBe(200);
  });

  it('leaves no socket, listener or memory behind after 1,000 connect/subscribe/close cycles', async () => {
    const server = h.server as unknown as { fastify: { websocketServer: { clients: Set<unknown> } } };
    const cycle = async () => {
      const socket = openSocket(h.url);
      const { received } = socket.subscribe(NOTE_ADDED);
      await socket.connected;
      await eventually(() => h.app.events.listenerCount() > 0 || received.completed, 'subscribed', 2_000);
      await socket.dispose();
      await socket.closed;
    };
    for (let i = 0; i < 100; i++) await cycle(); // warm-up
    await eventually(() => h.app.events.listenerCount() === 0, 'warm-up listeners gone');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000; i++) await cycle();
    await eventually(() => server.fastify.websocketServer.clients.size === 0 && h.app.events.listenerCount() === 0, 'all closed');
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    console.log(`heap growth after 1,000 cycles: ${(grown / 1024 / 1024).toFixed(2)} MiB`);
    expect(grown).toBeLessThan(10 * 1024 * 1024);
  }, 120_000);
});

/** A full garbage collection, without starting node with --expose-gc. */
/**
 * A root subscription field with @owner(loads: …): one note's changes, to whoever may read that
 * note; and one whose events hold a field returning Query (as Relay payloads do).
 */
const watched = {
  typeDefs: /* GraphQL */ `
    type Tick { id: ID! query: Query! }
    extend type Subscription {
      noteWatch(id: ID!): Note @public @owner(loads: "Note", field: "authorId", orRole: ADMIN, openWhen: "visibility", openValue: "PUBLIC")
      tick: Tick @public
    }
  `,
  resolvers: {
    Subscription: {
      tick: {
        subscribe: (_p: unknown, _a: unknown, context: any) => context.events.subscribe('tick', (id: string) => ({ id, query: {} })),
        resolve: (tick: unknown) => tick,
      },
      noteWatch: {
        subscribe: (_p: unknown, args: { id: string }, context: any) =>
          context.events.subscribe('watch', (id: string) => (id === args.id ? notesStore.findNoteById(context.db, id) : undefined)),
        resolve: (note: unknown) => note,
      },
    },
  },
};
const WATCH = 'subscription ($id: ID!) { noteWatch(id: $id) { id body visibility } }';

describe('per-address socket limits count an IPv6 client by its /64 (TRUST_PROXY, X-Forwarded-For)', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({
      app: { typeDefs: [notes.typeDefs, extra.typeDefs], resolvers: [notes.resolvers, extra.resolvers], loaders: notes.loaders } as never,
      env: { TRUST_PROXY: 'true', SUBSCRIPTION_SOCKETS_PER_USER: '2', SUBSCRIPTION_INIT_TIMEOUT_MS: '300' },
    });
  });
  afterAll(() => h.close());
  const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

  it('anonymous sockets: two addresses in one /64 fill SUBSCRIPTION_SOCKETS_PER_USER, another /64 is not refused', async () => {
    await Promise.all([open(h, undefined, from('2001:db8:1:2::1')).connected, open(h, undefined, from('2001:db8:1:2::2')).connected]);
    await expect(open(h, undefined, from('2001:db8:1:2:ffff::3')).connected).rejects.toThrow(/^socket closed \(1008 /);
    await open(h, undefined, from('2001:db8:1:3::1')).connected;
  });

  it('sockets before connection_init: addresses in one /64 share PENDING_SOCKETS_PER_ADDRESS, another /64 is not refused', async () => {
    const raw = (address: string) => new WebSocket(wsUrl(h.url), 'graphql-transport-ws', { headers: { 'x-forwarded-for': address } });
    const silent = Array.from({ length: PENDING_SOCKETS_PER_ADDRESS }, (_, i) => raw(`2001:db8:1:2::${i + 1}`));
    await Promise.all(silent.map((socket) => new Promise((resolve) => socket.once('open', resolve))));
    const closes = silent.map((socket) => new Promise<number>((resolve) => socket.once('close', (c) => resolve(c))));
    const sameNetwork = raw('2001:db8:1:2::99');
    expect(await new Promise<number>((resolve) => sameNetwork.once('close', (c) => resolve(c)))).toBe(1008);
    await open(h, undefined, from('2001:db8:1:3::1')).connected;
    // The silent ones are closed by the init timeout (4408), not by the cap.
    expect(await Promise.all(closes)).toEqual(Array(PENDING_SOCKETS_PER_ADDRESS).fill(4408));
  });
});

describe('SUBSCRIPTIONS_PER_USER counts a user’s subscriptions on all of their sockets', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({
      app: { typeDefs: [notes.typeDefs, extra.typeDefs], resolvers: [notes.resolvers, extra.resolvers], loaders: notes.loaders } as never,
      env: { SUBSCRIPTIONS_PER_SOCKET: '3', SUBSCRIPTIONS_PER_USER: '4' },
    });
  });
  afterAll(() => h.close());

  it('refuses the fifth on a second socket (LIMIT_EXCEEDED) and keeps the four; other users count apart; an ended one frees a place', async () => {
    const user = await signUp(h);
    const params = { authorization: `Bearer ${user.accessToken}` };
    const [first, second] = [open(h, params), open(h, params)];
    await Promise.all([first.connected, second.connected]);
    const listeners = h.app.events.listenerCount();
    const running = [first, first, first, second].map((socket) => socket.subscribe(NOTE_ADDED));
    await eventually(() => h.app.events.listenerCount() === listeners + 4, 'four running');
    const fifth = second.subscribe(NOTE_ADDED).received;
    await eventually(() => fifth.completed, 'the fifth refused');
    expect(fifth.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
    expect(h.app.events.listenerCount()).toBe(listeners + 4);
    expect(running.every(({ received }) => !received.completed)).toBe(true);

    const other = await signUp(h);
    const theirs = open(h, { authorization: `Bearer ${other.accessToken}` });
    await theirs.connected;
    const theirsRunning = theirs.subscribe(NOTE_ADDED).received;
    await eventually(() => h.app.events.listenerCount() === listeners + 5, "another user's subscription runs");

    running[0]?.stop();
    await eventually(() => h.app.events.listenerCount() === listeners + 4, 'one ended');
    const again = second.subscribe(NOTE_ADDED).received;
    await eventually(() => h.app.events.listenerCount() === listeners + 5, 'a freed place taken on the other socket');
    expect(again.completed).toBe(false);
    expect(theirsRunning.completed).toBe(false);
  });
});

describe('subscription fields of an application: @owner(loads: …) at the root, Query below it', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({
      app: {
        typeDefs: [notes.typeDefs, watched.typeDefs],
        resolvers: [notes.resolvers, watched.resolvers],
        loaders: notes.loaders,
      } as never,
    });
  });
  afterAll(() => h.close());

  it('refuses a non-owner at subscribe, starting nothing (UNAUTHENTICATED anonymous)', async () => {
    const author = await signUp(h);
    const other = await signUp(h);
    const privateId = await createNote(h, author.accessToken, 'mine', 'PRIVATE');
    const asOther = open(h, { authorization: `Bearer ${other.accessToken}` }).subscribe(WATCH, { id: privateId }).received;
    const anonymous = open(h).subscribe(WATCH, { id: privateId }).received;
    const asAuthor = open(h, { authorization: `Bearer ${author.accessToken}` }).subscribe(WATCH, { id: privateId }).received;
    await eventually(() => asOther.completed && anonymous.completed, 'both refused');
    expect(asOther.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    await settle(200);
    await h.app.events.publish('watch', privateId);
    await eventually(() => asAuthor.events.length === 1, 'the author gets the change');
    await settle();
    expect(asOther.events).toEqual([]);
    expect(anonymous.events).toEqual([]);
  });

  it('decides each event on the note as it is then: a note made PRIVATE stops reaching a non-owner', async () => {
    const author = await signUp(h);
    const other = await signUp(h);
    const noteId = await createNote(h, author.accessToken, 'open for now', 'PUBLIC');
    const asOther = open(h, { authorization: `Bearer ${other.accessToken}` }).subscribe(WATCH, { id: noteId }).received;
    await settle(200);
    await h.app.events.publish('watch', noteId);
    await eventually(() => asOther.events.length === 1, 'the PUBLIC note reaches anyone');
    await (h.store.db as unknown as Kysely<{ notes: { id: string; visibility: string } }>)
      .updateTable('notes')
      .set({ visibility: 'PRIVATE' })
      .where('id', '=', noteId)
      .execute();
    await h.app.events.publish('watch', noteId);
    // The re-check before the event loads the note again: the subscription is now denied and ends,
    // as one whose root field a role change denies does (src/subscriptions/connection.ts).
    await eventually(() => asOther.completed, 'the subscription ends');
    expect(asOther.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    await settle();
    expect(asOther.events).toHaveLength(1);
    expect(JSON.stringify(asOther.events.slice(1))).not.toContain('"body"');
  });

  it('refuses introspection below the root (a field returning Query), which no visible schema answers', async () => {
    // It answered from the whole schema: an anonymous subscriber got every mutation and hidden type.
    const socket = open(h);
    const nested = socket.subscribe('subscription { tick { id query { __schema { mutationType { fields { name } } } } } }').received;
    const throughFragment = socket.subscribe(
      'subscription { tick { query { ...T } } } fragment T on Query { __type(name: "AuditEvent") { name } }',
    ).received;
    await eventually(() => nested.completed && throughFragment.completed, 'both refused');
    for (const refused of [nested, throughFragment]) {
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
    }
    const plain = socket.subscribe('subscription { tick { id query { publicMessage } } }').received;
    await settle(200);
    await h.app.events.publish('tick', 't1');
    await eventually(() => plain.events.length === 1, 'a tick without introspection still arrives');
    expect(plain.events[0]?.data?.['tick']?.id).toBe('t1');
    expect(JSON.stringify([nested, throughFragment])).not.toContain('createApiKey');
  });
});

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const onPostgres = databasesUnderTest().includes('postgres') ? describe : describe.skip;
onPostgres('subscriptions on two instances sharing PostgreSQL (in-process servers)', () => {
  let database: ThrowawayDatabase;
  let a: HttpHarness;
  let b: HttpHarness;
  beforeAll(async () => {
    database = await throwawayDatabase('postgres');
    // One secret for both, as instances behind one load balancer share it.
    const env = { DATABASE_URL: (database.config as { url: string }).url, JWT_SECRET: randomSecret() };
    const app = {
      typeDefs: [notes.typeDefs, extra.typeDefs],
      resolvers: [notes.resolvers, extra.resolvers],
      loaders: notes.loaders,
    } as never;
    a = await startHttpServer({ env, app });
    b = await startHttpServer({ env, app });
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('a role change made through A ends the denied subscription on B within 2 s; a pulse published on A reaches B first', async () => {
    const admin = await makeAdmin(a);
    const feed = open(b, { authorization: `Bearer ${admin.accessToken}` }).subscribe('subscription { adminPulse { id } }').received;
    await settle(300);
    await a.app.events.publish('pulse', 'from-a');
    await eventually(() => feed.events.length === 1, 'the pulse crosses instances');
    const demotedAt = Date.now();
    await demote(a, admin.id);
    await eventually(() => feed.completed, 'ended on B', 2_000);
    expect(Date.now() - demotedAt).toBeLessThan(2_000);
    expect(feed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('a user disabled through A loses their socket on B within 2 s', async () => {
    const user = await signUp(a);
    const socket = open(b, { authorization: `Bearer ${user.accessToken}` });
    socket.subscribe(NOTE_ADDED);
    await socket.connected;
    const disabledAt = Date.now();
    await setUserDisabled(a.store.db, user.id, new Date());
    expect((await socket.closed).code).toBe(4401);
    expect(Date.now() - disabledAt).toBeLessThan(2_000);
  });
});
