// The GraphQL route: authenticates each request once its body is here, refuses it as a whole when
// the credential is unusable (401) or the store fails (503 or 500, with the request id), and
// otherwise hands Apollo the request's context (src/graphql/request-context.ts, shared with
// gatehouse/apollo). Who may read what is decided later, by
// src/enforcement/; how errors are worded, by src/graphql/errors.ts.
import { fastifyApolloHandler } from '@as-integrations/fastify';
import { subscriptionRuleThrows } from '../graphql/apollo';
import { requestContext } from '../graphql/request-context';
import { httpErrorBody } from './errors';
import { clientAddress } from '../client-address';
import { GRAPHQL_PATH, type RouteModule } from './route';

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
        const context = await requestContext(app, {
          headers: request.headers,
          requestId: request.id,
          clientAddress: clientAddress(config.trustProxy ? request.ip : undefined, request.socket.remoteAddress),
          log: request.log as never,
        });
        viewers.set(request, context.viewer?.id ?? null);
        return context;
      },
    }),
  });
};
