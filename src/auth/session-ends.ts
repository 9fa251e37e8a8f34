// Decides whether an access token's session was ended (logout, logoutEverywhere, a password change,
// an ADMIN ending sessions) before the token expires, and keeps the list of ended sessions short.
import type { AccessTokenClaims } from './jwt';

/**
 * What ends an account's sessions before their access tokens expire. Kept on the users row, which
 * authentication reads anyway, so checking it costs no query (see src/services/sessions.ts).
 */
export interface SessionEnds {
  /** Ended session (refresh-token family) id → when its last access token expires, epoch seconds. */
  readonly endedSessions: ReadonlyMap<string, number> | null;
  /** Access tokens that name no session and were issued before this are refused. */
  readonly sessionsEndedAt: Date | null;
}

/**
 * True when the token's session has been ended. Pure; called on every request with a gatehouse
 * access token, so the common case (nothing ended) is two null checks.
 *
 * A token without `sid` was issued before sessions could be ended one by one (or by the test kit):
 * it keeps working until it expires, unless the account's cut-off (logoutEverywhere,
 * changePassword, an ADMIN ending its sessions) came after it was issued. `iat` has whole seconds,
 * so a token issued in the same second as the cut-off counts as before it.
 */
export function sessionEnded(user: SessionEnds, claims: Pick<AccessTokenClaims, 'sid' | 'iat'>): boolean {
  if (claims.sid === undefined) return user.sessionsEndedAt !== null && claims.iat * 1000 <= user.sessionsEndedAt.getTime();
  return user.endedSessions?.has(claims.sid) === true;
}

/**
 * True when a provider's token was issued no later than the account's cut-off (logoutEverywhere,
 * an ADMIN ending its sessions): a provider token names no gatehouse session, so it is judged as
 * a gatehouse token without `sid` is, by `iat` in whole seconds. A token without `iat` cannot show
 * it came after the cut-off, so once there is one it is refused. Pure; the common case (no cut-off)
 * is one null check.
 */
export function providerTokenEnded(user: SessionEnds, issuedAt: number | null): boolean {
  if (user.sessionsEndedAt === null) return false;
  return issuedAt === null || issuedAt * 1000 <= user.sessionsEndedAt.getTime();
}

/**
 * The ended sessions after ending `sessionIds` until `until` (epoch seconds), without the entries
 * whose tokens have all expired by `nowSeconds`: the list holds only sessions that still have a
 * live access token, so it stays as short as the number of logins within one token lifetime.
 */
export function withEndedSessions(
  current: ReadonlyMap<string, number> | null,
  sessionIds: Iterable<string>,
  until: number,
  nowSeconds: number,
): Map<string, number> {
  const next = new Map<string, number>();
  for (const [id, end] of current ?? []) if (end > nowSeconds) next.set(id, end);
  for (const id of sessionIds) next.set(id, Math.max(until, next.get(id) ?? 0));
  return next;
}

/** Stored form: a JSON object, or null when empty. */
export function serializeEndedSessions(ended: ReadonlyMap<string, number>): string | null {
  return ended.size === 0 ? null : JSON.stringify(Object.fromEntries(ended));
}

/**
 * Reads the stored form. Anything that is not an object of numbers is dropped entry by entry; only
 * gatehouse writes the column.
 */
export function parseEndedSessions(stored: string | null): ReadonlyMap<string, number> | null {
  if (stored === null) return null;
  const parsed: unknown = JSON.parse(stored);
  if (typeof parsed !== 'object' || parsed === null) return null;
  const ended = new Map<string, number>();
  for (const [id, end] of Object.entries(parsed)) if (typeof end === 'number') ended.set(id, end);
  return ended.size === 0 ? null : ended;
}
