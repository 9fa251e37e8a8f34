// The GraphQL route: authenticates each request once its body is here, refuses it as a whole when
// the credential is unusable (401) or the store fails (503 or 500, with the request id), and
// otherwise hands Apollo the request's context. Who may read what is decided later, by
// src/enforcement/; how errors are worded, by src/graphql/errors.ts.
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { Authentication } from '../auth/authenticate';
import { readCredential } from '../auth/credentials';
import { authenticateCaller } from '../services/authentication';
import { createContext, subscriptionRuleThrows } from '../graphql/apollo';
import { credentialRefused, databaseUnavailable, internalError } from '../graphql/errors';
import { httpErrorBody } from './errors';
import { isUnreachable } from '../store/failures';
import { clientAddress } from '../client-address';
import { GRAPHQL_PATH, type RouteModule } from './route';
import { authenticatedKind, traceAuthentication, tracingOff } from '../telemetry/tracing';

export const graphqlRoute: RouteModule = (fastify, { app, apollo, schema, viewers }) => {
  const { config } = app;
  fastify.route({
    url: GRAPHQL_PATH,
    method: ['GET', 'POST'],
    // What graphql's validation would throw on (a 500 from Apollo) is answered here as the 400 it is.
    preHandler: (request, reply, done) => {
      const source = (request.method === 'GET' ? request.query : request.body) as Record<string, unknown> | null | undefined;
      const thrown = subscriptionRuleThrows(schema, source?.['query'], config.operationLimits.maxTokens);
      if (thrown !== undefined) {
        void reply.code(400).send(httpErrorBody(thrown.message, 'GRAPHQL_VALIDATION_FAILED', request.id));
        return;
      }
      done();
    },
    handler: fastifyApolloHandler(apollo, {
      context: async (request) => {
        // Called once the whole request is here: the lookups answer as of this moment.
        let authentication: Authentication;
        const credential = readCredential(request.headers);
        const { metrics } = app.telemetry;
        try {
          // Without a tracer provider, no span and no closures: the call as it would be untraced.
          authentication = tracingOff()
            ? await authenticateCaller(app, credential, request.id)
            : await traceAuthentication(credential.kind, () => authenticateCaller(app, credential, request.id), authenticatedKind);
        } catch (error) {
          // The store failed, not the caller: log the detail, answer with an id to find it by.
          if (isUnreachable(error)) {
            request.log.warn({ err: error }, 'database unreachable during authentication');
            metrics.request('none', 503);
            throw databaseUnavailable(request.id);
          }
          request.log.error({ err: error }, 'authentication failed unexpectedly');
          metrics.request('none', 500);
          throw internalError(request.id, 500);
        }
        if (!authentication.ok) {
          // Counted here: a refused request never reaches Apollo's plugins (src/graphql/plugins/telemetry.ts).
          metrics.authenticationFailure(authentication.problem);
          metrics.request('none', 401);
          throw credentialRefused(authentication.problem, request.id);
        }
        viewers.set(request, authentication.viewer?.id ?? null);
        return createContext(app, {
          viewer: authentication.viewer,
          user: authentication.user,
          sessionId: authentication.sessionId ?? null,
          clientAddress: clientAddress(config.trustProxy ? request.ip : undefined, request.socket.remoteAddress),
          requestId: request.id,
          log: request.log as never,
        });
      },
    }),
  });
};
