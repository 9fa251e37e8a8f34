import { randomUUID } from 'node:crypto';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import cors from '@fastify/cors';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { App } from '../app';
import { type Authentication, authenticate } from '../auth/authenticate';
import { readCredential } from '../auth/credentials';
import { credentialRefused, databaseUnavailable, ErrorCode, internalError } from '../graphql/errors';
import { createApolloServer, createContext } from '../graphql/apollo';
import { clientAddress } from './client-address';
import type { GraphQLContext } from '../graphql/context';
import { isDatabaseUnreachable } from '../store/database';
import { registerSignInPage } from './signin-page';

export const GRAPHQL_PATH = '/graphql';
/** Development only: signs in and opens Sandbox with the token set (src/http/signin-page.ts). */
export const SIGN_IN_PATH = '/signin';

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

export interface HttpServer {
  readonly fastify: FastifyInstance;
  readonly apollo: ApolloServer<GraphQLContext>;
  /** Starts listening on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, finishes those in flight, closes the store. */
  close(): Promise<void>;
}

/** Adds `requestId` to every INTERNAL_SERVER_ERROR of a JSON error body that lacks one. */
function withRequestId(payload: string, requestId: string): string {
  if (!payload.includes(ErrorCode.INTERNAL_SERVER_ERROR)) return payload;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return payload;
  let changed = false;
  for (const error of errors as Array<{ extensions?: Record<string, unknown> }>) {
    if (error?.extensions?.['code'] === ErrorCode.INTERNAL_SERVER_ERROR && error.extensions['requestId'] === undefined) {
      error.extensions['requestId'] = requestId;
      changed = true;
    }
  }
  return changed ? JSON.stringify(body) : payload;
}

/** A GraphQL-shaped error body for failures that happen before GraphQL runs. */
function httpErrorBody(message: string, code: string, requestId: string) {
  return { errors: [{ message, extensions: { code, requestId } }] };
}

export interface HttpServerOptions {
  /** The enforced schema to serve (buildSchema); default: gatehouse's account schema alone. */
  readonly schema?: GraphQLSchema;
  /** More Apollo plugins (tests: a plugin that fails, to see what the client is told). */
  readonly plugins?: readonly ApolloServerPlugin<GraphQLContext>[];
}

/** Fastify + Apollo with gatehouse's security defaults. Does not listen until `listen()`. */
export async function createHttpServer(app: App, options: HttpServerOptions = {}): Promise<HttpServer> {
  const { config } = app;
  const fastify = Fastify({
    logger: {
      level: config.logLevel,
      serializers: {
        // Method, path and address only. Never headers (Authorization, X-API-Key), and never the
        // query string: it can carry a GraphQL document with its variables (a password, a token).
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          path: request.url.split('?')[0],
          remoteAddress: request.ip,
        }),
      },
    },
    // At most one line per request, written when it is answered (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    // Node checks requestTimeout (here: for the headers) only every connectionsCheckingInterval,
    // 30 s by default; the body has its own deadline below.
    requestTimeout: config.requestTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(config.requestTimeoutMs / 4))) },
    // One proxy in front: the client address is the last X-Forwarded-For entry that proxy added,
    // not the first, which any client can write.
    trustProxy: config.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });

  const apollo = createApolloServer(app, {
    log: fastify.log as never,
    plugins: [fastifyApolloDrainPlugin(fastify), ...(options.plugins ?? [])],
    ...(options.schema ? { schema: options.schema } : {}),
  });
  await apollo.start();

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

  let closing: Promise<void> | undefined;
  const viewerIds = new WeakMap<object, string | null>();

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
  // and the error handler answers and closes the connection.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    // A body that has already arrived in full (a small request, usually in the same packet as its
    // headers) needs no deadline: skipping the timer saved ~2.5% of a `me` request's CPU in a profile.
    if (request.method === 'GET' || request.method === 'HEAD' || request.raw.complete) return done(null, payload);
    const timer = setTimeout(() => {
      payload.destroy(Object.assign(new Error('request body timeout'), { statusCode: 408, code: 'GATEHOUSE_BODY_TIMEOUT' }));
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
        viewerId: viewerIds.get(request) ?? null,
        statusCode: status,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    // A masked 500 made where Apollo has no request context (see formatError in graphql/apollo.ts)
    // still names the request, so the client can quote it and the log line can be found.
    if (reply.statusCode >= 500 && typeof payload === 'string') payload = withRequestId(payload, request.id);
    // While shutting down, a keep-alive connection that goes idle would hold the process open until
    // the drain timeout; asking the client to close it after this answer lets the exit follow at once.
    if (closing !== undefined) reply.header('connection', 'close');
    // The landing page (development only) loads Sandbox from Apollo's CDN under its own CSP.
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) reply.removeHeader('content-security-policy');
    done(null, payload);
  });

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'GATEHOUSE_BODY_TIMEOUT') {
      return reply
        .status(408)
        .header('connection', 'close')
        .send(httpErrorBody(`The request took longer than ${config.requestTimeoutMs} ms.`, 'REQUEST_TIMEOUT', request.id));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.status(500).send(httpErrorBody('Something went wrong on our side.', ErrorCode.INTERNAL_SERVER_ERROR, request.id));
    }
    const message =
      status === 413
        ? `The request body is larger than ${config.bodyLimitBytes} bytes.`
        : status === 415
          ? 'Send GraphQL requests as application/json.'
          : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
            ? 'The request body is not valid JSON.'
            : 'The request is malformed.';
    return reply.status(status).send(httpErrorBody(message, status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', request.id));
  });
  fastify.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        httpErrorBody(`Nothing at ${request.method} ${request.url.split('?')[0]}. GraphQL is at ${GRAPHQL_PATH}.`, 'NOT_FOUND', request.id),
      );
  });

  if (config.nodeEnv !== 'production') registerSignInPage(fastify, { path: SIGN_IN_PATH, graphqlPath: GRAPHQL_PATH });
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

  fastify.route({
    url: GRAPHQL_PATH,
    method: ['GET', 'POST'],
    handler: fastifyApolloHandler(apollo, {
      context: async (request) => {
        // Called once the whole request is here: the lookups answer as of this moment.
        let authentication: Authentication;
        try {
          authentication = await authenticate(app, readCredential(request.headers));
        } catch (error) {
          // The store failed, not the caller: log the detail, answer with an id to find it by.
          if (isDatabaseUnreachable(error)) {
            request.log.warn({ err: error }, 'database unreachable during authentication');
            throw databaseUnavailable(request.id);
          }
          request.log.error({ err: error }, 'authentication failed unexpectedly');
          throw internalError(request.id, 500);
        }
        if (!authentication.ok) throw credentialRefused(authentication.problem);
        // Named in the request's log line. (A pino child logger per request would carry it too,
        // but costs more than the rest of a small request's logging.)
        viewerIds.set(request, authentication.viewer?.id ?? null);
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

  return {
    fastify,
    apollo,
    async listen() {
      return fastify.listen({ host: config.host, port: config.port });
    },
    close() {
      closing ??= (async () => {
        await apollo.stop(); // drains the HTTP server through fastifyApolloDrainPlugin
        await fastify.close();
        await app.store.close();
      })();
      return closing;
    },
  };
}
