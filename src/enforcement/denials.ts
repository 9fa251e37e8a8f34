// The answers a refused caller gets from enforcement, as GraphQL errors: UNAUTHENTICATED for an
// anonymous caller, FORBIDDEN for a signed-in one, at the refused field's path (the query goes on,
// HTTP 200). They sit below both enforcement and the edge: enforcement builds them with graphql-js
// and the domain errors' messages (no Apollo), and src/graphql/errors.ts answers the domain errors
// Unauthenticated and Forbidden with these same factories, so a denial reads the same whichever
// layer decided it.
import { GraphQLError } from 'graphql';
import { Forbidden, Unauthenticated } from '../errors';

/** The `extensions.code` of a denial (also in src/graphql/errors.ts's ErrorCode). */
export const DenialCode = {
  /** No valid credential: an anonymous caller on a protected field. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Signed in, but not permitted. */
  FORBIDDEN: 'FORBIDDEN',
} as const;

/** Field-level: an anonymous caller reached a protected field. The message defaults to Unauthenticated's. */
export function unauthenticated(message?: string): GraphQLError {
  return new GraphQLError(new Unauthenticated(message).message, { extensions: { code: DenialCode.UNAUTHENTICATED } });
}

/** Field-level: the caller is signed in but not permitted. The message defaults to Forbidden's. */
export function forbidden(message?: string): GraphQLError {
  return new GraphQLError(new Forbidden(message).message, { extensions: { code: DenialCode.FORBIDDEN } });
}

/**
 * A denial that knows what denied it: the field (`Type.field`, from the schema, never the client's
 * text) and the rule as written (`@hasRole(role: ADMIN) on Query.users`). The edge puts the rule in
 * `extensions.rule` where denials are explained (development, or EXPLAIN_DENIALS=true), and in the
 * log line of every denial; metrics and traces count the coordinate.
 */
export class Denial extends GraphQLError {
  constructor(
    error: GraphQLError,
    override readonly coordinate: string,
    readonly rule: string | null,
  ) {
    super(error.message, { extensions: error.extensions });
  }
}

/** The Denial behind a field error (graphql-js wraps what a resolver throws), or null for any other error. */
export function denialOf(error: GraphQLError): Denial | null {
  if (error instanceof Denial) return error;
  const original = error.originalError;
  return original instanceof Denial ? original : null;
}
