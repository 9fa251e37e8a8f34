// The notes table, read and written with Kysely on gatehouse's database (context.db). Only this
// file touches SQL.
import type { ColumnType, ExpressionBuilder, Kysely } from 'kysely';

export type Visibility = 'PUBLIC' | 'PRIVATE';

/** TEXT (ISO 8601) in SQLite, timestamptz in PostgreSQL: read back as a string or a Date. */
type Timestamp = ColumnType<Date | string, string, string>;

export interface NotesTables {
  notes: {
    id: string;
    author_id: string;
    title: string;
    body: string;
    visibility: Visibility;
    created_at: Timestamp;
  };
}

export type NotesDb = Kysely<NotesTables>;

export interface NoteRecord {
  readonly id: string;
  readonly authorId: string;
  readonly title: string;
  readonly body: string;
  readonly visibility: Visibility;
  readonly createdAt: Date;
}

/** A position in the (created_at, id) order; what a cursor decodes to. */
export interface Position {
  readonly createdAt: Date;
  readonly id: string;
}

const COLUMNS = ['id', 'author_id', 'title', 'body', 'visibility', 'created_at'] as const;

function toNote(row: {
  id: string;
  author_id: string;
  title: string;
  body: string;
  visibility: Visibility;
  created_at: Date | string;
}): NoteRecord {
  return {
    id: row.id,
    authorId: row.author_id,
    title: row.title,
    body: row.body,
    visibility: row.visibility,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}

export async function insertNote(
  db: NotesDb,
  note: { id: string; authorId: string; title: string; body: string; visibility: Visibility; now: Date },
): Promise<NoteRecord> {
  const row = await db
    .insertInto('notes')
    .values({
      id: note.id,
      author_id: note.authorId,
      title: note.title,
      body: note.body,
      visibility: note.visibility,
      created_at: note.now.toISOString(),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toNote(row);
}

/** How many notes `authorId` created at or after `since` (the index on author_id, created_at answers it). */
export async function countNotesBy(db: NotesDb, authorId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('author_id', '=', authorId)
    .where('created_at', '>=', since.toISOString())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findNoteById(db: NotesDb, id: string): Promise<NoteRecord | undefined> {
  const row = await db.selectFrom('notes').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toNote(row);
}

/** The notes with these ids, in one query; the caller matches them up by id. */
export async function findNotesByIds(db: NotesDb, ids: readonly string[]): Promise<NoteRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('notes')
    .select(COLUMNS)
    .where('id', 'in', [...ids])
    .execute();
  return rows.map(toNote);
}

/** Which notes a reader may list: every PUBLIC note, plus their own when signed in. */
function visibleTo(readerId: string | null) {
  return (eb: ExpressionBuilder<NotesTables, 'notes'>) =>
    readerId === null ? eb('visibility', '=', 'PUBLIC') : eb.or([eb('visibility', '=', 'PUBLIC'), eb('author_id', '=', readerId)]);
}

/** Up to `limit` notes visible to the reader after `after`, oldest first. */
export async function listVisibleNotes(db: NotesDb, readerId: string | null, limit: number, after: Position | null): Promise<NoteRecord[]> {
  let query = db.selectFrom('notes').select(COLUMNS).where(visibleTo(readerId));
  if (after !== null) {
    const at = after.createdAt.toISOString();
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', after.id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map(toNote);
}

export async function countVisibleNotes(db: NotesDb, readerId: string | null): Promise<number> {
  const row = await db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where(visibleTo(readerId))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteNote(db: NotesDb, id: string): Promise<boolean> {
  const result = await db.deleteFrom('notes').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
