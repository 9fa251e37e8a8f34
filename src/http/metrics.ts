// GET /metrics: this instance's Prometheus text (src/telemetry/metrics.ts), only when METRICS_TOKEN
// is set and only to `Authorization: Bearer <METRICS_TOKEN>`; anything else is 401 with a
// WWW-Authenticate challenge, and the route does not exist without the token (404). The token is
// compared in constant time (as SHA-256 digests, so its length is not told either).
import { createHash, timingSafeEqual } from 'node:crypto';
import { httpErrorBody } from './errors';
import type { RouteModule } from './route';

export const METRICS_PATH = '/metrics';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** True when `header` is exactly `Bearer <token>`. Constant time in the header's content. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const expected = digest(`Bearer ${token}`);
  return timingSafeEqual(digest(header ?? ''), expected);
}

export const metricsRoute: RouteModule = (fastify, { app }) => {
  const token = app.config.metricsToken;
  if (token === null) return;
  const { registry } = app.telemetry.metrics;
  fastify.get(METRICS_PATH, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="gatehouse metrics"')
        .send(httpErrorBody('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.', 'UNAUTHENTICATED', request.id));
    }
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
};
