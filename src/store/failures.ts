// How the store classifies a failed query, so that its callers need not read driver codes: a
// duplicate (isUniqueViolation: the caller answers "already taken") or an outage (isUnreachable: the
// database cannot be reached now, so the same request may succeed later). The store owns both
// classifications, for SQLite and PostgreSQL alike. An outage is answered at the edge only
// (src/graphql/errors.ts: SERVICE_UNAVAILABLE, HTTP 503 with Retry-After; the HTTP route and the
// WebSocket transport likewise); the layers between (auth, enforcement, services) never test for it
// and let the error pass up.

/** True for a unique-constraint violation in either database. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Connection-level failures: the database (or the network to it) is down, not the query wrong. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when `error` says the database cannot be reached now, so the request may succeed later
 * (the edge answers 503 with Retry-After): a refused or broken connection, PostgreSQL shutting
 * down or starting up (57P01–57P03) or any connection exception (class 08), pg's own "Connection
 * terminated" and connect timeouts; on SQLite, a lock held by another process beyond the busy
 * timeout (SQLITE_BUSY*). Anything else is a bug or bad data, not an outage.
 */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code) || code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08')) return true;
    if (code.startsWith('SQLITE_BUSY')) return true;
  }
  const message = error instanceof Error ? error.message : '';
  if (
    /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not open/.test(
      message,
    )
  )
    return true;
  if (error instanceof AggregateError && error.errors.some(isUnreachable)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUnreachable(cause);
}
