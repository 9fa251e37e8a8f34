/*
 * HTTP-level protections of the real server: CSRF prevention (nothing runs), CORS (only listed
 * origins, never `*`), body and header size limits, security headers, and a request timeout for
 * clients that never finish sending (slowloris).
 */
import { ConfigError, parseConfig } from '../../src/config';
import { type GqlResponse, type HttpHarness, startHttpServer, get, post } from '../helpers/http';
import { PASSWORD, uniqueEmail } from '../helpers/accounts';
import { countUsersWithEmail, rawExchange } from './support';

const ALLOWED = 'https://app.example.test';
const OTHER_ALLOWED = 'https://admin.example.test';

function signUpDocument(email: string): string {
  return `mutation { signUp(email: "${email}", password: "${PASSWORD}") { accessToken } }`;
}

describe('CSRF prevention', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['application/x-www-form-urlencoded', (q: string) => `query=${encodeURIComponent(q)}`],
    [
      'multipart/form-data; boundary=xyz',
      (q: string) => `--xyz\r\nContent-Disposition: form-data; name="query"\r\n\r\n${q}\r\n--xyz--\r\n`,
    ],
    ['text/plain', (q: string) => JSON.stringify({ query: q })],
    ['text/plain;charset=UTF-8', (q: string) => JSON.stringify({ query: q })],
  ])('a %s POST (a "simple" browser request) is refused and runs nothing', async (contentType, encode) => {
    const email = uniqueEmail('csrf');
    const response = await post(h, encode(signUpDocument(email)), { 'content-type': contentType });
    expect([400, 415]).toContain(response.status);
    expect(response.body).not.toHaveProperty('data');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await countUsersWithEmail(h, email)).toBe(0);
  });

  it('a POST with no content-type at all is refused and runs nothing', async () => {
    const email = uniqueEmail('csrf-none');
    const response = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      body: new Blob([JSON.stringify({ query: signUpDocument(email) })]),
    });
    expect([400, 415]).toContain(response.status);
    expect(await countUsersWithEmail(h, email)).toBe(0);
  });

  it('an application/json POST (the control) does run', async () => {
    const email = uniqueEmail('json');
    const response = await post(h, JSON.stringify({ query: signUpDocument(email) }), { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    expect(await countUsersWithEmail(h, email)).toBe(1);
  });

  it('a GET without apollo-require-preflight or x-apollo-operation-name is refused; with either it is served', async () => {
    const path = `/graphql?query=${encodeURIComponent('{ publicMessage }')}`;
    const bare = await get(h, path);
    expect(bare.status).toBe(400);
    expect(bare.body).not.toHaveProperty('data');
    expect(bare.text).toMatch(/CSRF/i);

    const preflighted: Record<string, string>[] = [{ 'apollo-require-preflight': 'true' }, { 'x-apollo-operation-name': 'Anything' }];
    for (const headers of preflighted) {
      const served = await get(h, path, headers);
      expect(served.status).toBe(200);
      expect(typeof served.body.data?.['publicMessage']).toBe('string');
    }
  });

  it('a mutation over GET is refused (405) and changes nothing, even with the preflight header', async () => {
    const email = uniqueEmail('get');
    const response = await get(h, `/graphql?query=${encodeURIComponent(signUpDocument(email))}`, { 'apollo-require-preflight': 'true' });
    expect(response.status).toBe(405);
    expect(response.body).not.toHaveProperty('data');
    expect(await countUsersWithEmail(h, email)).toBe(0);

    const named = await get(
      h,
      `/graphql?query=${encodeURIComponent(`query Q { publicMessage } ${signUpDocument(email).replace('mutation', 'mutation M')}`)}&operationName=M`,
      {
        'apollo-require-preflight': 'true',
      },
    );
    expect(named.status).toBe(405);
    expect(await countUsersWithEmail(h, email)).toBe(0);
  });
});

