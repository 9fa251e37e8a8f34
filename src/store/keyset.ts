/**
 * Keyset pagination over a (time, id) order: the one place that says which rows come after a
 * position. Ties on the time are broken by the id, so a page that ends inside a run of equal times
 * neither skips nor repeats a row on the next page.
 */
import { type Expression, type SqlBool, sql } from 'kysely';

/** A position in a (time, id) ordered list; what an opaque cursor decodes to. */
export interface Position {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * `WHERE` condition: the rows strictly past `position` in the list ordered by `timeColumn`, then
 * `idColumn`, both `asc` (later rows) or both `desc` (earlier rows). Times are compared as the ISO
 * strings they are written as (TEXT in SQLite; PostgreSQL casts the parameter to timestamptz).
 */
export function pastPosition(position: Position, order: 'asc' | 'desc', timeColumn = 'created_at', idColumn = 'id'): Expression<SqlBool> {
  const past = order === 'asc' ? sql.raw('>') : sql.raw('<');
  const at = position.createdAt.toISOString();
  const time = sql.ref(timeColumn);
  return sql<SqlBool>`(${time} ${past} ${at} or (${time} = ${at} and ${sql.ref(idColumn)} ${past} ${position.id}))`;
}
