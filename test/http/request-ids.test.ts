/*
 * Request ids everywhere: an application's resolver that breaks the schema's promise (a string for
 * a DateTime, null for a non-null field, a GraphQLError without a code) gets the same answer as any
 * unexpected failure, INTERNAL_SERVER_ERROR with the request id, and its log line carries that id.
 * Through the real process (`gatehouse start MODULE`) and its JSON log. Every other error answer,
 * 4xx included, and a WebSocket `error` message carry the request id as well.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signUp } from '../helpers/accounts';
import { get, post, startHttpServer } from '../helpers/http';
import { delay, devVars, gql, registerProcessCleanup, type Running, startServer, tempDir } from '../helpers/process';
import { eventually, openSocket } from '../helpers/ws';

registerProcessCleanup({ per: 'file' });

const APPLICATION = `
exports.typeDefs = \`
  extend type Query {
    when: DateTime @public
    mustHave: String! @public
    uncoded: String @public
    fine: String @public
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
  },
};
`;

let server: Running;

beforeAll(async () => {
  const dir = tempDir();
  const module = join(dir, 'application.js');
  writeFileSync(module, APPLICATION);
  server = await startServer(devVars(dir, { LOG_LEVEL: 'debug' }), [
    process.execPath,
    '--import',
    'tsx',
    join('src', 'cli', 'gatehouse.ts'),
    'start',
    module,
  ]);
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
});