describe('CORS', () => {
  let h: HttpHarness;
  let closed: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { CORS_ORIGINS: `${ALLOWED},${OTHER_ALLOWED}` } });
    closed = await startHttpServer();
  });
  afterAll(async () => {
    await h?.close();
    await closed?.close();
  });

  function preflight(target: HttpHarness, origin: string): Promise<Response> {
    return fetch(`${target.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
  }

  it('each listed origin gets itself back in Access-Control-Allow-Origin, on the answer and the preflight', async () => {
    for (const origin of [ALLOWED, OTHER_ALLOWED]) {
      const response = await h.gql('{ publicMessage }', { headers: { origin } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('vary') ?? '').toMatch(/origin/i);
      const pre = await preflight(h, origin);
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    }
  });

  it.each([
    'https://evil.example.test',
    'https://app.example.test.evil.test',
    'https://evilapp.example.test',
    'http://app.example.test',
    'https://app.example.test:8443',
    'null',
    'HTTPS://APP.EXAMPLE.TEST.evil.test',
  ])('origin %p gets no Access-Control-Allow-Origin (answer and preflight)', async (origin) => {
    const response = await h.gql('{ publicMessage }', { headers: { origin } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    const pre = await preflight(h, origin);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never answers `*`, with or without an Origin, and with no CORS_ORIGINS nobody is allowed', async () => {
    const answers: GqlResponse[] = [
      await h.gql('{ publicMessage }'),
      await h.gql('{ publicMessage }', { headers: { origin: ALLOWED } }),
      await h.gql('{ publicMessage }', { headers: { origin: 'https://evil.example.test' } }),
      await closed.gql('{ publicMessage }', { headers: { origin: ALLOWED } }),
      await closed.gql('{ publicMessage }', { headers: { origin: 'https://evil.example.test' } }),
    ];
    for (const answer of answers) expect(answer.headers.get('access-control-allow-origin')).not.toBe('*');
    expect(answers[3]?.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(closed, ALLOWED)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each(['*', `${ALLOWED},*`, ` * `, `*,${ALLOWED}`])(
    'CORS_ORIGINS=%p refuses to start (ConfigError naming CORS_ORIGINS)',
    async (value) => {
      let caught: unknown;
      try {
        parseConfig({ NODE_ENV: 'test', DATABASE_URL: 'file::memory:', CORS_ORIGINS: value });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe('CORS_ORIGINS');
      // and the server itself never comes up with it
      await expect(startHttpServer({ env: { CORS_ORIGINS: value } })).rejects.toThrow(/CORS_ORIGINS/);
    },
  );
});

describe('body and header limits', () => {
  let h: HttpHarness;
  let small: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
    small = await startHttpServer({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(async () => {
    await h?.close();
    await small?.close();
  });

  /** A JSON body of exactly `bytes` bytes whose query is `{ publicMessage }` behind a comment. */
  function bodyOf(bytes: number): string {
    const shell = JSON.stringify({ query: '# \n{ publicMessage }' });
    const padding = 'a'.repeat(bytes - Buffer.byteLength(shell));
    const body = JSON.stringify({ query: `# ${padding}\n{ publicMessage }` });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  }

  it('default BODY_LIMIT_BYTES (100 KiB): one byte over → 413 JSON; exactly at the limit → served', async () => {
    expect(h.app.config.bodyLimitBytes).toBe(100 * 1024);
    const over = await post(h, bodyOf(100 * 1024 + 1), { 'content-type': 'application/json' });
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toMatch(/^application\/json/);
    expect(over.body).not.toHaveProperty('data');
    expect(over.body.errors?.[0]?.message).toEqual(expect.any(String));

    const at = await post(h, bodyOf(100 * 1024), { 'content-type': 'application/json' });
    expect(at.status).toBe(200);
    expect(typeof at.body.data?.['publicMessage']).toBe('string');
  });

  it('BODY_LIMIT_BYTES=2048: 3000 bytes → 413, 2000 → served', async () => {
    expect((await post(small, bodyOf(3000), { 'content-type': 'application/json' })).status).toBe(413);
    expect((await post(small, bodyOf(2000), { 'content-type': 'application/json' })).status).toBe(200);
  });

  it('a body over the limit announced by Content-Length is refused without reading it (413 fast)', async () => {
    const { port } = new URL(h.url);
    const exchange = await rawExchange(
      h.url,
      [`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"query":`],
      {
        waitMs: 3000,
      },
    );
    expect(exchange.status).toBe(413);
    expect(exchange.ms).toBeLessThan(2000);
  });

  it('a chunked body over the limit (no Content-Length) → 413', async () => {
    const { port } = new URL(small.url);
    const chunk = 'a'.repeat(1000);
    const chunks = [
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    ];
    for (let i = 0; i < 5; i++) chunks.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    chunks.push('0\r\n\r\n');
    const exchange = await rawExchange(small.url, chunks, { waitMs: 3000 });
    expect(exchange.status).toBe(413);
  });

  it('a 20 KB header → 431 (Node), never 500; the server keeps serving', async () => {
    const { port } = new URL(h.url);
    const body = '{"query":"{ publicMessage }"}';
    const exchange = await rawExchange(h.url, [
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nX-Filler: ${'a'.repeat(20 * 1024)}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    ]);
    expect(exchange.status).toBe(431);
    expect(exchange.ms).toBeLessThan(1000);
    const viaFetch = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-filler': 'b'.repeat(20 * 1024) },
      body,
    }).then(
      (response) => response.status,
      () => 'connection closed',
    );
    expect([431, 'connection closed']).toContain(viaFetch);
    expect((await h.gql('{ publicMessage }')).status).toBe(200);
  });

  it('many small headers adding up to 20 KB → 431, never 500', async () => {
    const { port } = new URL(h.url);
    const headers = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'c'.repeat(100)}\r\n`).join('');
    const exchange = await rawExchange(h.url, [`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}\r\n`]);
    expect(exchange.status).toBe(431);
  });
});

describe('security headers', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every JSON answer (200, 400, 401, 404, 405, 413, health) carries the security headers', async () => {
    const answers: Array<[number, GqlResponse]> = [
      [200, await h.gql('{ publicMessage }')],
      [400, await h.gql('{ nope }')],
      [400, await post(h, '{"query":', { 'content-type': 'application/json' })],
      [401, await h.gql('{ publicMessage }', { headers: { authorization: 'Bearer nope' } })],
      [404, await get(h, '/nowhere')],
      [
        405,
        await get(h, `/graphql?query=${encodeURIComponent('mutation { logout(refreshToken: "x") }')}`, {
          'apollo-require-preflight': 'true',
        }),
      ],
      [413, await post(h, JSON.stringify({ query: `# ${'a'.repeat(3000)}\n{ publicMessage }` }), { 'content-type': 'application/json' })],
      [200, await get(h, '/healthz')],
      [200, await get(h, '/readyz')],
    ];
    for (const [status, answer] of answers) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      const headers = {
        status,
        nosniff: answer.headers.get('x-content-type-options'),
        frame: answer.headers.get('x-frame-options'),
        hsts: answer.headers.get('strict-transport-security'),
        referrer: answer.headers.get('referrer-policy'),
        csp: answer.headers.get('content-security-policy'),
      };
      expect(headers).toEqual({
        status,
        nosniff: 'nosniff',
        frame: expect.stringMatching(/^(DENY|SAMEORIGIN)$/i),
        hsts: expect.stringMatching(/max-age=\d{6,}/),
        referrer: expect.stringMatching(/\S/),
        csp: expect.stringMatching(/default-src 'none'.*frame-ancestors 'none'|frame-ancestors 'none'.*default-src 'none'/),
      });
      expect(answer.headers.get('x-powered-by')).toBeNull();
      expect(answer.headers.get('server')).toBeNull();
    }
  });
});

