/*
 * Request ids everywhere: an application's resolver that breaks the schema's promise (a string for
 * a DateTime, null for a non-null field, a GraphQLError without a code) gets the same answer as any
 * unexpected failure, INTERNAL_SERVER_ERROR with the request id, and its log line carries that id.
 * Through the real process (`gatehouse start MODULE`) and its JSON log. Every other error of every
 * answer carries the request id as well: 4xx, and the field errors of a 200 (a denial, bad input, a
 * failed login), a WebSocket `error` message and a `next` payload's errors (the socket's id).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codes, signUp } from '../helpers/accounts';
import { errorRequestIds, expectOwnRequestIds, get, post, startHttpServer } from '../helpers/http';
import { delay, devVars, gatehouseStart, gql, registerProcessCleanup, type Running, startServer, tempDir } from '../helpers/process';
import { eventually, openSocket } from '../helpers/ws';

registerProcessCleanup({ per: 'file' });

const APPLICATION = `
exports.typeDefs = \`
  extend type Query {
    when: DateTime @public
    mustHave: String! @public
    uncoded: String @public
    fine: String @public
    claimsAnother: String @public
    internalClaim: String @public
  }
\`;
exports.resolvers = {
  Query: {
    when: () => '2026-12-06',
    mustHave: () => null,
    uncoded: () => {
      const { GraphQLError } = require(${JSON.stringify(require.resolve('graphql'))});
      throw new GraphQLError('lookup failed at db-7');
    },
    fine: () => 'fine',
    claimsAnother: () => {
      const { GraphQLError } = require(${JSON.stringify(require.resolve('graphql'))});
      throw new GraphQLError('the upstream refused', { extensions: { code: 'UPSTREAM_REFUSED', requestId: 'another-request' } });
    },
    internalClaim: () => {
      const { GraphQLError } = require(${JSON.stringify(require.resolve('graphql'))});
      throw new GraphQLError('ledger at db-9 failed', { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'another-request' } });
    },
  },
};
`;

let server: Running;

beforeAll(async () => {
  const dir = tempDir();
  const module = join(dir, 'application.js');
  writeFileSync(module, APPLICATION);
  server = await startServer(devVars(dir, { LOG_LEVEL: 'debug' }), gatehouseStart(module));
});

/** The JSON log lines with this request id, once the process has written its "request completed" line (debug for a 200). */
async function logLinesOf(requestId: string): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 5000;
  const lines = () =>
    server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  while (!lines().some((l) => l['reqId'] === requestId && l['msg'] === 'request completed') && Date.now() < deadline) await delay(20);
  return lines().filter((l) => l['reqId'] === requestId);
}

it.each([
  ['a resolver returning a string for DateTime', '{ when fine }', 'when', /DateTime cannot represent/],
  ['a resolver returning null for a non-null field', '{ fine mustHave }', 'mustHave', /Cannot return null for non-nullable field/],
  ['a resolver throwing a GraphQLError without a code', '{ uncoded fine }', 'uncoded', /lookup failed at db-7/],
  [
    'a resolver throwing a GraphQLError coded INTERNAL_SERVER_ERROR that names another request',
    '{ internalClaim fine }',
    'internalClaim',
    /ledger at db-9 failed/,
  ],
])('%s: INTERNAL_SERVER_ERROR with the request id, logged under it with the detail', async (_case, query, field, detail) => {
  const response = await gql(server.url, query);
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(response.body.errors).toEqual([
    { message: 'Something went wrong on our side.', path: [field], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } },
  ]);
  const logged = await logLinesOf(requestId as string);
  const errors = logged.filter((line) => (line['level'] as number) >= 50);
  expect(errors).toHaveLength(1);
  expect(JSON.stringify(errors[0])).toMatch(detail);
  expect(errors[0]).toMatchObject({ requestId, path: [field] });
  // No line about this failure without the request's id.
  expect(server.stdout()).not.toContain('unexpected error outside GraphQL execution');
});

it("an application's error that names another request (extensions.requestId) is answered with this request's id", async () => {
  const response = await gql(server.url, '{ fine claimsAnother }');
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(response.body.errors).toEqual([
    {
      message: 'the upstream refused',
      path: ['claimsAnother'],
      locations: expect.anything(),
      extensions: { code: 'UPSTREAM_REFUSED', requestId },
    },
  ]);
});

