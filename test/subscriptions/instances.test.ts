/*
 * Subscriptions across two gatehouse processes on one database (the demo `npm start` serves):
 * an event published on A reaches subscribers on B (through the event log: woken by NOTIFY on
 * PostgreSQL, by data_version on SQLite), each under its own rules, and on PostgreSQL also when
 * B's listening connection was down meanwhile; a credential ended through A ends B's sockets
 * within 2 s; SIGTERM gives every socket a close frame.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase, databaseUrlOf } from '../helpers/databases';
import { randomSecret } from '../helpers/http';
import { gql, registerProcessCleanup, type Running, startServer } from '../helpers/process';
import { eventually, openSocket, type Socket } from '../helpers/ws';

registerProcessCleanup({ per: 'file' });

const SIGN_UP =
  'mutation ($email: String!) { signUp(email: $email, password: "correct horse battery staple") { accessToken user { id } } }';
const NOTE_ADDED = 'subscription { noteAdded { id title } }';
const CREATE_NOTE =
  'mutation ($title: String!, $visibility: Visibility) { createNote(title: $title, body: "b", visibility: $visibility) { id } }';

describe.each(databasesUnderTest())('subscriptions across two instances on one %s database', (dialect) => {
  let database: ThrowawayDatabase;
  let a: Running;
  let b: Running;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const vars = {
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrlOf(database.config),
      JWT_SECRET: randomSecret(),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'warn',
      SIGNUPS_PER_ADDRESS: '1000',
    };
    [a, b] = await Promise.all([
      startServer({ ...vars, DATA_DIR: '/nonexistent-a' }),
      startServer({ ...vars, DATA_DIR: '/nonexistent-b' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    for (const running of [a, b]) running?.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await database?.drop();
  });

  function open(on: Running, params?: Record<string, unknown>): Socket {
    const socket = openSocket(on.url, params);
    sockets.push(socket);
    return socket;
  }

  async function signUp(on: Running) {
    const response = await gql(on.url, SIGN_UP, { email: `user-${randomUUID()}@example.test` });
    expect(response.body.errors).toBeUndefined();
    return response.body.data!['signUp'] as { accessToken: string; user: { id: string } };
  }

  it('delivers a note created on A to subscribers on B, each under its own rules', async () => {
    const author = await signUp(a);
    const anonymous = open(b).subscribe(NOTE_ADDED).received;
    const asAuthor = open(b, { authorization: `Bearer ${author.accessToken}` }).subscribe(NOTE_ADDED).received;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const auth = { authorization: `Bearer ${author.accessToken}` };
    const shown = await gql(a.url, CREATE_NOTE, { title: 'public', visibility: 'PUBLIC' }, auth);
    const hidden = await gql(a.url, CREATE_NOTE, { title: 'private', visibility: 'PRIVATE' }, auth);
    const publicId = shown.body.data?.['createNote'].id;
    const privateId = hidden.body.data?.['createNote'].id;
    await eventually(() => asAuthor.events.length === 2, 'the author gets both notes on B');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(asAuthor.events.map((e) => e.data?.['noteAdded'].id)).toEqual([publicId, privateId]);
    expect(anonymous.events).toEqual([{ data: { noteAdded: { id: publicId, title: 'public' } } }]);
  });

  (dialect === 'postgres' ? it : it.skip)(
    "delivers to B's subscriber the notes created on A while B's event listener was down, after it reconnects, in order, once",
    async () => {
      const author = await signUp(a);
      const auth = { authorization: `Bearer ${author.accessToken}` };
      const received = open(b, auth).subscribe(NOTE_ADDED).received;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const admin = new Client({ connectionString: databaseUrlOf(database.config) });
      await admin.connect();
      const created: string[] = [];
      try {
        // Killed again and again (each instance reconnects after 100, 200, 400 ms…) while notes are created.
        for (let i = 0; i < 10; i++) {
          const killed = await admin.query(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gatehouse-event-listener' and datname = current_database()",
          );
          if (i === 0) expect(killed.rowCount).toBe(2);
          const note = await gql(a.url, CREATE_NOTE, { title: `down-${i}`, visibility: 'PRIVATE' }, auth);
          created.push(note.body.data?.['createNote'].id);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
      } finally {
        await admin.end();
      }
      await eventually(() => received.events.length >= created.length, 'every note created while the listener was down', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.events.map((e) => e.data?.['noteAdded'].id)).toEqual(created);
    },
  );

  it('closes on B, within 2 s, the socket of a key revoked on A', async () => {
    const user = await signUp(a);
    const auth = { authorization: `Bearer ${user.accessToken}` };
    const created = await gql(a.url, 'mutation { createApiKey(name: "ws") { secret apiKey { id } } }', {}, auth);
    const { secret, apiKey } = created.body.data!['createApiKey'] as { secret: string; apiKey: { id: string } };
    const socket = open(b, { 'x-api-key': secret });
    socket.subscribe(NOTE_ADDED);
    await socket.connected;
    const revokedAt = Date.now();
    const revoked = await gql(a.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id: apiKey.id }, auth);
    expect(revoked.body.errors).toBeUndefined();
    expect((await socket.closed).code).toBe(4401);
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
  });

  it("ends on B, within 2 s, an organization's subscription of a member removed on A; no later event reaches it", async () => {
    const owner = await signUp(a);
    const member = await signUp(a);
    const asOwner = { authorization: `Bearer ${owner.accessToken}` };
    const created = await gql(a.url, 'mutation { createOrganization(name: "across") { id } }', {}, asOwner);
    const org = created.body.data?.['createOrganization'].id as string;
    const email = (await gql(a.url, '{ me { email } }', {}, { authorization: `Bearer ${member.accessToken}` })).body.data?.['me'].email;
    const added = await gql(
      a.url,
      'mutation ($o: ID!, $e: String!) { addMember(organizationId: $o, email: $e) { role } }',
      { o: org, e: email },
      asOwner,
    );
    expect(added.body.errors).toBeUndefined();
    const feed = open(b, { authorization: `Bearer ${member.accessToken}` }).subscribe(
      'subscription ($o: ID!) { organizationNoteAdded(organizationId: $o) { title } }',
      { o: org },
    ).received;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const write = 'mutation ($o: ID!, $t: String!) { createOrganizationNote(organizationId: $o, title: $t, body: "b") { id } }';
    await gql(a.url, write, { o: org, t: 'first' }, asOwner);
    await eventually(() => feed.events.length === 1, 'the member hears of the note on B');
    const removedAt = Date.now();
    const removed = await gql(
      a.url,
      'mutation ($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }',
      { o: org, u: member.user.id },
      asOwner,
    );
    expect(removed.body).toEqual({ data: { removeMember: true } });
    await eventually(() => feed.completed, 'the subscription on B ends', 2_000);
    expect(Date.now() - removedAt).toBeLessThan(2_000);
    expect(feed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    await gql(a.url, write, { o: org, t: 'second' }, asOwner);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(feed.events).toEqual([{ data: { organizationNoteAdded: { title: 'first' } } }]);
  });

  it('closes on B, within 2 s, the socket of a session ended on A (logoutEverywhere)', async () => {
    const user = await signUp(a);
    const socket = open(b, { authorization: `Bearer ${user.accessToken}` });
    socket.subscribe(NOTE_ADDED);
    await socket.connected;
    const endedAt = Date.now();
    const out = await gql(a.url, 'mutation { logoutEverywhere }', {}, { authorization: `Bearer ${user.accessToken}` });
    expect(out.body).toEqual({ data: { logoutEverywhere: true } });
    expect((await socket.closed).code).toBe(4401);
    expect(Date.now() - endedAt).toBeLessThan(2_000);
  });

  it('on SIGTERM sends every socket a close frame (1001) and exits 0', async () => {
    const first = open(b);
    const second = open(b);
    first.subscribe(NOTE_ADDED);
    await Promise.all([first.connected, second.connected]);
    b.child.kill('SIGTERM');
    expect(await first.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect((await second.closed).code).toBe(1001);
    expect(await b.exited).toEqual({ code: 0, signal: null });
  });
});
