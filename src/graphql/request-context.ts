// One GraphQL request's context from its headers, for every HTTP server gatehouse runs in: its own
// Fastify route (src/http/graphql-route.ts) and a team's Apollo Server (src/apollo.ts). Called once
// the whole request is here, so the lookups answer as of this moment. A credential that is present
// but unusable refuses the request as a whole (401), never falling back to anonymous; a store that
// fails answers 503 (unreachable) or 500, with the request id that finds the log line.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { App } from '../app';
import type { Authentication } from '../auth/authenticate';
import { readCredential } from '../auth/credentials';
import { authenticateCaller } from '../services/authentication';
import { isUnreachable } from '../store/failures';
import { authenticatedKind, traceAuthentication, tracingOff } from '../telemetry/tracing';
import { createContext } from './apollo';
import type { GraphQLContext } from './context';
import { credentialRefused, databaseUnavailable, internalError } from './errors';

export interface HttpRequestFacts {
  readonly headers: IncomingHttpHeaders;
  /** Carried in every error and log line of the request. */
  readonly requestId: string;
  /** The address the request is counted and audited under (src/client-address.ts). */
  readonly clientAddress: string;
  /** The request's logger. */
  readonly log: Logger;
}

/** The context of an authenticated request; throws the GraphQLError (401, 503 or 500) that refuses it. */
export async function requestContext(app: App, request: HttpRequestFacts): Promise<GraphQLContext> {
  let authentication: Authentication;
  const credential = readCredential(request.headers);
  const { metrics } = app.telemetry;
  try {
    // Without a tracer provider, no span and no closures: the call as it would be untraced.
    authentication = tracingOff()
      ? await authenticateCaller(app, credential, request.requestId)
      : await traceAuthentication(credential.kind, () => authenticateCaller(app, credential, request.requestId), authenticatedKind);
  } catch (error) {
    // The store failed, not the caller: log the detail, answer with an id to find it by.
    if (isUnreachable(error)) {
      request.log.warn({ err: error }, 'database unreachable during authentication');
      metrics.request('none', 503);
      throw databaseUnavailable(request.requestId);
    }
    request.log.error({ err: error }, 'authentication failed unexpectedly');
    metrics.request('none', 500);
    throw internalError(request.requestId, 500);
  }
  if (!authentication.ok) {
    // Counted here: a refused request never reaches Apollo's plugins (src/graphql/request-telemetry.ts).
    metrics.authenticationFailure(authentication.problem);
    metrics.request('none', 401);
    throw credentialRefused(authentication.problem, request.requestId);
  }
  return createContext(app, {
    viewer: authentication.viewer,
    user: authentication.user,
    sessionId: authentication.sessionId ?? null,
    clientAddress: request.clientAddress,
    requestId: request.requestId,
    log: request.log,
  });
}
