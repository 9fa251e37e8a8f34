/**
 * How an unexpected error reaches a client, the same over HTTP (src/graphql/apollo.ts) and over
 * WebSocket (src/subscriptions/): ours and the client's errors carry a code and leave as they are;
 * anything else (a resolver's exception, a driver's error) is logged with its detail and answered
 * as INTERNAL_SERVER_ERROR, or SERVICE_UNAVAILABLE when the database could not be reached, with
 * the request id that finds the log line. Never the message, never a stack.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { denialOf } from '../enforcement/denials';
import { isUnreachable } from '../store/failures';
import { databaseUnavailable, internalError } from './errors';

/** How an unexpected error is answered: `internal` (masked) or `unavailable` (the database is down: 503 over HTTP). */
export type Masking = 'internal' | 'unavailable';

/** Where a masked error is logged. */
export interface MaskingLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** `unavailable` when `cause` says the database did not answer, else `internal`. */
export function maskingOf(cause: unknown): Masking {
  return isUnreachable(cause) ? 'unavailable' : 'internal';
}

/** A GraphQLError without a code that Apollo answers with a 4xx status: a refusal of the request, not a failure. */
export function isClientRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions['code'] !== undefined) return false;
  const status = (error.extensions['http'] as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The unexpected error behind `error`, or null when it is one of ours or a client's: a resolver's
 * exception (graphql-js wraps it with the field's path); a plain Error a hook threw, wrapped in a
 * GraphQLError without a code; or a GraphQLError without a code that graphql-js raised while
 * executing: a value the schema's type refuses (a string for a DateTime), or one an application's
 * resolver threw. Those last ones were once masked only in formatError, which has no request: the
 * answer and the log line lacked the request id. Also a GraphQLError coded INTERNAL_SERVER_ERROR
 * raised in a field (gatehouse raises none there: an application's): it was masked without a log
 * line, and sent as it was over WebSocket, message included.
 */
export function unexpectedCause(error: GraphQLError): unknown {
  const original = error.path !== undefined && error.originalError !== undefined ? error.originalError : error;
  if (!(original instanceof GraphQLError)) return original;
  if (!codeMasks(original.extensions['code'], error.path !== undefined) || isClientRefusal(original)) return null;
  return original.originalError ?? original;
}

/**
 * Whether an error coded `code` is answered masked: one with no code, or INTERNAL_SERVER_ERROR
 * raised in a field (`inField`; gatehouse raises none there, so it is an application's).
 */
export function codeMasks(code: unknown, inField: boolean): boolean {
  return code === undefined || (code === 'INTERNAL_SERVER_ERROR' && inField);
}

/** What the client gets in place of an unexpected error: the masked message and code, the request id and the error's path. */
export function maskedError(masking: Masking, requestId: string | undefined, path?: GraphQLFormattedError['path']): GraphQLFormattedError {
  const replacement = masking === 'unavailable' ? databaseUnavailable(requestId) : internalError(requestId);
  return { message: replacement.message, ...(path ? { path } : {}), extensions: replacement.extensions };
}

/** Logs `cause` with `details` (a warning when the database is down, an error otherwise); returns how it is masked. */
export function logUnexpected(log: MaskingLog, cause: unknown, details: object, during: string): Masking {
  const masking = maskingOf(cause);
  if (masking === 'unavailable') log.warn({ err: cause, ...details }, `database unreachable during ${during}`);
  else log.error({ err: cause, ...details }, `unexpected error in ${during}`);
  return masking;
}

/**
 * A denial as the client gets it: with `extensions.rule` (the rule that refused, as written, e.g.
 * `@hasRole(role: ADMIN) on Query.users`) when denials are explained (development, or
 * EXPLAIN_DENIALS=true), as it is otherwise. The same over HTTP, the gate and WebSocket.
 */
export function explained(formatted: GraphQLFormattedError, error: unknown, explain: boolean): GraphQLFormattedError {
  if (!explain || !(error instanceof GraphQLError)) return formatted;
  const rule = denialOf(error)?.rule;
  if (rule === undefined || rule === null) return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, rule } };
}
