import { newId } from '../../../src/store/ids';
import { countVisibleNotes, deleteNote, findNoteById, insertNote, listVisibleNotes, type NoteRecord } from '../../../examples/notes/store';
import type { NotesDb, Visibility as StoredVisibility } from '../../../examples/notes/store';
import { migrations } from '../../../examples/notes/migrations';
import type { UserRecord } from '../../../src/store/users';
import { databasesUnderTest } from '../../helpers/databases';
import { aUser, at, byCreatedThenId, freshStore, walk } from '../../helpers/store';

/*
 * examples/notes/store.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('the notes example store on %s', (dialect) => {
  describe('notes', () => {
    const s = freshStore(dialect, migrations);
    const notesDb = () => s.db() as unknown as NotesDb;
    let alice: UserRecord;
    let bob: UserRecord;
    let carol: UserRecord;
    const notes: NoteRecord[] = [];

    const aNote = (author: UserRecord, visibility: StoredVisibility, iso: string, title: string) =>
      insertNote(notesDb(), { id: newId(), authorId: author.id, title, body: `body of ${title}`, visibility, now: at(iso) });

    beforeAll(async () => {
      alice = await aUser(s.db(), { email: 'alice@example.com' });
      bob = await aUser(s.db(), { email: 'bob@example.com' });
      carol = await aUser(s.db(), { email: 'carol@example.com' }); // writes nothing
      const plan: Array<[UserRecord, StoredVisibility, string]> = [
        [alice, 'PUBLIC', '2026-04-01T00:00:00.000Z'],
        [alice, 'PRIVATE', '2026-04-01T00:00:00.000Z'],
        [bob, 'PRIVATE', '2026-04-01T00:00:00.000Z'],
        [bob, 'PUBLIC', '2026-04-01T00:00:00.000Z'],
        [alice, 'PRIVATE', '2026-04-02T00:00:00.000Z'],
        [bob, 'PUBLIC', '2026-04-03T00:00:00.000Z'],
        [bob, 'PRIVATE', '2026-04-04T00:00:00.000Z'],
        [alice, 'PUBLIC', '2026-04-05T00:00:00.000Z'],
        [bob, 'PUBLIC', '2026-04-05T00:00:00.000Z'],
        [alice, 'PRIVATE', '2026-04-06T00:00:00.000Z'],
      ];
      for (const [i, [author, visibility, iso]] of plan.entries()) notes.push(await aNote(author, visibility, iso, `note ${i}`));
    });

    it('inserts a note and finds it by id', async () => {
      const id = newId();
      const created = at('2026-04-07T07:07:07.707Z');
      const note = await insertNote(notesDb(), {
        id,
        authorId: carol.id,
        title: 'Ünïcode ✓',
        body: 'line 1\nline 2',
        visibility: 'PRIVATE',
        now: created,
      });
      const expected: NoteRecord = {
        id,
        authorId: carol.id,
        title: 'Ünïcode ✓',
        body: 'line 1\nline 2',
        visibility: 'PRIVATE',
        createdAt: created,
        organizationId: null,
      };
      expect(note).toEqual(expected);
      expect(await findNoteById(notesDb(), id)).toEqual(expected);
      expect(await findNoteById(notesDb(), newId())).toBeUndefined();
      expect(await deleteNote(notesDb(), id)).toBe(true); // leave the fixture as it was
    });

    it('shows anonymous readers only PUBLIC notes, oldest first, paged', async () => {
      const expected = notes.filter((n) => n.visibility === 'PUBLIC').sort(byCreatedThenId);
      expect(expected).toHaveLength(5);
      expect(await listVisibleNotes(notesDb(), null, 100, null)).toEqual(expected);
      expect(await countVisibleNotes(notesDb(), null)).toBe(expected.length);
      for (const pageSize of [1, 2, 3]) {
        const { items } = await walk(pageSize, (limit, after) => listVisibleNotes(notesDb(), null, limit, after));
        expect(items.map((n) => n.id)).toEqual(expected.map((n) => n.id));
      }
    });

    it.each([
      ['alice', () => alice, 8],
      ['bob', () => bob, 7],
      ['carol', () => carol, 5],
    ] as const)('shows %s PUBLIC notes and her or his own PRIVATE ones, never anyone else’s', async (_name, reader, count) => {
      const me = reader();
      const expected = notes.filter((n) => n.visibility === 'PUBLIC' || n.authorId === me.id).sort(byCreatedThenId);
      expect(expected).toHaveLength(count);
      const listed = await listVisibleNotes(notesDb(), me.id, 100, null);
      expect(listed).toEqual(expected);
      expect(listed.filter((n) => n.visibility === 'PRIVATE' && n.authorId !== me.id)).toEqual([]);
      expect(await countVisibleNotes(notesDb(), me.id)).toBe(count);
      for (const pageSize of [1, 2, 3]) {
        const { items } = await walk(pageSize, (limit, after) => listVisibleNotes(notesDb(), me.id, limit, after));
        expect(items.map((n) => n.id)).toEqual(expected.map((n) => n.id));
      }
    });

    it('deletes a note once: true, then false', async () => {
      const note = await aNote(bob, 'PUBLIC', '2026-04-08T00:00:00.000Z', 'doomed');
      const publicBefore = await countVisibleNotes(notesDb(), null);
      expect(await deleteNote(notesDb(), note.id)).toBe(true);
      expect(await deleteNote(notesDb(), note.id)).toBe(false);
      expect(await findNoteById(notesDb(), note.id)).toBeUndefined();
      expect(await countVisibleNotes(notesDb(), null)).toBe(publicBefore - 1);
      expect(await deleteNote(notesDb(), newId())).toBe(false);
    });
  });
});
