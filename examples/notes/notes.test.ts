import { createTestKit, type ExecuteResult, manualClock, type TestKit, type TestUser } from 'gatehouse/testing';
import { loaders, migrations, resolvers, typeDefs } from './index';
import { CREATE_LIMIT } from './resolvers';

/*
 * Notes through Apollo's executeOperation: createNote, notes (visibility and pagination), note(id),
 * deleteNote (ownership) and Note.author.
 */

const CREATE = /* GraphQL */ `
  mutation Create($title: String!, $body: String!, $visibility: Visibility) {
    createNote(title: $title, body: $body, visibility: $visibility) {
      id title body visibility createdAt
      author { id name }
    }
  }
`;
const CREATE_DEFAULT = /* GraphQL */ `
  mutation CreateDefault($title: String!, $body: String!) {
    createNote(title: $title, body: $body) { id visibility }
  }
`;
const NOTES = /* GraphQL */ `
  query Notes($first: Int, $after: String) {
    notes(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id title visibility author { id } } }
    }
  }
`;
const NOTE = /* GraphQL */ `
  query Note($id: ID!) {
    note(id: $id) { id title body visibility author { id name } }
  }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($id: ID!) {
    deleteNote(id: $id)
  }
`;

interface NoteView {
  id: string;
  title: string;
  body: string;
  visibility: 'PUBLIC' | 'PRIVATE';
  createdAt: string;
  author: { id: string; name: string | null };
}
interface NotesPage {
  notes: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; title: string; visibility: string; author: { id: string } } }[];
  } | null;
}

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

function expectOnlyError(result: ExecuteResult<unknown>, code: string, path?: readonly (string | number)[]): void {
  expect(result.codes).toEqual([code]);
  if (path !== undefined) expect(result.errors?.[0]?.path).toEqual(path);
}

