// How the HTTP layer answers what fails before or around GraphQL: a body that is too large, too
// slow, not JSON; an unknown path; an unexpected error (500, generic, with the request id). Every
// answer is GraphQL-shaped (`errors[].extensions.code`) and names the request. Errors inside
// GraphQL are worded in src/graphql/errors.ts.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../graphql/errors';
import { namingRequest } from '../graphql/request-ids';
import { GRAPHQL_PATH } from './route';

/** The error code the body deadline (src/http/hooks.ts) fails a request body with. */
export const BODY_TIMEOUT = 'GATEHOUSE_BODY_TIMEOUT';

/** A GraphQL-shaped error body for failures that happen before GraphQL runs. */
export function httpErrorBody(message: string, code: string, requestId: string) {
  return { errors: [{ message, extensions: { code, requestId } }] };
}

/**
 * Names the request in every error of a JSON error body (src/graphql/request-ids.ts):
 * Apollo's refusals made before it has a request context (CSRF, a malformed body), a 429, a masked
 * 500 made where Apollo has no request context. Called for answers of status 400 and above only:
 * the errors of a 200 got theirs inside Apollo, and the request's path pays nothing here.
 */
export function withRequestId(payload: string, requestId: string): string {
  if (!payload.includes('"errors"')) return payload;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || !errors.every((error) => typeof error === 'object' && error !== null)) return payload;
  const named = namingRequest(errors as GraphQLFormattedError[], requestId);
  return named === errors ? payload : JSON.stringify({ ...(body as object), errors: named });
}

/** Fastify's error and not-found handlers: client mistakes as 4xx with a plain reason, the rest as a logged, generic 500. */
export function registerErrorHandlers(fastify: FastifyInstance, config: Config): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === BODY_TIMEOUT) {
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
    const path = request.url.split('?')[0];
    // GraphQL's path with another method is there, just not for that method (RFC 9110: 405 names the allowed ones).
    if (path === GRAPHQL_PATH) {
      reply
        .status(405)
        .header('allow', 'GET, POST')
        .send(httpErrorBody(`GraphQL at ${GRAPHQL_PATH} takes GET and POST, not ${request.method}.`, 'BAD_REQUEST', request.id));
      return;
    }
    reply.status(404).send(httpErrorBody(`Nothing at ${request.method} ${path}. GraphQL is at ${GRAPHQL_PATH}.`, 'NOT_FOUND', request.id));
  });
}
