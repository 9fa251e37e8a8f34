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
    /** Null for a personal note; otherwise the organization whose members alone read it. */
    organization_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** The organization the note belongs to (its members alone read it), or null. */
  readonly organizationId: string | null;
}

/** A position in the (created_at, id) order; what a cursor decodes to. */
export interface Position {
  readonly createdAt: Date;
  readonly id: string;
}

const COLUMNS = ['id', 'author_id', 'title', 'body', 'visibility', 'created_at', 'organization_id'] as const;

function toNote(row: {
  id: string;
  author_id: string;
  title: string;
  body: string;
  visibility: Visibility;
  created_at: Date | string;
  organization_id: string | null;
}): NoteRecord {
  return {
    id: row.id,
    authorId: row.author_id,
    title: row.title,
    body: row.body,
    visibility: row.visibility,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
    organizationId: row.organization_id,
  };
}

export async function insertNote(
  db: NotesDb,
  note: { id: string; authorId: string; title: string; body: string; visibility: Visibility; now: Date; organizationId?: string | null },
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
      organization_id: note.organizationId ?? null,
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

/**
 * A personal note by id (an organization's notes are read only through the organization: see
 * listOrganizationNotes), or, with `organizationId`, a note of that organization.
 */
export async function findNoteById(db: NotesDb, id: string, organizationId: string | null = null): Promise<NoteRecord | undefined> {
  const row = await db
    .selectFrom('notes')
    .select(COLUMNS)
    .where('id', '=', id)
    .where('organization_id', organizationId === null ? 'is' : '=', organizationId)
    .executeTakeFirst();
  return row && toNote(row);
}

/** The notes with these ids, in one query; the caller matches them up by id. */
export async function findNotesByIds(db: NotesDb, ids: readonly string[]): Promise<NoteRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('notes')
    .select(COLUMNS)
    .where('id', 'in', [...ids])
    .where('organization_id', 'is', null)
    .execute();
  return rows.map(toNote);
}

/** Notes by id whichever organization they belong to (for an event's reading, decided per subscriber after). */
export async function findNotesOfAnyOrganization(db: NotesDb, ids: readonly string[]): Promise<NoteRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('notes')
    .select(COLUMNS)
    .where('id', 'in', [...ids])
    .where('organization_id', 'is not', null)
    .execute();
  return rows.map(toNote);
}

/** Up to `limit` notes of an organization after `after`, oldest first. */
export async function listOrganizationNotes(
  db: NotesDb,
  organizationId: string,
  limit: number,
  after: Position | null,
): Promise<NoteRecord[]> {
  let query = db.selectFrom('notes').select(COLUMNS).where('organization_id', '=', organizationId);
  if (after !== null) {
    const at = after.createdAt.toISOString();
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', after.id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map(toNote);
}

export async function countOrganizationNotes(db: NotesDb, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Which notes a reader may list: every PUBLIC note, plus their own when signed in; never an organization's. */
function visibleTo(readerId: string | null) {
  return (eb: ExpressionBuilder<NotesTables, 'notes'>) =>
    eb.and([
      eb('organization_id', 'is', null),
      readerId === null ? eb('visibility', '=', 'PUBLIC') : eb.or([eb('visibility', '=', 'PUBLIC'), eb('author_id', '=', readerId)]),
    ]);
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
