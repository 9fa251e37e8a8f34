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
 * email) still differ only by it. Every error gets the request's id, whatever `requestId` it
 * already had: gatehouse's own (masked errors, refusals made before Apollo had a context) were made
 * with this very id, and any other (an application's GraphQLError, an upstream's error passed on)
 * must not name another request in the answer an operator is then asked to look up.
 */
import type { GraphQLFormattedError } from 'graphql';

/** `errors`, each with `extensions.requestId` set to `requestId`. The same array when nothing changes. */
export function namingRequest(errors: readonly GraphQLFormattedError[], requestId: string | undefined): readonly GraphQLFormattedError[] {
  if (requestId === undefined || errors.every((error) => error.extensions?.['requestId'] === requestId)) return errors;
  return errors.map((error) =>
    error.extensions?.['requestId'] === requestId ? error : { ...error, extensions: { ...error.extensions, requestId } },
  );
}
