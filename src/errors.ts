import { GraphQLError } from 'graphql';

/**
 * The error codes gatehouse puts in `extensions.code`. Clients switch on these; messages are for people.
 */
export const ErrorCode = {
  /** No valid credential: anonymous caller on a protected field, or a bad credential on the request. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Signed in, but not permitted. */
  FORBIDDEN: 'FORBIDDEN',
  /** An argument failed validation (format, length, duplicate). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The id is well-formed but names nothing the caller can act on. */
  NOT_FOUND: 'NOT_FOUND',
  /** Too many attempts; `extensions.retryAfter` says how many seconds to wait. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The server cannot take this request now (a full password-hash queue, an unreachable database); retry after `extensions.retryAfter` seconds. HTTP 503. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Anything unexpected. The detail is in the server log under `extensions.requestId`. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The realm advertised in `WWW-Authenticate`. */
const REALM = 'gatehouse';

/** Field-level: an anonymous caller reached a protected field. The query goes on (HTTP 200). */
export function unauthenticated(message = 'You must be signed in to do this.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
}

/** Field-level: the caller is signed in but not permitted. */
export function forbidden(message = 'You are not allowed to do this.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });
}

export function badUserInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: argument === undefined ? { code: ErrorCode.BAD_USER_INPUT } : { code: ErrorCode.BAD_USER_INPUT, argument },
  });
}

export function notFound(what: string): GraphQLError {
  return new GraphQLError(`${what} not found.`, { extensions: { code: ErrorCode.NOT_FOUND } });
}

/** Throttling (logins, sign-ups): HTTP 429 with Retry-After, per docs/contract.md ("Schema"). */
export function rateLimited(retryAfterSeconds: number, what = 'failed attempts'): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError(`Too many ${what}. Try again in ${retryAfter} seconds.`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfter,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) },
    },
  });
}

/** The server cannot take this request now: HTTP 503 with Retry-After. */
export function serviceUnavailable(retryAfterSeconds: number, message: string): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfter,
      http: { status: 503, headers: new Map([['retry-after', String(retryAfter)]]) },
    },
  });
}

/** Why a credential on the request was refused; decides the WWW-Authenticate challenge. */
export type CredentialProblem = 'invalid_token' | 'invalid_api_key' | 'invalid_request';

/**
 * Request-level: the credential that came with the request is not usable. The whole request is
 * refused with 401. The message is the same for every cause so that it reveals nothing.
 */
export function credentialRefused(problem: CredentialProblem): GraphQLError {
  const challenge =
    problem === 'invalid_api_key'
      ? `ApiKey realm="${REALM}"`
      : `Bearer realm="${REALM}", error="${problem === 'invalid_request' ? 'invalid_request' : 'invalid_token'}"`;
  const message =
    problem === 'invalid_request'
      ? 'Send one credential: either Authorization: Bearer <token> or X-API-Key: <key>, not both.'
      : 'The credential sent with this request is invalid, expired or revoked.';
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      http: { status: 401, headers: new Map([['www-authenticate', challenge]]) },
    },
  });
}

/** Something failed on our side. `httpStatus` when the whole request fails (not just a field). */
export function internalError(requestId: string | undefined, httpStatus?: number): GraphQLError {
  return new GraphQLError('Something went wrong on our side.', {
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      ...(requestId === undefined ? {} : { requestId }),
      ...(httpStatus === undefined ? {} : { http: { status: httpStatus } }),
    },
  });
}

/** How long a client is asked to wait while the database does not answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The database did not answer: the same words whatever the cause, with the id that finds the detail in the log. */
export function databaseUnavailable(requestId: string | undefined): GraphQLError {
  const error = serviceUnavailable(
    DATABASE_RETRY_AFTER_SECONDS,
    `The service is unavailable right now. Try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
  );
  return requestId === undefined ? error : new GraphQLError(error.message, { extensions: { ...error.extensions, requestId } });
}