describe('every error answer names its request', () => {
  it('400 (parse, validation, CSRF, malformed body), 401, 404, 413 and 429: requestId in every error, the x-request-id header', async () => {
    const h = await startHttpServer({ env: { LOGIN_FAILURES_PER_ACCOUNT: '1', BODY_LIMIT_BYTES: '2048' } });
    try {
      const json = { 'content-type': 'application/json' };
      const { email } = await signUp(h);
      const login = JSON.stringify({ query: `mutation { login(email: "${email}", password: "wrong password 123") { accessToken } }` });
      await post(h, login, json);
      const answers = {
        parse: await post(h, JSON.stringify({ query: '{' }), json),
        validation: await post(h, JSON.stringify({ query: '{ nope }' }), json),
        csrf: await post(h, JSON.stringify({ query: '{ publicMessage }' }), { 'content-type': 'text/plain' }),
        variables: await post(h, JSON.stringify({ query: '{ publicMessage }', variables: 3 }), json),
        json: await post(h, '{"query":', json),
        credential: await post(h, JSON.stringify({ query: '{ me { id } }' }), { ...json, authorization: 'Bearer nope' }),
        route: await get(h, '/nope'),
        size: await post(h, JSON.stringify({ query: '{ publicMessage }', padding: 'x'.repeat(4096) }), json),
        rateLimited: await post(h, login, json),
      };
      const seen = Object.entries(answers).map(([name, response]) => [
        name,
        response.status,
        (response.body.errors ?? []).length > 0 &&
          (response.body.errors ?? []).every((error) => error.extensions?.['requestId'] === response.headers.get('x-request-id')),
      ]);
      expect(seen).toEqual([
        ['parse', 400, true],
        ['validation', 400, true],
        ['csrf', 400, true],
        ['variables', 400, true],
        ['json', 400, true],
        ['credential', 401, true],
        ['route', 404, true],
        ['size', 413, true],
        ['rateLimited', 429, true],
      ]);
    } finally {
      await h.close();
    }
  });

  it('200 answers too: UNAUTHENTICATED and FORBIDDEN field errors, BAD_USER_INPUT, NOT_FOUND, a failed login, an unknown query hash', async () => {
    const h = await startHttpServer({});
    try {
      const user = await signUp(h);
      const asUser = { headers: { authorization: `Bearer ${user.accessToken}` } };
      const answers = {
        anonymous: await h.gql('{ publicMessage me { id } }'),
        forbidden: await h.gql('{ publicMessage users { totalCount } }', asUser),
        badInput: await h.gql('mutation { signUp(email: "not an email", password: "long enough password") { accessToken } }'),
        notFound: await h.gql(`mutation { revokeApiKey(id: "${randomUUID()}") { id } }`, asUser),
        failedLogin: await h.gql(`mutation { login(email: "${user.email}", password: "wrong password 123") { accessToken } }`),
        // Answered before execution (Apollo's error response), still a 200.
        unknownHash: await post(h, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }), {
          'content-type': 'application/json',
        }),
      };
      expect(Object.entries(answers).map(([name, response]) => [name, response.status, codes(response)])).toEqual([
        ['anonymous', 200, ['UNAUTHENTICATED']],
        ['forbidden', 200, ['FORBIDDEN']],
        ['badInput', 200, ['BAD_USER_INPUT']],
        ['notFound', 200, ['NOT_FOUND']],
        ['failedLogin', 200, ['UNAUTHENTICATED']],
        ['unknownHash', 200, ['PERSISTED_QUERY_NOT_FOUND']],
      ]);
      // Each error names its own answer's request (x-request-id), and no two answers share one.
      expectOwnRequestIds(...Object.values(answers));
    } finally {
      await h.close();
    }
  });

  it("makes its own id: a client's x-request-id is not taken (it could name another request in the logs)", async () => {
    const h = await startHttpServer({});
    try {
      const chosen = randomUUID();
      const response = await h.gql('{ me { id } }', { headers: { 'x-request-id': chosen } });
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
      expectOwnRequestIds(response);
      expect(response.headers.get('x-request-id')).not.toBe(chosen);
    } finally {
      await h.close();
    }
  });

  it("a WebSocket error message (an operation refused) names the socket's request", async () => {
    const h = await startHttpServer({});
    try {
      const socket = openSocket(h.url);
      try {
        await socket.connected;
        const refused = socket.subscribe('subscription { nope }');
        await eventually(() => refused.received.errors !== undefined, 'the refusal');
        expect(refused.received.errors).toEqual([
          expect.objectContaining({
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
          }),
        ]);
      } finally {
        await socket.dispose();
      }
    } finally {
      await h.close();
    }
  });

  it("a denial in a subscription's next payload names the socket's request, as its error messages do", async () => {
    const h = await startHttpServer({});
    try {
      const author = await signUp(h);
      const socket = openSocket(h.url);
      const other = openSocket(h.url);
      try {
        await Promise.all([socket.connected, other.connected]);
        const feed = socket.subscribe('subscription { noteAdded { title author { email } } }');
        // graphql-ws says nothing once a subscription runs: publish until the first note arrives.
        const publish = async () => {
          const created = await h.gql('mutation { createNote(title: "hello", body: "b", visibility: PUBLIC) { id } }', {
            headers: { authorization: `Bearer ${author.accessToken}` },
          });
          expect(created.body.errors).toBeUndefined();
        };
        for (let tries = 0; feed.received.events.length === 0 && tries < 50; tries++) {
          await publish();
          await delay(100);
        }
        const event = feed.received.events[0];
        expect(event?.data).toEqual({ noteAdded: { title: 'hello', author: { email: null } } });
        expect(event?.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
          [['noteAdded', 'author', 'email'], 'UNAUTHENTICATED'],
        ]);
        const refused = socket.subscribe('subscription { nope }');
        const elsewhere = other.subscribe('subscription { nope }');
        await eventually(() => refused.received.errors !== undefined && elsewhere.received.errors !== undefined, 'the refusals');
        const socketId = refused.received.errors?.[0]?.extensions?.requestId;
        expect(socketId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(errorRequestIds({ body: { errors: event?.errors as never } })).toEqual([socketId]);
        // Another socket, another id.
        expect(elsewhere.received.errors?.[0]?.extensions?.requestId).not.toBe(socketId);
      } finally {
        await Promise.all([socket.dispose(), other.dispose()]);
      }
    } finally {
      await h.close();
    }
  });
});
