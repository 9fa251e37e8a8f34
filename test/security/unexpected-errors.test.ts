/*
 * A plain Error thrown outside any resolver — while building the context, or in a plugin hook —
 * reaches the client only as the masked INTERNAL_SERVER_ERROR, with the request id that the
 * response header carries, never with its own text. Apollo answers these itself (no resolver, and
 * for some no request context): this is what keeps formatError's catch-all honest.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../../src/graphql/context';
import { createHttpServer, type HttpServerOptions } from '../../src/http/server';
import { type HttpHarness, readResponse, startHttpServer } from '../helpers/http';

const SECRET = 'secret detail /work/src/thing.ts:12 select * from users';

function throwingIn(hook: string): ApolloServerPlugin<GraphQLContext> {
  const fail = async () => {
    throw new Error(`${SECRET} (${hook})`);
  };
  if (hook === 'requestDidStart') return { requestDidStart: fail as never };
  return { requestDidStart: async () => ({ [hook]: fail }) };
}

describe('a plain Error thrown outside a resolver', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(() => h?.close());

  async function ask(options: HttpServerOptions) {
    const server = await createHttpServer(h.app, options);
    try {
      const url = (await server.listen()).replace(/\/$/, '');
      return await readResponse(await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ publicMessage }"}' }));
    } finally {
      await server.fastify.close();
    }
  }

  const cases: Array<[string, HttpServerOptions]> = [
    // Authentication succeeded, then something in the context function threw.
    [
      'the context function',
      {
        authenticateRequest: async () =>
          ({
            ok: true,
            user: null,
            get viewer(): never {
              throw new Error(SECRET);
            },
          }) as never,
      },
    ],
    ...['requestDidStart', 'didResolveOperation', 'responseForOperation', 'executionDidStart', 'willSendResponse'].map(
      (hook): [string, HttpServerOptions] => [`a plugin's ${hook}`, { plugins: [throwingIn(hook)] }],
    ),
  ];

  it.each(cases)('in %s: 500, the generic message and the request id, nothing of its text', async (_where, options) => {
    const response = await ask(options);
    expect(response.status).toBe(500);
    expect(response.text).not.toContain('secret detail');
    expect(response.text).not.toMatch(/thing\.ts|select \*|Context creation failed/);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).toEqual({ errors: [{ message: 'Something went wrong on our side.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
  });
});