describe('request timeout (REQUEST_TIMEOUT_MS)', () => {
  let h: HttpHarness;
  let byDefault: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { REQUEST_TIMEOUT_MS: '1000' } });
    byDefault = await startHttpServer();
  });
  afterAll(async () => {
    await h?.close();
    await byDefault?.close();
  });

  it('defaults to 30 s and follows the environment', () => {
    expect(byDefault.app.config.requestTimeoutMs).toBe(30_000);
    expect(h.app.config.requestTimeoutMs).toBe(1000);
  });

  function head(port: string): string {
    return `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
  }

  it('headers, then a few bytes of a 100-byte body, then nothing: 408 or closed within ~3 s', async () => {
    const { port } = new URL(h.url);
    const exchange = await rawExchange(h.url, [`${head(port)}{"query":`], { waitMs: 3500 });
    expect(exchange.status === 408 || exchange.closed).toBe(true);
    expect(exchange.ms).toBeLessThan(3500);
    expect(exchange.ms).toBeGreaterThanOrEqual(900); // it was the timeout, not an immediate refusal
    expect(exchange.received).not.toMatch(/^HTTP\/1\.1 (200|500)/);
  });

  it('a body dribbled one byte every 200 ms (never idle, never finished) is cut off within ~3 s', async () => {
    const { port } = new URL(h.url);
    const bytes = `{"query":"{ publicMessage }","x":"${'a'.repeat(60)}`;
    const exchange = await rawExchange(h.url, [head(port), ...bytes.split('')], { gapMs: 200, waitMs: 3500 });
    expect(exchange.status === 408 || exchange.closed).toBe(true);
    expect(exchange.ms).toBeLessThan(3500);
  });

  it('headers that never finish (classic slowloris) are cut off within ~3 s', async () => {
    const { port } = new URL(h.url);
    const lines = [`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, ...Array.from({ length: 30 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
    const exchange = await rawExchange(h.url, lines, { gapMs: 200, waitMs: 3500 });
    expect(exchange.status === 408 || exchange.closed).toBe(true);
    expect(exchange.ms).toBeLessThan(3500);
  });

  it('a request that arrives in time is served (control)', async () => {
    expect((await h.gql('{ publicMessage }')).status).toBe(200);
  });
});
