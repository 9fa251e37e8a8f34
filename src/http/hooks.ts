// What every HTTP request goes through, whatever its route: security headers and the request id
// on the way in, a deadline for the body, CORS when origins are configured, one log line on the
// way out, and the last touches to the answer (request id in a masked 500, `connection: close`
// while shutting down), written at the end of the event-loop turn (src/http/turn-writes.ts).
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import { BODY_TIMEOUT, withRequestId } from './errors';
import { GRAPHQL_PATH, type RequestViewers } from './route';
import { atEndOfTurn } from './turn-writes';

/**
 * The response headers OWASP's REST Security Cheat Sheet asks of an API, as one constant set once
 * per request. helmet's full set targets HTML pages (COOP, Origin-Agent-Cluster, X-XSS-Protection,
 * X-DNS-Prefetch-Control, …); for JSON they add bytes to every answer and protect nothing, and its
 * middleware chain cost ~2% of a small request in a profile.
 */
const SECURITY_HEADERS = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/**
 * Whether an answer goes out without the API's Content-Security-Policy: only Apollo's landing page
 * (development only: GET /graphql answered as HTML), which sets its own policy in a <meta> tag. A
 * header policy would be enforced together with it, and `default-src 'none'` would refuse the
 * scripts, styles and iframe its meta allows. Any other page keeps the API's policy or sets its
 * own header (src/http/signin-page.ts).
 */
export function bringsOwnCsp(routeUrl: string | undefined, contentType: unknown): boolean {
  return routeUrl === GRAPHQL_PATH && typeof contentType === 'string' && contentType.startsWith('text/html');
}

export interface HookOptions {
  readonly config: Config;
  readonly viewers: RequestViewers;
  /** True once the server has begun to shut down. */
  readonly closing: () => boolean;
}

export async function registerHooks(fastify: FastifyInstance, { config, viewers, closing }: HookOptions): Promise<void> {
  // Without allowed origins there is nothing for CORS to do: browsers refuse cross-origin calls
  // that carry no CORS headers, and no request pays for the hook.
  if (config.corsOrigins.length > 0) {
    await fastify.register(cors, {
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'apollo-require-preflight', 'x-apollo-operation-name'],
      maxAge: 600,
    });
  }

  // The hooks below take callbacks rather than being async: each runs on every request, and an
  // async hook costs Fastify a promise and a tick per request for work that is synchronous.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    reply.header('x-request-id', request.id);
    request.log.debug({ req: request }, 'request received');
    done();
  });
  // Node's requestTimeout stops waiting for headers, but not for a body that arrives a byte at a
  // time. The body gets its own deadline: when it passes, the body stream fails with a 408 error
  // and the error handler (src/http/errors.ts) answers and closes the connection.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    // A body that has already arrived in full (a small request, usually in the same packet as its
    // headers) needs no deadline: skipping the timer saved ~2.5% of a `me` request's CPU in a profile.
    if (request.method === 'GET' || request.method === 'HEAD' || request.raw.complete) return done(null, payload);
    const timer = setTimeout(() => {
      payload.destroy(Object.assign(new Error('request body timeout'), { statusCode: 408, code: BODY_TIMEOUT }));
    }, config.requestTimeoutMs);
    timer.unref(); // never what keeps the process alive
    const stop = () => clearTimeout(timer);
    payload.once('end', stop);
    payload.once('close', stop);
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // Successes at debug, refusals at info, failures at error: at the default level (info) a
    // successful request writes nothing, since that line alone measured ~18 µs of CPU on a request
    // costing ~200 µs. LOG_LEVEL=debug gives an access log of every request.
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
    reply.log[level](
      {
        req: request,
        viewerId: viewers.get(request) ?? null,
        statusCode: status,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
    done();
  });
  fastify.addHook('onSend', (request, reply, payload) => {
    // Every error answer names the request (a masked 500 made where Apollo has no request context,
    // see formatError in graphql/apollo.ts; Apollo's 400s; a 429), so the client can quote it and
    // the log line can be found. A 200 is left as it is: the request's path pays nothing.
    const answer = reply.statusCode >= 400 && typeof payload === 'string' ? withRequestId(payload, request.id) : payload;
    // While shutting down, a keep-alive connection that goes idle would hold the process open until
    // the drain timeout; asking the client to close it after this answer lets the exit follow at once.
    if (closing()) reply.header('connection', 'close');
    if (bringsOwnCsp(request.routeOptions.url, reply.getHeader('content-type'))) reply.removeHeader('content-security-policy');
    // A promise rather than a later `done`: Fastify turns a failure to write into an error answer
    // for a hook's promise, not for a callback called after the hook has returned.
    return atEndOfTurn(answer);
  });
}