async function countNotes(kit: TestKit): Promise<number> {
  const row = await kit.db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function noteRow(kit: TestKit, id: string) {
  return kit.db.selectFrom('notes').selectAll().where('id', '=', id).executeTakeFirst();
}

async function createNote(
  kit: TestKit,
  as: TestUser,
  title: string,
  visibility: 'PUBLIC' | 'PRIVATE',
  body = `${title} body`,
): Promise<NoteView> {
  const result = await kit.execute<{ createNote: NoteView | null }>(CREATE, { variables: { title, body, visibility }, as });
  expect(result.errors).toBeUndefined();
  const note = result.data?.createNote;
  if (!note) throw new Error('createNote returned nothing');
  return note;
}

// ---------------------------------------------------------------------------------------------

describe('createNote per account (every note is an event for every noteAdded subscriber)', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  beforeAll(async () => {
    clock = manualClock();
    kit = await createTestKit({ typeDefs, resolvers, loaders, migrations, now: clock.now });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('refuses a note past CREATE_LIMIT within the window with RATE_LIMITED and retryAfter, storing nothing; other accounts and a later window are not affected', async () => {
    const busy = await kit.createUser();
    const other = await kit.createUser();
    for (let i = 0; i < CREATE_LIMIT.perAccount; i++) {
      await createNote(kit, busy, `n${i}`, 'PUBLIC');
      clock.advance(100);
    }
    const before = await countNotes(kit);
    const refused = await kit.execute<{ createNote: unknown }>(CREATE, { variables: { title: 'one more', body: 'b' }, as: busy });
    expectOnlyError(refused, 'RATE_LIMITED', ['createNote']);
    expect(refused.errors?.[0]?.extensions?.['retryAfter']).toBe(CREATE_LIMIT.windowSeconds);
    expect(refused.data?.createNote ?? null).toBeNull();
    expect(await countNotes(kit)).toBe(before);
    await createNote(kit, other, 'still fine', 'PUBLIC');
    clock.advance(CREATE_LIMIT.windowSeconds * 1000);
    await createNote(kit, busy, 'next window', 'PUBLIC');
  });
});

describe('createNote', () => {
  let kit: TestKit;
  let clock: ReturnType<typeof manualClock>;
  let alice: TestUser;
  beforeAll(async () => {
    clock = manualClock();
    kit = await createTestKit({ typeDefs, resolvers, loaders, migrations, now: clock.now });
    alice = await kit.createUser({ name: 'Alice' });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('is PRIVATE unless said otherwise', async () => {
    const result = await kit.execute<{ createNote: { id: string; visibility: string } | null }>(CREATE_DEFAULT, {
      variables: { title: 'Groceries', body: 'milk' },
      as: alice,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createNote?.visibility).toBe('PRIVATE');
    expect((await noteRow(kit, result.data?.createNote?.id ?? ''))?.visibility).toBe('PRIVATE');
  });

  test('an explicit null visibility is PRIVATE too', async () => {
    const result = await kit.execute<{ createNote: NoteView | null }>(CREATE, {
      variables: { title: 'T', body: 'B', visibility: null },
      as: alice,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createNote?.visibility).toBe('PRIVATE');
  });

  test('stores and returns the note with its author and creation time', async () => {
    const note = await createNote(kit, alice, 'Launch plan', 'PUBLIC', 'step 1\nstep 2');
    expect(note).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Launch plan',
      body: 'step 1\nstep 2',
      visibility: 'PUBLIC',
      createdAt: clock.now().toISOString(),
      author: { id: alice.user.id, name: 'Alice' },
    });
    expect(await noteRow(kit, note.id)).toMatchObject({
      author_id: alice.user.id,
      title: 'Launch plan',
      body: 'step 1\nstep 2',
      visibility: 'PUBLIC',
    });
  });

  test('accepts a 200-character title and a 20,000-character body', async () => {
    const note = await createNote(kit, alice, 't'.repeat(200), 'PRIVATE', 'b'.repeat(20_000));
    expect(note.title).toHaveLength(200);
    expect(note.body).toHaveLength(20_000);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['empty title', { title: '', body: 'b' }, 'title'],
    ['blank title', { title: '   \n\t', body: 'b' }, 'title'],
    ['201-character title', { title: 't'.repeat(201), body: 'b' }, 'title'],
    ['1 MB title', { title: 't'.repeat(1_000_000), body: 'b' }, 'title'],
    ['empty body', { title: 't', body: '' }, 'body'],
    ['blank body', { title: 't', body: '   ' }, 'body'],
    ['20,001-character body', { title: 't', body: 'b'.repeat(20_001) }, 'body'],
    ['1 MB body', { title: 't', body: 'b'.repeat(1_000_000) }, 'body'],
  ])('%s is BAD_USER_INPUT and stores nothing', async (_label, variables, argument) => {
    const before = await countNotes(kit);
    const result = await kit.execute<{ createNote: unknown }>(CREATE, { variables, as: alice });
    expectOnlyError(result, 'BAD_USER_INPUT', ['createNote']);
    expect(result.errors?.[0]?.extensions?.['argument']).toBe(argument);
    expect(result.data?.createNote ?? null).toBeNull();
    expect(await countNotes(kit)).toBe(before);
  });

  test.each<[string, Record<string, unknown>]>([
    ['visibility is not a Visibility', { title: 't', body: 'b', visibility: 'SECRET' }],
    ['visibility is lower case', { title: 't', body: 'b', visibility: 'public' }],
    ['title is a number', { title: 42, body: 'b' }],
    ['body is an object', { title: 't', body: { text: 'b' } }],
    ['title is null', { title: null, body: 'b' }],
    ['body is missing', { title: 't' }],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT and store nothing', async (_label, variables) => {
    const before = await countNotes(kit);
    const result = await kit.execute(CREATE, { variables, as: alice });
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
    expect(await countNotes(kit)).toBe(before);
  });

  test('an anonymous caller is UNAUTHENTICATED and nothing is stored', async () => {
    const before = await countNotes(kit);
    const result = await kit.execute<{ createNote: unknown }>(CREATE_DEFAULT, { variables: { title: 'anon', body: 'x' } });
    expectOnlyError(result, 'UNAUTHENTICATED', ['createNote']);
    expect(result.data?.createNote ?? null).toBeNull();
    expect(await countNotes(kit)).toBe(before);
  });

  test('authorId: only an ADMIN may supply it (refused before anything runs); an unknown one is BAD_USER_INPUT', async () => {
    const admin = await kit.createUser({ role: 'ADMIN' });
    const bob = await kit.createUser({ name: 'Bob' });
    const forAuthor = 'mutation ($a: ID) { createNote(title: "t", body: "b", authorId: $a) { author { id } } }';
    const before = await countNotes(kit);
    const refused = await kit.execute<{ createNote: unknown }>(forAuthor, { variables: { a: alice.user.id }, as: bob });
    expectOnlyError(refused, 'FORBIDDEN', ['createNote']);
    expect(refused.data).toBeUndefined();
    expect(await countNotes(kit)).toBe(before);
    const made = await kit.execute<{ createNote: { author: { id: string } } }>(forAuthor, { variables: { a: alice.user.id }, as: admin });
    expect(made.data?.createNote.author.id).toBe(alice.user.id);
    const unknown = await kit.execute(forAuthor, { variables: { a: '00000000-0000-4000-8000-000000000000' }, as: admin });
    expectOnlyError(unknown, 'BAD_USER_INPUT', ['createNote']);
    // Not supplying it (the variable not given) is no use of it: bob writes his own note.
    const own = await kit.execute<{ createNote: { author: { id: string } } }>(forAuthor, { as: bob });
    expect(own.data?.createNote.author.id).toBe(bob.user.id);
  });
});

// ---------------------------------------------------------------------------------------------

describe('notes (list)', () => {
  let kit: TestKit;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let admin: TestUser;
  /** Titles in creation order (one second apart). */
  const titles = {
    alicePublic: 'alice public',
    alicePrivate: 'alice private',
    bobPublic: 'bob public',
    bobPrivate: 'bob private',
    adminPrivate: 'admin private',
  };

  beforeAll(async () => {
    const clock = manualClock();
    kit = await createTestKit({ typeDefs, resolvers, loaders, migrations, now: clock.now });
    alice = await kit.createUser();
    bob = await kit.createUser();
    carol = await kit.createUser();
    admin = await kit.createUser({ role: 'ADMIN' });
    for (const [who, title, visibility] of [
      [alice, titles.alicePublic, 'PUBLIC'],
      [alice, titles.alicePrivate, 'PRIVATE'],
      [bob, titles.bobPublic, 'PUBLIC'],
      [bob, titles.bobPrivate, 'PRIVATE'],
      [admin, titles.adminPrivate, 'PRIVATE'],
    ] as const) {
      await createNote(kit, who, title, visibility);
      clock.advance(1_000);
    }
  });
  afterAll(async () => {
    await kit.close();
  });

  async function list(as: TestUser | null, variables: Record<string, unknown> = {}) {
    return kit.execute<NotesPage>(NOTES, { variables, as });
  }

  test('an anonymous caller sees only PUBLIC notes, oldest first', async () => {
    const result = await list(null);
    expect(result.errors).toBeUndefined();
    expect(result.data?.notes?.edges.map((edge) => edge.node.title)).toEqual([titles.alicePublic, titles.bobPublic]);
    expect(result.data?.notes?.totalCount).toBe(2);
  });

  test('a signed-in caller sees PUBLIC notes and their own PRIVATE ones, never another\u2019s PRIVATE', async () => {
    const asAlice = await list(alice);
    expect(asAlice.errors).toBeUndefined();
    expect(asAlice.data?.notes?.edges.map((edge) => edge.node.title)).toEqual([titles.alicePublic, titles.alicePrivate, titles.bobPublic]);
    expect(asAlice.data?.notes?.totalCount).toBe(3);

    const asBob = await list(bob);
    expect(asBob.data?.notes?.edges.map((edge) => edge.node.title)).toEqual([titles.alicePublic, titles.bobPublic, titles.bobPrivate]);
    expect(asBob.data?.notes?.totalCount).toBe(3);
  });

  test('a user without notes sees only PUBLIC ones', async () => {
    const result = await list(carol);
    expect(result.data?.notes?.edges.map((edge) => edge.node.visibility)).toEqual(['PUBLIC', 'PUBLIC']);
    expect(result.data?.notes?.totalCount).toBe(2);
  });

  test('the list is PUBLIC notes plus the caller\u2019s own for an ADMIN too', async () => {
    const result = await list(admin);
    expect(result.data?.notes?.edges.map((edge) => edge.node.title)).toEqual([titles.alicePublic, titles.bobPublic, titles.adminPrivate]);
    expect(result.data?.notes?.totalCount).toBe(3);
  });

  test('pages with first/after: totalCount, hasNextPage and endCursor, each note once, and no one else\u2019s PRIVATE note', async () => {
    const seen: string[] = [];
    const pages: boolean[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const result = await list(alice, { first: 1, after });
      expect(result.errors).toBeUndefined();
      const notes = result.data?.notes;
      if (!notes) throw new Error('no notes page');
      expect(notes.totalCount).toBe(3);
      expect(notes.edges).toHaveLength(1);
      expect(notes.pageInfo.endCursor).toBe(notes.edges[0]?.cursor);
      seen.push(...notes.edges.map((edge) => edge.node.title));
      pages.push(notes.pageInfo.hasNextPage);
      if (!notes.pageInfo.hasNextPage) break;
      after = notes.pageInfo.endCursor;
    }
    expect(pages).toEqual([true, true, false]);
    expect(seen).toEqual([titles.alicePublic, titles.alicePrivate, titles.bobPublic]);
  });

  test('a cursor from alice\u2019s list does not reveal alice\u2019s PRIVATE note to an anonymous caller', async () => {
    const first = await list(alice, { first: 1 });
    const cursor = first.data?.notes?.pageInfo.endCursor;
    const result = await list(null, { first: 10, after: cursor });
    expect(result.errors).toBeUndefined();
    expect(result.data?.notes?.edges.map((edge) => edge.node.title)).toEqual([titles.bobPublic]);
  });

  test('past the end: no edges, hasNextPage false, endCursor null', async () => {
    const all = await list(alice, { first: 100 });
    const result = await list(alice, { first: 5, after: all.data?.notes?.pageInfo.endCursor });
    expect(result.data?.notes).toEqual({ totalCount: 3, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  test.each([0, -5, 101])('first: %d is BAD_USER_INPUT at ["notes"]', async (first) => {
    const result = await list(alice, { first });
    expectOnlyError(result, 'BAD_USER_INPUT', ['notes']);
    expect(result.data ?? null).toBeNull();
  });

  test.each([
    ['empty', ''],
    ['not base64url', '%%%'],
    ['base64url of garbage', Buffer.from('hello world', 'utf8').toString('base64url')],
    ['a bad date', Buffer.from('2026-13-45T00:00:00.000Z|x', 'utf8').toString('base64url')],
    ['1 MB', 'A'.repeat(1_000_000)],
  ])('a malformed after cursor (%s) is BAD_USER_INPUT at ["notes"]', async (_label, after) => {
    const result = await list(null, { after });
    expectOnlyError(result, 'BAD_USER_INPUT', ['notes']);
  });

  test.each<[string, Record<string, unknown>]>([
    ['first is a string', { first: 'ten' }],
    ['first is a float', { first: 2.5 }],
    ['after is a boolean', { after: false }],
  ])('wrongly typed variables (%s) are BAD_USER_INPUT', async (_label, variables) => {
    const result = await list(null, variables);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe('note(id)', () => {
  let kit: TestKit;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;
  let alicePrivate: NoteView;
  let alicePublic: NoteView;
  beforeAll(async () => {
    kit = await createTestKit({ typeDefs, resolvers, loaders, migrations });
    alice = await kit.createUser({ name: 'Alice' });
    bob = await kit.createUser();
    admin = await kit.createUser({ role: 'ADMIN' });
    alicePrivate = await createNote(kit, alice, 'diary', 'PRIVATE', 'dear diary, the vault code is 1234');
    alicePublic = await createNote(kit, alice, 'announcement', 'PUBLIC');
  });
  afterAll(async () => {
    await kit.close();
  });

  async function read(id: unknown, as: TestUser | null | ReturnType<TestKit['contextFor']>) {
    return kit.execute<{ note: Omit<NoteView, 'createdAt'> | null }>(NOTE, { variables: { id }, as });
  }

  test('the author reads their own PRIVATE note', async () => {
    const result = await read(alicePrivate.id, alice);
    expect(result.errors).toBeUndefined();
    expect(result.data?.note).toMatchObject({ id: alicePrivate.id, body: alicePrivate.body, visibility: 'PRIVATE' });
  });

  test('anyone, even anonymous, reads a PUBLIC note', async () => {
    for (const as of [null, bob]) {
      const result = await read(alicePublic.id, as);
      expect(result.errors).toBeUndefined();
      expect(result.data?.note).toMatchObject({ id: alicePublic.id, title: 'announcement', author: { id: alice.user.id, name: 'Alice' } });
    }
  });

  test('another user reading a PRIVATE note gets null and FORBIDDEN at ["note"], without the content', async () => {
    const result = await read(alicePrivate.id, bob);
    expectOnlyError(result, 'FORBIDDEN', ['note']);
    expect(result.data?.note).toBeNull();
    expect(JSON.stringify(result)).not.toContain('vault code');
    expect(JSON.stringify(result)).not.toContain('diary');
  });

  test('the rest of the query still resolves next to the refused note', async () => {
    const result = await kit.execute<{ publicMessage: string; secret: unknown; open: { id: string } | null }>(
      'query($a: ID!, $b: ID!) { publicMessage secret: note(id: $a) { id } open: note(id: $b) { id } }',
      { variables: { a: alicePrivate.id, b: alicePublic.id }, as: bob },
    );
    expectOnlyError(result, 'FORBIDDEN', ['secret']);
    expect(result.data?.secret).toBeNull();
    expect(result.data?.open).toEqual({ id: alicePublic.id });
    expect(typeof result.data?.publicMessage).toBe('string');
  });

  test('an anonymous caller reading a PRIVATE note gets null and UNAUTHENTICATED at ["note"]', async () => {
    const result = await read(alicePrivate.id, null);
    expectOnlyError(result, 'UNAUTHENTICATED', ['note']);
    expect(result.data?.note).toBeNull();
    expect(JSON.stringify(result)).not.toContain('vault code');
  });

  test('an ADMIN reads another user\u2019s PRIVATE note', async () => {
    const result = await read(alicePrivate.id, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data?.note?.body).toBe(alicePrivate.body);
  });

  test('an ADMIN context built by hand reads another user\u2019s PRIVATE note', async () => {
    const result = await read(alicePrivate.id, kit.contextFor({ id: admin.user.id, roles: ['ADMIN'], via: 'api-key' }));
    expect(result.errors).toBeUndefined();
    expect(result.data?.note?.id).toBe(alicePrivate.id);
  });

  test('the id is accepted in upper case', async () => {
    const result = await read(alicePublic.id.toUpperCase(), null);
    expect(result.errors).toBeUndefined();
    expect(result.data?.note?.id).toBe(alicePublic.id);
  });

  test('an unknown id is null without an error', async () => {
    const result = await read(UNKNOWN_ID, alice);
    expect(result.errors).toBeUndefined();
    expect(result.data?.note).toBeNull();
  });

  test.each([
    ['empty', ''],
    ['not a uuid', 'note-1'],
    ['SQL', "x' OR '1'='1"],
    ['10,000 characters', 'a'.repeat(10_000)],
  ])('a malformed id (%s) is BAD_USER_INPUT at ["note"]', async (_label, id) => {
    const result = await read(id, alice);
    expectOnlyError(result, 'BAD_USER_INPUT', ['note']);
    expect(result.data?.note).toBeNull();
  });

  test.each<[string, unknown]>([
    ['a boolean', true],
    ['null', null],
    ['an object', { id: 'x' }],
  ])('a wrongly typed id variable (%s) is BAD_USER_INPUT', async (_label, id) => {
    const result = await read(id, alice);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(result.data ?? null).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe('deleteNote', () => {
  let kit: TestKit;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;
  beforeEach(async () => {
    kit = await createTestKit({ typeDefs, resolvers, loaders, migrations });
    alice = await kit.createUser();
    bob = await kit.createUser();
    admin = await kit.createUser({ role: 'ADMIN' });
  });
  afterEach(async () => {
    await kit.close();
  });

  async function remove(id: unknown, as: TestUser | null) {
    return kit.execute<{ deleteNote: boolean | null }>(DELETE, { variables: { id }, as });
  }

  test('the author deletes their note: true, and it is gone', async () => {
    const note = await createNote(kit, alice, 'mine', 'PRIVATE');
    const result = await remove(note.id, alice);
    expect(result.errors).toBeUndefined();
    expect(result.data?.deleteNote).toBe(true);
    expect(await noteRow(kit, note.id)).toBeUndefined();
    const after = await kit.execute<{ note: unknown }>(NOTE, { variables: { id: note.id }, as: alice });
    expect(after.data?.note).toBeNull();
  });

  test.each(['PUBLIC', 'PRIVATE'] as const)(
    'another user deleting a %s note is FORBIDDEN and the note is unchanged',
    async (visibility) => {
      const note = await createNote(kit, alice, 'not yours', visibility);
      const before = await noteRow(kit, note.id);

      const result = await remove(note.id, bob);
      expectOnlyError(result, 'FORBIDDEN', ['deleteNote']);
      expect(result.data?.deleteNote ?? null).toBeNull();
      expect(await noteRow(kit, note.id)).toEqual(before);
      expect(await countNotes(kit)).toBe(1);
    },
  );

  test('another user deleting through their API key is FORBIDDEN and the note stays', async () => {
    const note = await createNote(kit, alice, 'not yours', 'PUBLIC');
    const bobKey = await kit.createApiKey(bob);
    const result = await kit.execute(DELETE, { variables: { id: note.id }, as: bobKey });
    expectOnlyError(result, 'FORBIDDEN', ['deleteNote']);
    expect(await noteRow(kit, note.id)).toBeDefined();
  });

  test('an ADMIN deletes anyone\u2019s note', async () => {
    const note = await createNote(kit, alice, 'moderated', 'PRIVATE');
    const result = await remove(note.id, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data?.deleteNote).toBe(true);
    expect(await noteRow(kit, note.id)).toBeUndefined();
  });

  test('a MODERATOR deletes anyone\u2019s note; the same user before it was granted MODERATOR could not', async () => {
    const note = await createNote(kit, alice, 'moderated', 'PRIVATE');
    const moderator = await kit.createUser({ roles: ['MODERATOR'] });
    expect(moderator.user.role).toBe('MODERATOR');
    expectOnlyError(await remove(note.id, bob), 'FORBIDDEN', ['deleteNote']);
    const result = await remove(note.id, moderator);
    expect(result.errors).toBeUndefined();
    expect(result.data?.deleteNote).toBe(true);
    expect(await noteRow(kit, note.id)).toBeUndefined();
  });

  test('an anonymous caller is UNAUTHENTICATED and the note stays', async () => {
    const note = await createNote(kit, alice, 'keep', 'PUBLIC');
    const result = await remove(note.id, null);
    expectOnlyError(result, 'UNAUTHENTICATED', ['deleteNote']);
    expect(await noteRow(kit, note.id)).toBeDefined();
  });

  test('an unknown id is NOT_FOUND, and so is deleting twice', async () => {
    expectOnlyError(await remove(UNKNOWN_ID, alice), 'NOT_FOUND', ['deleteNote']);
    const note = await createNote(kit, alice, 'once', 'PRIVATE');
    expect((await remove(note.id, alice)).data?.deleteNote).toBe(true);
    expectOnlyError(await remove(note.id, alice), 'NOT_FOUND', ['deleteNote']);
  });

  test.each([
    ['empty', ''],
    ['not a uuid', '123'],
    ['SQL', "'; DROP TABLE notes; --"],
    ['10,000 characters', 'b'.repeat(10_000)],
  ])('a malformed id (%s) is BAD_USER_INPUT and nothing is deleted', async (_label, id) => {
    await createNote(kit, alice, 'keep', 'PRIVATE');
    const result = await remove(id, alice);
    expectOnlyError(result, 'BAD_USER_INPUT', ['deleteNote']);
    expect(await countNotes(kit)).toBe(1);
  });

  test.each<[string, unknown]>([
    ['a boolean', false],
    ['null', null],
    ['a float', 1.5],
  ])('a wrongly typed id variable (%s) is BAD_USER_INPUT and nothing is deleted', async (_label, id) => {
    await createNote(kit, alice, 'keep', 'PRIVATE');
    const result = await remove(id, alice);
    expect(result.codes).toEqual(['BAD_USER_INPUT']);
    expect(await countNotes(kit)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Note.author', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await createTestKit({ typeDefs, resolvers, loaders, migrations });
  });
  afterAll(async () => {
    await kit.close();
  });

  test('each note in a list resolves to its own author', async () => {
    const alice = await kit.createUser({ name: 'Alice' });
    const bob = await kit.createUser({ name: 'Bob' });
    await createNote(kit, alice, 'a1', 'PUBLIC');
    await createNote(kit, bob, 'b1', 'PUBLIC');
    await createNote(kit, alice, 'a2', 'PUBLIC');

    const result = await kit.execute<{
      notes: { edges: { node: { title: string; author: { id: string; name: string | null; role: string } } }[] };
    }>('{ notes(first: 10) { edges { node { title author { id name role } } } } }');
    expect(result.errors).toBeUndefined();
    const byTitle = Object.fromEntries((result.data?.notes.edges ?? []).map((edge) => [edge.node.title, edge.node.author]));
    expect(byTitle).toEqual({
      a1: { id: alice.user.id, name: 'Alice', role: 'USER' },
      b1: { id: bob.user.id, name: 'Bob', role: 'USER' },
      a2: { id: alice.user.id, name: 'Alice', role: 'USER' },
    });
  });

  test('the author reads their own email through Note.author; another user gets FORBIDDEN at that path', async () => {
    const alice = await kit.createUser();
    const bob = await kit.createUser();
    const note = await createNote(kit, alice, 'shared', 'PUBLIC');
    const query = 'query($id: ID!) { note(id: $id) { author { email } } }';

    const own = await kit.execute<{ note: { author: { email: string | null } } | null }>(query, { variables: { id: note.id }, as: alice });
    expect(own.errors).toBeUndefined();
    expect(own.data?.note?.author.email).toBe(alice.user.email);

    const other = await kit.execute<{ note: { author: { email: string | null } } | null }>(query, { variables: { id: note.id }, as: bob });
    expectOnlyError(other, 'FORBIDDEN', ['note', 'author', 'email']);
    expect(other.data?.note?.author.email).toBeNull();
  });
});
