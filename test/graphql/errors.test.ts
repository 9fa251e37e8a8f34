import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLError } from 'graphql';
import {
  DatabaseUnavailable,
  Forbidden,
  HashQueueFull,
  InvalidInput,
  isDomainError,
  NotFound,
  RateLimited,
  Unauthenticated,
} from '../../src/errors';
import { databaseUnavailable, toGraphQLError } from '../../src/graphql/errors';
import { withDomainErrorsAnswered } from '../../src/graphql/resolvers/domain-errors';

/** What a client sees of an error: message, extensions without `http`, and the status and headers Apollo takes from `http`. */
function answer(error: GraphQLError) {
  const { http, ...extensions } = error.extensions as { http?: { status: number; headers?: Map<string, string> } };
  return {
    message: error.message,
    extensions,
    status: http?.status,
    headers: http?.headers ? Object.fromEntries(http.headers) : undefined,
  };
}

describe('domain errors (src/errors.ts)', () => {
  it('carry stable codes, and their module knows nothing of GraphQL', () => {
    expect(
      [
        new InvalidInput('x'),
        new NotFound('User'),
        new Unauthenticated(),
        new Forbidden(),
        new RateLimited(3),
        new HashQueueFull(1),
        new DatabaseUnavailable(),
      ].map((e) => e.code),
    ).toEqual([
      'ERR_INVALID_INPUT',
      'ERR_NOT_FOUND',
      'ERR_UNAUTHENTICATED',
      'ERR_FORBIDDEN',
      'ERR_RATE_LIMITED',
      'ERR_HASH_QUEUE_FULL',
      'ERR_DATABASE_UNAVAILABLE',
    ]);
    expect(isDomainError(new Error('x'))).toBe(false);
    expect(readFileSync(join(__dirname, '..', '..', 'src', 'errors.ts'), 'utf8')).not.toMatch(/from '(graphql|@apollo|fastify)/);
  });
});

describe('toGraphQLError: the answer to each domain error', () => {
  it.each([
    [new InvalidInput('Enter a valid email address.', 'email'), { code: 'BAD_USER_INPUT', argument: 'email' }, undefined],
    [new InvalidInput('Nope.'), { code: 'BAD_USER_INPUT' }, undefined],
    [new NotFound('API key'), { code: 'NOT_FOUND' }, undefined],
    [new Unauthenticated(), { code: 'UNAUTHENTICATED' }, undefined],
    [new Forbidden(), { code: 'FORBIDDEN' }, undefined],
    [new RateLimited(14.2, 'sign-ups from this address'), { code: 'RATE_LIMITED', retryAfter: 15 }, 429],
    [new HashQueueFull(1), { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 }, 503],
    [new DatabaseUnavailable(), { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 }, 503],
  ] as const)('%s', (error, extensions, status) => {
    const answered = answer(toGraphQLError(error));
    expect(answered.message).toBe(error.message);
    expect(answered.extensions).toEqual(extensions);
    expect(answered.status).toBe(status);
    if (status !== undefined) expect(answered.headers).toEqual({ 'retry-after': String(extensions.retryAfter) });
  });

  it('words throttling and a busy server as the contract does', () => {
    expect(new RateLimited(0.2).message).toBe('Too many failed attempts. Try again in 1 seconds.');
    expect(new HashQueueFull(1).message).toBe('The server is busy checking passwords. Try again in 1 seconds.');
    expect(answer(databaseUnavailable('req-1'))).toEqual({
      message: 'The service is unavailable right now. Try again in 5 seconds.',
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5, requestId: 'req-1' },
      status: 503,
      headers: { 'retry-after': '5' },
    });
  });
});

describe('withDomainErrorsAnswered', () => {
  const resolvers = withDomainErrorsAnswered({
    Query: {
      sync: () => {
        throw new NotFound('User');
      },
      async: async () => {
        throw new Forbidden();
      },
      value: () => 42,
      unexpected: () => {
        throw new TypeError('boom');
      },
    },
  });
  const call = (name: keyof typeof resolvers.Query) => (resolvers.Query[name] as (...a: unknown[]) => unknown)({}, {}, {}, {});

  it('answers a domain error thrown by a resolver, synchronous or not, and leaves the rest alone', async () => {
    expect(() => call('sync')).toThrow(expect.objectContaining({ extensions: { code: 'NOT_FOUND' } }));
    await expect(call('async')).rejects.toMatchObject({ message: 'You are not allowed to do this.', extensions: { code: 'FORBIDDEN' } });
    expect(call('value')).toBe(42);
    expect(() => call('unexpected')).toThrow(TypeError);
  });
});
