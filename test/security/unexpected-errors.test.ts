/*
 * A plain Error thrown outside any resolver — while building the context, or in a plugin hook —
 * reaches the client only as the masked INTERNAL_SERVER_ERROR, with the request id that the
 * response header carries, never with its own text. Apollo answers these itself (no resolver, and
 * for some no request context): this is what keeps formatError's catch-all honest.
 */
import { randomUUID } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin, type BaseContext, HeaderMap } from '@apollo/server';
import pino from 'pino';
import type { App } from '../../src/app';
import { apolloServerConfig, createContext } from '../../src/graphql/apollo';
import type { GraphQLContext } from '../../src/graphql/context';
import { createHttpServer } from '../../src/http/server';
import { type HttpHarness, readResponse, startHttpServer } from '../helpers/http';

const SECRET = 'secret detail /work/src/thing.ts:12 select * from users';

function throwingIn(hook: string): ApolloServerPlugin<BaseContext> {
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

  async function ask(app: App, headers: Record<string, string> = {}) {
    const server = await createHttpServer(app);
    try {
      const url = (await server.listen()).replace(/\/$/, '');
      return await readResponse(
        await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: '{"query":"{ publicMessage }"}',
        }),
      );
    } finally {
      await server.fastify.close();
    }
  }

  type Case = [string, () => Parameters<typeof ask>];
  const cases: Case[] = [
    // Authentication itself threw (the store failed in a way that is not an outage).
    [
      'authentication, while building the context',
      () => {
        const lookups = { ...h.app.store.lookups, userById: async () => Promise.reject(new Error(SECRET)) };
        const app = { ...h.app, store: { ...h.app.store, lookups } };
        const token = h.app.accessTokens.issue('00000000-0000-4000-8000-000000000000', new Date()).token;
        return [app, { authorization: `Bearer ${token}` }];
      },
    ],
    ...['requestDidStart', 'didResolveOperation', 'responseForOperation', 'executionDidStart', 'willSendResponse'].map(
      (hook): Case => [`a plugin's ${hook}`, () => [{ ...h.app, apolloPlugins: [throwingIn(hook)] }]],
    ),
  ];

  it.each(cases)('in %s: 500, the generic message and the request id, nothing of its text', async (_where, setup) => {
    const response = await ask(...setup());
    expect(response.status).toBe(500);
    expect(response.text).not.toContain('secret detail');
    expect(response.text).not.toMatch(/thing\.ts|select \*|Context creation failed/);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).toEqual({
      errors: [{ message: 'Something went wrong on our side.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }],
    });
  });
});

describe("a plugin hook's error in the log", () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(() => h?.close());

  it.each(['requestDidStart', 'responseForOperation', 'executionDidStart', 'willSendResponse'])(
    'in %s: logged once, with its detail, under the request id; no line without it',
    async (hook) => {
      const lines: Array<Record<string, unknown>> = [];
      const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
      const app = { ...h.app, apolloPlugins: [throwingIn(hook)] };
      const server = new ApolloServer<GraphQLContext>(apolloServerConfig(app, { log }));
      await server.start();
      try {
        const requestId = randomUUID();
        const contextValue = createContext(app, {
          viewer: null,
          user: null,
          clientAddress: '127.0.0.1',
          requestId,
          log: log.child({ reqId: requestId }),
        });
        // As the HTTP integration asks, so that formatError (Apollo's own 500 answer) runs as well.
        const answer = await server.executeHTTPGraphQLRequest({
          httpGraphQLRequest: {
            method: 'POST',
            headers: new HeaderMap([['content-type', 'application/json']]),
            search: '',
            body: { query: '{ publicMessage }' },
          },
          context: async () => contextValue,
        });
        expect(answer.status).toBe(500);
        const errors = lines.filter((line) => (line['level'] as number) >= 50);
        expect(errors.map((line) => [line['reqId'], line['requestId'], JSON.stringify(line).includes(`secret detail`)])).toEqual([
          [requestId, requestId, true],
        ]);
      } finally {
        await server.stop();
      }
    },
  );
});
