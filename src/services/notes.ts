import { newId } from '../store/ids';
import type { App } from '../app';
import { rolesSatisfy, type Viewer } from '../auth/viewer';
import { forbidden, notFound, unauthenticated } from '../errors';
import { countVisibleNotes, deleteNote as deleteStoredNote, findNoteById, insertNote, listVisibleNotes, type NoteRecord } from '../store/notes';
import type { StoredVisibility } from '../store/schema';
import { type Connection, decodeCursor, toConnection } from './pagination';
import { LIMITS, requiredText, validId, validPageSize } from './validation';

/** May this viewer read this note? A pure decision: PUBLIC notes to anyone, PRIVATE ones to the author and ADMINs. */
export function canRead(viewer: Viewer | null, note: NoteRecord): boolean {
  return note.visibility === 'PUBLIC' || (viewer !== null && (viewer.id === note.authorId || rolesSatisfy(viewer.roles, 'ADMIN')));
}

/** May this viewer delete this note? Its author or an ADMIN. */
export function canDelete(viewer: Viewer, note: NoteRecord): boolean {
  return viewer.id === note.authorId || rolesSatisfy(viewer.roles, 'ADMIN');
}

export async function createNote(app: App, viewer: Viewer, input: { title: string; body: string; visibility?: StoredVisibility | null }): Promise<NoteRecord> {
  return insertNote(app.store.db, {
    id: newId(),
    authorId: viewer.id,
    title: requiredText(input.title, LIMITS.noteTitleMax, 'title'),
    body: requiredText(input.body, LIMITS.noteBodyMax, 'body', false),
    visibility: input.visibility ?? 'PRIVATE',
    now: app.now(),
  });
}

/** The note, null when there is none; another's PRIVATE note is an error, not a silent null. */
export async function getNote(app: App, viewer: Viewer | null, rawId: string): Promise<NoteRecord | null> {
  const note = await findNoteById(app.store.db, validId(rawId));
  if (note === undefined) return null;
  if (!canRead(viewer, note)) throw viewer === null ? unauthenticated('You must be signed in to read this note.') : forbidden('This note is private.');
  return note;
}

/** PUBLIC notes and, for a signed-in viewer, their own, oldest first. */
export async function listNotes(app: App, viewer: Viewer | null, args: { first?: number | null; after?: string | null }): Promise<Connection<NoteRecord>> {
  const limit = validPageSize(args.first);
  const after = decodeCursor(args.after);
  const readerId = viewer?.id ?? null;
  const [rows, total] = await Promise.all([
    listVisibleNotes(app.store.db, readerId, limit + 1, after),
    countVisibleNotes(app.store.db, readerId),
  ]);
  return toConnection(rows, limit, total);
}

export async function deleteNote(app: App, viewer: Viewer, rawId: string): Promise<boolean> {
  const note = await findNoteById(app.store.db, validId(rawId));
  if (note === undefined) throw notFound('Note');
  if (!canDelete(viewer, note)) throw forbidden('Only the author of this note or an ADMIN may delete it.');
  return deleteStoredNote(app.store.db, note.id);
}
