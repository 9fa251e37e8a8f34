import { InvalidInput } from '../errors';
import type { Position } from '../store/keyset';

/** Cursors are opaque to clients: base64url of `<ISO time>|<id>`. */
export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, argument = 'after'): Position | null {
  if (cursor === null || cursor === undefined) return null;
  const invalid = () => new InvalidInput(`${argument} is not a cursor from this list.`, argument);
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (rest.length > 0 || id === undefined || id === '' || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at)
    throw invalid();
  return { createdAt, id };
}

export interface Connection<T> {
  readonly edges: ReadonlyArray<{ readonly cursor: string; readonly node: T }>;
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  readonly totalCount: number;
}

/**
 * Builds a connection page from `limit + 1` rows (the extra row only says whether there is a next page).
 */
export function toConnection<T extends Position>(rows: readonly T[], limit: number, totalCount: number): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
