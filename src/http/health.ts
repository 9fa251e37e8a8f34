// Liveness and readiness: /healthz answers while the process serves; /readyz only while the
// database answers too (503 otherwise), so a load balancer stops sending requests it cannot serve.
import type { RouteModule } from './route';

export const healthRoutes: RouteModule = (fastify, { app }) => {
  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (request, reply) => {
    try {
      await app.store.ping();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not answering');
      return reply.status(503).send({ status: 'unavailable' });
    }
  });
};
