// The failures services, auth and the store report to their callers, as typed errors with stable
// codes (one class per failure; `switch (error.code)` or `instanceof`). Nothing here knows GraphQL
// or HTTP: what each failure is answered with (extensions.code, status, Retry-After) is decided
// once, at the edge, in src/graphql/errors.ts. Start-up and configuration mistakes are not these:
// they are their own errors (ConfigError, AuthCoverageError, …) and stop the process.

/** The code of every domain error; stable, so callers may switch on it. */
export type GatehouseErrorCode =
  | 'ERR_INVALID_INPUT'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_RATE_LIMITED'
  | 'ERR_HASH_QUEUE_FULL'
  | 'ERR_DATABASE_UNAVAILABLE';

/** An expected failure; its message is written for the person who asked. */
export abstract class GatehouseError extends Error {
  abstract readonly code: GatehouseErrorCode;
}

/** Seconds to wait, as a client is told: a whole number, at least 1. */
function wholeSeconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}

/** An argument failed validation (format, length, duplicate, a rule such as "the last ADMIN"). */
export class InvalidInput extends GatehouseError {
  readonly code = 'ERR_INVALID_INPUT';
  override readonly name = 'InvalidInput';
  /** The argument at fault, when there is one. */
  readonly argument: string | undefined;
  constructor(message: string, argument?: string) {
    super(message);
    this.argument = argument;
  }
}

/** The id is well-formed but names nothing the caller can act on. */
export class NotFound extends GatehouseError {
  readonly code = 'ERR_NOT_FOUND';
  override readonly name = 'NotFound';
  /** `what` names the thing ("User", "API key"); the message defaults to "<what> not found.". */
  constructor(
    readonly what: string,
    message = `${what} not found.`,
  ) {
    super(message);
  }
}

/** No valid caller: not signed in, a login that failed, a refresh token that is no longer good. */
export class Unauthenticated extends GatehouseError {
  readonly code = 'ERR_UNAUTHENTICATED';
  override readonly name = 'Unauthenticated';
  constructor(message = 'You must be signed in to do this.') {
    super(message);
  }
}

/** Signed in, but not permitted. */
export class Forbidden extends GatehouseError {
  readonly code = 'ERR_FORBIDDEN';
  override readonly name = 'Forbidden';
  constructor(message = 'You are not allowed to do this.') {
    super(message);
  }
}

/** Too many attempts (logins, sign-ups, password changes) in the window. */
export class RateLimited extends GatehouseError {
  readonly code = 'ERR_RATE_LIMITED';
  override readonly name = 'RateLimited';
  /** Whole seconds until the caller may try again (at least 1). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, what = 'failed attempts') {
    const retryAfter = wholeSeconds(retryAfterSeconds);
    super(`Too many ${what}. Try again in ${retryAfter} seconds.`);
    this.retryAfterSeconds = retryAfter;
  }
}

/**
 * Every password-hash slot is busy and the waiting line is full. Not the caller's fault and says
 * nothing about the password: callers answer "unavailable, retry after `retryAfterSeconds`", never
 * count it as a failed login.
 */
export class HashQueueFull extends GatehouseError {
  readonly code = 'ERR_HASH_QUEUE_FULL';
  override readonly name = 'HashQueueFull';
  /** Whole seconds after which a retry may find a slot (at least 1). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    const retryAfter = wholeSeconds(retryAfterSeconds);
    super(`The server is busy checking passwords. Try again in ${retryAfter} seconds.`);
    this.retryAfterSeconds = retryAfter;
  }
}

/** How long a client is asked to wait while the database does not answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The database did not answer. The same words whatever the cause: the detail (driver error,
 * address) belongs in the log, never in an answer. Made at the edge from a driver error that the
 * store's `isUnreachable` (src/store/failures.ts) recognises.
 */
export class DatabaseUnavailable extends GatehouseError {
  readonly code = 'ERR_DATABASE_UNAVAILABLE';
  override readonly name = 'DatabaseUnavailable';
  readonly retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS;
  constructor() {
    super(`The service is unavailable right now. Try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds.`);
  }
}

/** Every domain error, as a union the edge can switch over exhaustively. */
export type DomainError = InvalidInput | NotFound | Unauthenticated | Forbidden | RateLimited | HashQueueFull | DatabaseUnavailable;

/** True for the expected failures above; anything else thrown is unexpected (masked and logged at the edge). */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof GatehouseError;
}

/** Why a credential on the request was refused; decides the WWW-Authenticate challenge at the edge. */
export type CredentialProblem = 'invalid_token' | 'invalid_api_key' | 'invalid_request';
