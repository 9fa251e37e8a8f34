/**
 * Every error of every answer names its request (issue 25, item 6): `extensions.requestId`, the id
 * of the `x-request-id` header and of the request's log lines, so a client can quote it and an
 * operator find those lines. Whatever the status (a denial or a failed login in a 200 as much as a
 * 401 or a masked 500), and wherever gatehouse answers: its HTTP server, gatehouse/apollo and the
 * subgraph (src/graphql/apollo.ts, after formatError), WebSocket `next` and `error` messages (the
 * socket's id, src/subscriptions/client-errors.ts), the HTTP layer's own answers
 * (src/http/errors.ts) and the test kit (its context's id).
 *
 * The id is a random UUID made per request (src/http/server.ts): it says nothing about the caller
 * or the account, so two answers that must tell nothing apart (a wrong password and an unknown
 * email) still differ only by it. An error that already names a request (a masked error, a refusal
 * made before Apollo had a context) keeps its own: it was made for this request.
 */
import type { GraphQLFormattedError } from 'graphql';

/** `errors`, each with `extensions.requestId` (`requestId` where it had none). The same array when nothing changes. */
export function namingRequest(errors: readonly GraphQLFormattedError[], requestId: string | undefined): readonly GraphQLFormattedError[] {
  if (requestId === undefined || errors.every((error) => error.extensions?.['requestId'] !== undefined)) return errors;
  return errors.map((error) =>
    error.extensions?.['requestId'] !== undefined ? error : { ...error, extensions: { ...error.extensions, requestId } },
  );
}
