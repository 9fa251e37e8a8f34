/*
 * What leaks through errors and logs. An unexpected failure reaches the client as a generic
 * INTERNAL_SERVER_ERROR with a requestId (no message, stack, SQL, path or secret) in development
 * and production; malformed requests get a JSON 400; and the real process's JSON logs carry request
 * and viewer ids but never a credential, a password or a key.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { type GqlResponse, type HttpHarness, randomSecret, readResponse, startHttpServer, NO_STACK_OR_HTML, post } from '../helpers/http';
import { delay, gql, registerProcessCleanup, type Running, startServer, tempDir } from '../helpers/process';
import { CREATE_API_KEY, LOGIN, ME, REFRESH, SIGN_UP, type SignedUp, signUp, uniqueEmail } from '../helpers/accounts';

registerProcessCleanup({ per: 'file' });

/** Things an internal failure must never show a client. */
const LEAKS =
  /no such table|sqlite|SqliteError|select .* from|insert into|"notes"\s+where|\bfrom\s+"?notes"?|RangeError|TypeError|ReferenceError|stack|\/work\/|node_modules|\.ts:\d+|\.js:\d+/i;

function expectGenericInternalError(response: GqlResponse, secret: string): void {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body.errors?.length).toBeGreaterThanOrEqual(1);
  for (const error of response.body.errors ?? []) {
    expect(error.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toBe('Something went wrong on our side.');
    expect(error.extensions?.['requestId']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(error.extensions?.['requestId']).toBe(response.headers.get('x-request-id'));
    expect(error.extensions?.['stacktrace']).toBeUndefined();
    expect(error.extensions?.['exception']).toBeUndefined();
  }
  expect(response.text).not.toMatch(LEAKS);
  expect(response.text).not.toMatch(NO_STACK_OR_HTML);
  expect(response.text).not.toContain(secret);
}

describe.each(['development', 'production'] as const)('unexpected errors in %s', (nodeEnv) => {
  let h: HttpHarness;
  let user: SignedUp;
  let secret: string;
  beforeAll(async () => {
    secret = randomSecret();
    h = await startHttpServer({ env: { NODE_ENV: nodeEnv, JWT_SECRET: secret, LOG_LEVEL: 'silent' } });
    user = await signUp(h);
    // A control before the damage: notes are served.
    const before = await h.gql('{ notes { totalCount } }');
    expect(before.status).toBe(200);
    expect(before.body.data?.['notes']?.totalCount).toBe(0);
    await sql`drop table notes`.execute(h.store.db);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a query whose resolver hits a dropped table: INTERNAL_SERVER_ERROR, generic message, requestId; no SQL, stack, path or secret', async () => {
    const response = await h.gql('{ publicMessage notes { totalCount edges { node { id } } } }');
    expect(response.status).toBe(200);
    expect(response.body.data ?? null).toBeNull(); // notes is non-null, so the whole data goes
    expectGenericInternalError(response, secret);
    expect(response.body.errors?.[0]?.path).toEqual(['notes']);
  });

  it('the same through a mutation (createNote)', async () => {
    const response = await h.gql('mutation { createNote(title: "t", body: "b") { id } }', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(response.body.data?.['createNote'] ?? null).toBeNull();
    expectGenericInternalError(response, secret);
  });

  it('a failure while authenticating (users table gone) is masked too, and not treated as anonymous', async () => {
    await sql`drop table users`.execute(h.store.db);
    const response = await h.gql('{ publicMessage }', { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(response.status).toBe(500);
    expect(response.body).not.toHaveProperty('data');
    expectGenericInternalError(response, secret);
    expect(response.text).not.toContain(user.accessToken);
  });
});

describe.each(['development', 'production'] as const)('malformed requests in %s', (nodeEnv) => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { NODE_ENV: nodeEnv, JWT_SECRET: randomSecret(), LOG_LEVEL: 'silent' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['truncated JSON', '{"query": "{ publicMessage }"'],
    ['not JSON', 'query { publicMessage }'],
    ['a trailing comma', '{"query": "{ publicMessage }",}'],
    ['a lone string', '"{ publicMessage }"'],
    ['null', 'null'],
    ['an empty body', ''],
    ['a number as the query', '{"query": 1}'],
    ['variables as a string', '{"query": "{ publicMessage }", "variables": "x"}'],
    ['no query', '{"variables": {}}'],
    ['__proto__ poisoning', '{"query": "{ publicMessage }", "__proto__": {"polluted": true}}'],
    ['constructor.prototype poisoning', '{"query": "{ publicMessage }", "constructor": {"prototype": {"polluted": true}}}'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
  ])('%s → 400 with a JSON error, no HTML, no stack', async (_label, body) => {
    const response = await post(h, body, { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).not.toHaveProperty('data');
    expect(response.body.errors?.[0]?.message).toEqual(expect.any(String));
    expect(response.text).not.toMatch(NO_STACK_OR_HTML);
    expect(response.text).not.toMatch(/SyntaxError|Unexpected token in JSON at|stacktrace/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('JSON nested 40 000 levels deep (inside the body limit) never crashes the server or shows a stack', async () => {
    const deep = `{"query":"{ publicMessage }","variables":{"a":${'['.repeat(40_000)}${']'.repeat(40_000)}}}`;
    const response = await post(h, deep, { 'content-type': 'application/json' });
    expect([200, 400, 413]).toContain(response.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.text).not.toMatch(NO_STACK_OR_HTML);
    expect(response.text).not.toMatch(/RangeError|call stack/i);
    expect((await h.gql('{ publicMessage }')).status).toBe(200);
  });

  it('an unknown route and a wrong method answer JSON without echoing the query string', async () => {
    const notFound = await readResponse(await fetch(`${h.url}/no-such-route?password=hunter2-${randomUUID()}`));
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toMatch(/^application\/json/);
    expect(notFound.text).not.toContain('hunter2');
    const wrongMethod = await readResponse(await fetch(`${h.url}/graphql`, { method: 'DELETE' }));
    expect(wrongMethod.status).toBeGreaterThanOrEqual(400);
    expect(wrongMethod.status).toBeLessThan(500);
    expect(wrongMethod.text).not.toMatch(NO_STACK_OR_HTML);
  });
});

describe('logs of the real process (LOG_LEVEL=debug)', () => {
  let server: Running;
  const jwtSecret = randomSecret();
  const email = uniqueEmail('logged');
  const signUpPassword = `sign-up ${randomUUID()}`;
  const wrongPassword = `wrong ${randomUUID()}`;
  const urlPassword = `url-${randomUUID()}`;
  const secrets: Record<string, string> = {};
  let userId = '';
  let apiKeyRequestId = '';
  let lines: Array<Record<string, unknown>> = [];
  let raw = '';
  /** Unexpected failures provoked at the end: what the client got. */
  let resolverFailure: GqlResponse | undefined;
  let contextFailure: GqlResponse | undefined;

  beforeAll(async () => {
    const dir = tempDir();
    server = await startServer({
      NODE_ENV: 'development',
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      DATA_DIR: dir,
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: 'debug',
      PASSWORD_HASH_COST: '10',
    });
    const { url } = server;

    const signedUp = await gql(url, SIGN_UP, { email, password: signUpPassword });
    expect(signedUp.body.errors).toBeUndefined();
    userId = signedUp.body.data?.['signUp'].user.id;
    secrets['sign-up access token'] = signedUp.body.data?.['signUp'].accessToken;
    secrets['sign-up refresh token'] = signedUp.body.data?.['signUp'].refreshToken;

    const failed = await gql(url, LOGIN, { email, password: wrongPassword });
    expect(failed.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');

    const loggedIn = await gql(url, LOGIN, { email, password: signUpPassword });
    expect(loggedIn.body.errors).toBeUndefined();
    secrets['login access token'] = loggedIn.body.data?.['login'].accessToken;
    secrets['login refresh token'] = loggedIn.body.data?.['login'].refreshToken;

    const refreshed = await gql(url, REFRESH, { refreshToken: secrets['login refresh token'] });
    expect(refreshed.body.errors).toBeUndefined();
    secrets['refreshed access token'] = refreshed.body.data?.['refreshToken'].accessToken;
    secrets['refreshed refresh token'] = refreshed.body.data?.['refreshToken'].refreshToken;

    const created = await gql(
      url,
      CREATE_API_KEY,
      { name: 'logged key' },
      { authorization: `Bearer ${secrets['refreshed access token']}` },
    );
    expect(created.body.errors).toBeUndefined();
    secrets['API key'] = created.body.data?.['createApiKey'].secret;

    const viaKey = await gql(url, ME, {}, { 'x-api-key': secrets['API key'] as string });
    expect(viaKey.body.data?.['me']?.id).toBe(userId);
    apiKeyRequestId = viaKey.headers.get('x-request-id') ?? '';

    const refused = await gql(url, ME, {}, { authorization: `Bearer ${secrets['sign-up access token']}x` });
    expect(refused.status).toBe(401);

    const viaGet = await fetch(
      `${url}/graphql?query=${encodeURIComponent('{ publicMessage }')}&password=${urlPassword}&api_key=${secrets['API key']}`,
      {
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(viaGet.status).toBe(200);
    const loginOverGet = await fetch(
      `${url}/graphql?query=${encodeURIComponent('query { publicMessage }')}&variables=${encodeURIComponent(JSON.stringify({ password: urlPassword }))}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    expect(loginOverGet.status).toBe(200);

    const loggedOut = await gql(
      url,
      'mutation ($t: String!) { logout(refreshToken: $t) }',
      { t: secrets['refreshed refresh token'] },
      {
        authorization: `Bearer ${secrets['refreshed access token']}`,
      },
    );
    expect(loggedOut.body.data?.['logout']).toBe(true);

    // Unexpected failures, provoked by dropping tables under the running process: one in a resolver
    // (notes), one while authenticating (users).
    const sqlite = new Database(join(dir, 'g.db'));
    try {
      sqlite.pragma('foreign_keys = OFF');
      sqlite.exec('drop table notes');
      resolverFailure = await gql(url, '{ notes { totalCount } }');
      sqlite.exec('drop table users');
      contextFailure = await gql(url, ME, {}, { 'x-api-key': secrets['API key'] as string });
    } finally {
      sqlite.close();
    }

    // pino writes synchronously to stdout, but the pipe to us is asynchronous: wait for the last line.
    const lastId = contextFailure.headers.get('x-request-id') ?? '<none>';
    const deadline = Date.now() + 3000;
    while (server.stdout().split(lastId).length < 3 && Date.now() < deadline) await delay(20);
    await delay(100);
    raw = server.stdout() + server.stderr();
    lines = server
      .stdout()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }, 40_000);

  it('every stdout line is one JSON object with a level and a time', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(typeof line['level']).toBe('number');
      expect(typeof line['time']).toBe('number');
    }
  });

  it('request lines carry a reqId, and an authenticated request (API key) names its viewerId', () => {
    const requestLines = lines.filter(
      (line) => line['req'] !== undefined || line['res'] !== undefined || line['msg'] === 'request completed',
    );
    expect(requestLines.length).toBeGreaterThanOrEqual(10);
    for (const line of requestLines) expect(line['reqId']).toEqual(expect.stringMatching(/\S/));
    const ofKeyRequest = lines.filter((line) => line['reqId'] === apiKeyRequestId);
    expect(ofKeyRequest.length).toBeGreaterThanOrEqual(1);
    expect(ofKeyRequest.some((line) => line['viewerId'] === userId)).toBe(true);
    // the request completed line of every authenticated request names the viewer
    const completedWithViewer = lines.filter((line) => line['msg'] === 'request completed' && line['viewerId'] === userId);
    expect(completedWithViewer.length).toBeGreaterThanOrEqual(3); // createApiKey, me via key, logout
  });

  it.each(['Authorization header', 'X-API-Key', 'passwords', 'refresh tokens', 'the JWT secret'])('never contains %s', (what) => {
    const values: string[] =
      what === 'Authorization header'
        ? [secrets['sign-up access token'], secrets['login access token'], secrets['refreshed access token']].flatMap((t) => [
            t as string,
            (t as string).split('.')[2] as string,
          ])
        : what === 'X-API-Key'
          ? [secrets['API key'] as string, (secrets['API key'] as string).slice(12)]
          : what === 'passwords'
            ? [signUpPassword, wrongPassword, urlPassword]
            : what === 'refresh tokens'
              ? [secrets['sign-up refresh token'], secrets['login refresh token'], secrets['refreshed refresh token']].flatMap((t) => [
                  t as string,
                  (t as string).slice(4),
                ])
              : [jwtSecret];
    expect(raw.length).toBeGreaterThan(0);
    for (const value of values) {
      expect(value.length).toBeGreaterThan(8);
      expect(raw).not.toContain(value);
    }
  });

  it('an unexpected error in a resolver: the client gets only a requestId, the log has the detail under that id', () => {
    const response = resolverFailure as GqlResponse;
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
    const requestId = response.body.errors?.[0]?.extensions?.['requestId'];
    expect(requestId).toEqual(expect.stringMatching(/\S/));
    expect(response.text).not.toMatch(LEAKS);
    const logged = lines.filter((line) => line['reqId'] === requestId && (line['level'] as number) >= 50);
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(logged)).toMatch(/no such table/i);
  });

  it('an unexpected error while authenticating: the client gets a requestId, the log has the detail under that id', () => {
    const response = contextFailure as GqlResponse;
    expect(response.status).toBe(500);
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
    expect(response.text).not.toMatch(LEAKS);
    const requestId = response.headers.get('x-request-id');
    const logged = lines.filter((line) => line['reqId'] === requestId && (line['level'] as number) >= 50);
    // Both halves in one assertion, so a failure shows which of them is missing.
    expect({
      requestIdInBody: response.body.errors?.[0]?.extensions?.['requestId'],
      detailLoggedUnderThatId: logged.length >= 1 && /no such table/i.test(JSON.stringify(logged)),
    }).toEqual({ requestIdInBody: requestId, detailLoggedUnderThatId: true });
  });

  it('logged URLs carry no query string', () => {
    const urls = lines.flatMap((line) => {
      const req = line['req'] as Record<string, unknown> | undefined;
      return req === undefined ? [] : [String(req['url'] ?? req['path'] ?? '')];
    });
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).not.toContain('?');
    expect(raw).not.toContain('password=');
    expect(raw).not.toContain('api_key=');
  });
});
