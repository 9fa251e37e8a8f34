import type { ExpressionBuilder } from 'kysely';
import type { Db } from './database';
import type { Database } from './schema';
import { type NoteRow, type StoredVisibility, toDate } from './schema';
import type { Position } from './users';

export interface NoteRecord {
  readonly id: string;
  readonly authorId: string;
  readonly title: string;
  readonly body: string;
  readonly visibility: StoredVisibility;
  readonly createdAt: Date;
}

const NOTE_COLUMNS = ['id', 'author_id', 'title', 'body', 'visibility', 'created_at'] as const;

function toNote(row: Pick<NoteRow, (typeof NOTE_COLUMNS)[number]>): NoteRecord {
  return {
    id: row.id,
    authorId: row.author_id,
    title: row.title,
    body: row.body,
    visibility: row.visibility,
    createdAt: toDate(row.created_at),
  };
}

export async function insertNote(
  db: Db,
  note: { id: string; authorId: string; title: string; body: string; visibility: StoredVisibility; now: Date },
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
    .returning(NOTE_COLUMNS)
    .executeTakeFirstOrThrow();
  return toNote(row);
}

export async function findNoteById(db: Db, id: string): Promise<NoteRecord | undefined> {
  const row = await db.selectFrom('notes').select(NOTE_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toNote(row);
}

/** Which notes a reader may list: every PUBLIC note, plus their own when signed in. */
function visibleTo(readerId: string | null) {
  return (eb: ExpressionBuilder<Database, 'notes'>) =>
    readerId === null ? eb('visibility', '=', 'PUBLIC') : eb.or([eb('visibility', '=', 'PUBLIC'), eb('author_id', '=', readerId)]);
}

/** Up to `limit` notes visible to the reader after `after`, oldest first. */
export async function listVisibleNotes(db: Db, readerId: string | null, limit: number, after: Position | null): Promise<NoteRecord[]> {
  let query = db.selectFrom('notes').select(NOTE_COLUMNS).where(visibleTo(readerId));
  if (after !== null) {
    const at = after.createdAt.toISOString();
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', after.id)])]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map(toNote);
}

export async function countVisibleNotes(db: Db, readerId: string | null): Promise<number> {
  const row = await db
    .selectFrom('notes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where(visibleTo(readerId))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteNote(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('notes').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
