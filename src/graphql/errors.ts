// The edge: how each failure is answered over GraphQL and HTTP. The one place that decides a
// failure's `extensions.code`, its extensions and its HTTP status and headers (docs/security.md, "Errors"
// table); services, auth and the store throw the domain errors of src/errors.ts and know none of it.
import { GraphQLError } from 'graphql';
import { DenialCode, forbidden, unauthenticated } from '../enforcement/denials';
import { type CredentialProblem, DatabaseUnavailable, type DomainError, InvalidInput, NotFound, RateLimited } from '../errors';

export { forbidden, unauthenticated };

/**
 * The error codes gatehouse puts in `extensions.code`. Clients switch on these; messages are for people.
 */
export const ErrorCode = {
  /** No valid credential: anonymous caller on a protected field, or a bad credential on the request. */
  UNAUTHENTICATED: DenialCode.UNAUTHENTICATED,
  /** Signed in, but not permitted. */
  FORBIDDEN: DenialCode.FORBIDDEN,
  /** An argument failed validation (format, length, duplicate). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The id is well-formed but names nothing the caller can act on. */
  NOT_FOUND: 'NOT_FOUND',
  /** Too many attempts; `extensions.retryAfter` says how many seconds to wait. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The server cannot take this request now (a full password-hash queue, an unreachable database); retry after `extensions.retryAfter` seconds. HTTP 503. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** A fixed limit was reached (subscriptions per socket or per user); nothing was started. Not time-based: retrying helps only once one ends. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** A subscription fell too far behind its events and was ended (WebSocket): events were missed; subscribe again and re-read over HTTP. */
  EVENTS_MISSED: 'EVENTS_MISSED',
  /** Anything unexpected. The detail is in the server log under `extensions.requestId`. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The realm advertised in `WWW-Authenticate`. */
const REALM = 'gatehouse';

/** A status with a Retry-After header, in Apollo's `extensions.http` shape. */
function retryLater(status: number, retryAfter: number) {
  return { status, headers: new Map([['retry-after', String(retryAfter)]]) };
}

/**
 * The GraphQL error a domain error is answered with. Field-level failures (not signed in,
 * forbidden, bad input, not found) leave the status at 200; throttling answers 429 and a busy or
 * unreachable server 503, both with Retry-After.
 */
export function toGraphQLError(error: DomainError): GraphQLError {
  switch (error.code) {
    case 'ERR_INVALID_INPUT':
      return new GraphQLError(error.message, {
        extensions:
          error.argument === undefined ? { code: ErrorCode.BAD_USER_INPUT } : { code: ErrorCode.BAD_USER_INPUT, argument: error.argument },
      });
    case 'ERR_NOT_FOUND':
      return new GraphQLError(error.message, { extensions: { code: ErrorCode.NOT_FOUND } });
    case 'ERR_UNAUTHENTICATED':
      return unauthenticated(error.message);
    case 'ERR_FORBIDDEN':
      return forbidden(error.message);
    case 'ERR_RATE_LIMITED':
    case 'ERR_HASH_QUEUE_FULL':
    case 'ERR_DATABASE_UNAVAILABLE': {
      const retryAfter = error.retryAfterSeconds;
      const limited = error.code === 'ERR_RATE_LIMITED';
      return new GraphQLError(error.message, {
        extensions: {
          code: limited ? ErrorCode.RATE_LIMITED : ErrorCode.SERVICE_UNAVAILABLE,
          retryAfter,
          http: retryLater(limited ? 429 : 503, retryAfter),
        },
      });
    }
  }
}

// For resolvers (gatehouse's and an application's, through the package entry): the answer a
// domain failure gets, as a GraphQLError to throw. `unauthenticated` and `forbidden` (re-exported
// above) are enforcement's denials (src/enforcement/denials.ts).

export function badUserInput(message: string, argument?: string): GraphQLError {
  return toGraphQLError(new InvalidInput(message, argument));
}

export function notFound(what: string): GraphQLError {
  return toGraphQLError(new NotFound(what));
}

/**
 * Too many of `what` (e.g. "notes created") for now: RATE_LIMITED with `extensions.retryAfter`,
 * and HTTP 429 with Retry-After. For an application's own write limits (docs/your-api.md).
 */
export function rateLimited(retryAfterSeconds: number, what?: string): GraphQLError {
  return toGraphQLError(new RateLimited(retryAfterSeconds, what));
}

/**
 * Request-level: the credential that came with the request is not usable. The whole request is
 * refused with 401. The message is the same for every cause so that it reveals nothing.
 */
export function credentialRefused(problem: CredentialProblem, requestId?: string): GraphQLError {
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
      ...(requestId === undefined ? {} : { requestId }),
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

/** The database did not answer: HTTP 503 with Retry-After, and the id that finds the detail in the log. */
export function databaseUnavailable(requestId: string | undefined): GraphQLError {
  const error = toGraphQLError(new DatabaseUnavailable());
  return requestId === undefined ? error : new GraphQLError(error.message, { extensions: { ...error.extensions, requestId } });
}

/** A limit of the WebSocket transport was reached; the message names it (src/subscriptions/socket-guard.ts). */
export function limitExceeded(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.LIMIT_EXCEEDED } });
}

/**
 * A subscriber fell more than `limit` events behind (src/subscriptions/streams.ts): its subscription
 * ends with this error rather than skipping events the client would never hear of.
 */
export function eventsMissed(limit: number): GraphQLError {
  return new GraphQLError(
    `This subscription fell more than ${limit} events behind and was ended; events were missed. Subscribe again and re-read what you show.`,
    { extensions: { code: ErrorCode.EVENTS_MISSED, limit } },
  );
}
