import assert from 'node:assert';
import { createHash } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { SIGN_IN_MUTATION } from '../../src/http/signin-page';
import { ensureAdmin } from '../../src/services/accounts';
import { sqliteFile, type ThrowawayDatabase } from '../helpers/databases';
import {
  CREATE_API_KEY,
  createKey,
  expectRefused,
  LOGIN,
  ME,
  PASSWORD,
  REVOKE_API_KEY,
  SIGN_UP,
  signUp,
  uniqueEmail,
} from '../helpers/accounts';
import {
  type GqlResponse,
  get,
  type HttpHarness,
  NO_STACK_OR_HTML,
  post,
  randomSecret,
  readResponse,
  startHttpServer,
} from '../helpers/http';

const ALLOWED_ORIGIN = 'https://app.example.test';

describe('gatehouse over HTTP', () => {
  let h: HttpHarness;
  /** Milliseconds added to the server's clock; reset after every test. */
  let clockOffsetMs = 0;

  beforeAll(async () => {
    h = await startHttpServer({
      env: { CORS_ORIGINS: ALLOWED_ORIGIN, MAX_QUERY_DEPTH: '4', BODY_LIMIT_BYTES: '2048' },
      now: () => new Date(Date.now() + clockOffsetMs),
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => {
    clockOffsetMs = 0;
  });

  describe('documents whose operation cannot be picked out', () => {
    // Apollo resolves no operation for these and still asks the plugins' responseForOperation; the
    // operation gate read the missing operation and the request answered 500.
    const refused = (response: GqlResponse, message: RegExp) => {
      expect(response.status).toBe(400);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['OPERATION_RESOLUTION_FAILURE']);
      expect(response.body.errors?.[0]?.message).toMatch(message);
      expect(response.text).not.toMatch(NO_STACK_OR_HTML);
    };

    it('answer 400 OPERATION_RESOLUTION_FAILURE to an operationName the document does not hold', async () => {
      refused(await h.gql('query A { publicMessage }', { operationName: 'C' }), /Unknown operation named "C"/);
      refused(await h.gql('mutation M { __typename }', { operationName: 'C' }), /Unknown operation named "C"/);
    });

    it('answer 400 OPERATION_RESOLUTION_FAILURE to several operations sent without an operationName', async () => {
      refused(await h.gql('query A { publicMessage } query B { publicMessage }'), /Must provide operation name/);
    });

    it('answer 400 to the same over GET', async () => {
      const query = encodeURIComponent('query A { publicMessage }');
      refused(
        await get(h, `/graphql?query=${query}&operationName=C`, { 'apollo-require-preflight': 'true' }),
        /Unknown operation named "C"/,
      );
    });
  });

  describe('persisted queries Apollo refuses', () => {
    it("answer 400 BAD_REQUEST with Apollo's reason, not a masked INTERNAL_SERVER_ERROR", async () => {
      const mismatch = await post(
        h,
        JSON.stringify({ query: '{ publicMessage }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }),
        { 'content-type': 'application/json' },
      );
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.errors).toEqual([
        {
          message: 'provided sha does not match query',
          extensions: { code: 'BAD_REQUEST', requestId: mismatch.headers.get('x-request-id') },
        },
      ]);
      const version = await post(
        h,
        JSON.stringify({ query: '{ publicMessage }', extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } }),
        { 'content-type': 'application/json' },
      );
      expect(version.status).toBe(400);
      expect(version.body.errors).toEqual([
        {
          message: 'Unsupported persisted query version',
          extensions: { code: 'BAD_REQUEST', requestId: version.headers.get('x-request-id') },
        },
      ]);
    });

    it('still answer a registered query by its hash alone', async () => {
      const query = '{ publicMessage }';
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const registered = await post(h, JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }), {
        'content-type': 'application/json',
      });
      expect(registered.status).toBe(200);
      const byHash = await post(h, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash } } }), {
        'content-type': 'application/json',
      });
      expect(byHash.status).toBe(200);
      expect(typeof byHash.body.data?.['publicMessage']).toBe('string');
    });
  });

  describe('anonymous callers', () => {
    it('read a public field with HTTP 200', async () => {
      const response = await h.gql('{ publicMessage }');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body.errors).toBeUndefined();
      expect(typeof response.body.data?.['publicMessage']).toBe('string');
      expect(response.body.data?.['publicMessage'].length).toBeGreaterThan(0);
    });

    it('get null and UNAUTHENTICATED with the path on a protected field, while other fields still resolve', async () => {
      const response = await h.gql('{ publicMessage me { id } }');
      expect(response.status).toBe(200);
      expect(response.body.data?.['me']).toBeNull();
      expect(typeof response.body.data?.['publicMessage']).toBe('string');
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors?.[0]?.path).toEqual(['me']);
      expect(response.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      expect(response.headers.get('www-authenticate')).toBeNull();
    });
  });

  describe('the walkthrough of docs/getting-started.md', () => {
    it('signUp → login → me (Bearer) → createApiKey → me (X-API-Key) → users FORBIDDEN as USER, allowed as ADMIN', async () => {
      const email = uniqueEmail('ada');

      const signedUp = await h.gql(SIGN_UP, { variables: { email, password: PASSWORD, name: 'Ada' } });
      expect(signedUp.status).toBe(200);
      expect(signedUp.body.errors).toBeUndefined();
      const payload = signedUp.body.data?.['signUp'];
      expect(payload.user).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'USER' });
      expect(payload.expiresIn).toBe(900);
      expect(payload.accessToken.split('.')).toHaveLength(3);
      expect(typeof payload.refreshToken).toBe('string');
      const userId: string = payload.user.id;

      const loggedIn = await h.gql(LOGIN, { variables: { email, password: PASSWORD } });
      expect(loggedIn.status).toBe(200);
      expect(loggedIn.body.errors).toBeUndefined();
      expect(loggedIn.body.data?.['login'].user.id).toBe(userId);
      const accessToken: string = loggedIn.body.data?.['login'].accessToken;

      const meByToken = await h.gql(ME, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(meByToken.status).toBe(200);
      expect(meByToken.body).toEqual({ data: { me: { id: userId, email, role: 'USER' } } });

      const created = await h.gql(CREATE_API_KEY, { variables: { name: 'ci' }, headers: { authorization: `Bearer ${accessToken}` } });
      expect(created.status).toBe(200);
      expect(created.body.errors).toBeUndefined();
      const { secret, apiKey } = created.body.data!['createApiKey'];
      expect(apiKey.name).toBe('ci');
      expect(secret.startsWith(apiKey.prefix)).toBe(true);
      expect(secret.length).toBeGreaterThan(apiKey.prefix.length);

      const meByKey = await h.gql(ME, { headers: { 'x-api-key': secret } });
      expect(meByKey.status).toBe(200);
      expect(meByKey.body).toEqual({ data: { me: { id: userId, email, role: 'USER' } } });

      const keys = await h.gql('{ myApiKeys { id name prefix } }', { headers: { 'x-api-key': secret } });
      expect(keys.status).toBe(200);
      expect(keys.body.data?.['myApiKeys']).toEqual([{ id: apiKey.id, name: 'ci', prefix: apiKey.prefix }]);
      expect(keys.text).not.toContain(secret);

      const usersAsUser = await h.gql('{ publicMessage users { totalCount } }', { headers: { authorization: `Bearer ${accessToken}` } });
      expect(usersAsUser.status).toBe(200);
      expect(usersAsUser.body.data?.['users']).toBeNull();
      expect(typeof usersAsUser.body.data?.['publicMessage']).toBe('string');
      expect(usersAsUser.body.errors).toHaveLength(1);
      expect(usersAsUser.body.errors?.[0]?.path).toEqual(['users']);
      expect(usersAsUser.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

      const adminEmail = uniqueEmail('admin');
      await ensureAdmin(h.app, adminEmail, PASSWORD);
      const adminLogin = await h.gql(LOGIN, { variables: { email: adminEmail, password: PASSWORD } });
      expect(adminLogin.body.errors).toBeUndefined();
      expect(adminLogin.body.data?.['login'].user.role).toBe('ADMIN');
      const adminToken: string = adminLogin.body.data?.['login'].accessToken;

      const usersAsAdmin = await h.gql('{ users(first: 100) { totalCount edges { node { id email role } } } }', {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(usersAsAdmin.status).toBe(200);
      expect(usersAsAdmin.body.errors).toBeUndefined();
      const nodes = usersAsAdmin.body.data?.['users'].edges.map((edge: { node: unknown }) => edge.node);
      expect(nodes).toEqual(
        expect.arrayContaining([
          { id: userId, email, role: 'USER' },
          { id: expect.any(String), email: adminEmail, role: 'ADMIN' },
        ]),
      );
      expect(usersAsAdmin.body.data?.['users'].totalCount).toBe(nodes.length);
    });
  });

  describe('plain HTTP behaviour', () => {
    it('GET /healthz answers 200', async () => {
      const response = await get(h, '/healthz');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('GET /readyz answers 200 while the database answers', async () => {
      const response = await get(h, '/readyz');
      expect(response.status).toBe(200);
    });

    it('malformed JSON gets 400 with a JSON body and no stack trace or HTML', async () => {
      const response = await post(h, '{"query": "{ publicMessage }"', { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body.errors?.[0]?.message).toEqual(expect.any(String));
      expect(response.body).not.toHaveProperty('data');
      expect(response.text).not.toMatch(NO_STACK_OR_HTML);
    });

    it('an unknown route gets a JSON 404', async () => {
      const response = await get(h, '/no/such/thing');
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body.errors?.[0]?.message).toEqual(expect.any(String));

      const wrongPath = await readResponse(
        await fetch(`${h.url}/graphql/extra`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ publicMessage }"}',
        }),
      );
      expect(wrongPath.status).toBe(404);
      expect(wrongPath.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it("GraphQL's path with a method it does not take gets 405 with Allow, not 404", async () => {
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const response = await readResponse(await fetch(`${h.url}/graphql?x=1`, { method }));
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, POST');
        expect(response.body.errors?.[0]?.message).toBe(`GraphQL at /graphql takes GET and POST, not ${method}.`);
        expect(response.body.errors?.[0]?.extensions?.['code']).toBe('BAD_REQUEST');
        expect(response.body.errors?.[0]?.extensions?.['requestId']).toBe(response.headers.get('x-request-id'));
      }
    });
  });

  describe('CORS', () => {
    it('a preflight from the allowed origin may send Authorization and X-API-Key; one from another origin is not allowed', async () => {
      const preflight = (origin: string) =>
        fetch(`${h.url}/graphql`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,authorization,x-api-key',
          },
        });
      const allowed = await preflight(ALLOWED_ORIGIN);
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      const allowedHeaders = (allowed.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      expect(allowedHeaders).toContain('authorization');
      expect(allowedHeaders).toContain('x-api-key');

      const other = await preflight('https://evil.example.test');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('response headers', () => {
    it('JSON answers carry nosniff, a content-security-policy and an x-request-id', async () => {
      const answers = [
        await h.gql('{ publicMessage }'),
        await h.gql('{ publicMessage }', { headers: { authorization: 'Bearer nope' } }),
        await get(h, '/nowhere'),
        await get(h, '/healthz'),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 200]);
      for (const answer of answers) {
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
        expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(answer.headers.get('x-request-id')).toEqual(expect.stringMatching(/\S/));
      }
    });

    it('every request gets its own x-request-id, and an error body names it', async () => {
      const first = await get(h, '/nowhere');
      const second = await get(h, '/nowhere');
      expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
      expect(first.body.errors?.[0]?.extensions?.['requestId']).toBe(first.headers.get('x-request-id'));
    });
  });
});

describe('credentials over an SQLite file, where the credential cache is in use', () => {
  let h: HttpHarness;
  let file: ThrowawayDatabase;
  beforeAll(async () => {
    file = sqliteFile();
    h = await startHttpServer({ env: { DATABASE_URL: `file:${file.config.dialect === 'sqlite' ? file.config.path : ''}` } });
  });
  afterAll(async () => {
    await h?.close();
    await file?.drop();
  });

  it('answers requests that arrive together each as their own caller, and refuses a key at the request after its revocation', async () => {
    const users = [await signUp(h), await signUp(h), await signUp(h)];
    const keys = await Promise.all(users.map((user) => createKey(h, user.accessToken)));
    type Caller = { id: string; headers: Record<string, string> };
    const callers = users.flatMap((user, i): Caller[] => [
      { id: user.id, headers: { authorization: `Bearer ${user.accessToken}` } },
      { id: user.id, headers: { 'x-api-key': keys[i]!.secret } },
    ]);
    const burst = () =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) => callers[i % callers.length]!).map(({ headers }) => h.gql('{ me { id } }', { headers })),
      );
    for (let round = 0; round < 2; round++) {
      const answers = await burst();
      expect(answers.map((a) => a.body.data?.['me']?.id)).toEqual(Array.from({ length: 30 }, (_, i) => callers[i % callers.length]!.id));
    }
    expect(h.store.lookups.cacheStats()?.hits).toBeGreaterThan(0);

    const revoked = await h.gql(REVOKE_API_KEY, {
      variables: { id: keys[1]!.id },
      headers: { authorization: `Bearer ${users[1]!.accessToken}` },
    });
    expect(revoked.body.errors).toBeUndefined();
    expectRefused(await h.gql(ME, { headers: { 'x-api-key': keys[1]!.secret } }), keys[1]!.secret);
    expect((await h.gql(ME, { headers: { 'x-api-key': keys[0]!.secret } })).body.data?.['me']?.id).toBe(users[0]!.id);
  });
});

describe('readiness when the database is gone', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET /readyz turns 503 once the store is closed; /healthz stays 200', async () => {
    expect((await get(h, '/readyz')).status).toBe(200);
    await h.store.close();
    const ready = await get(h, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/json/);
    expect(ready.text).not.toMatch(NO_STACK_OR_HTML);
    expect((await get(h, '/healthz')).status).toBe(200);
  });
});

describe('development and production modes', () => {
  let dev: HttpHarness;
  let prod: HttpHarness;
  beforeAll(async () => {
    dev = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    prod = await startHttpServer({ env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: randomSecret() } });
  });
  afterAll(async () => {
    await dev?.close();
    await prod?.close();
  });

  it('development serves the Apollo Sandbox landing page to a browser', async () => {
    const response = await get(dev, '/graphql', { accept: 'text/html' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.text).toMatch(/<!doctype html>/i);
    expect(response.text).toMatch(/sandbox/i);
  });

  it('the landing page leads somewhere offline: where it says Sandbox cannot be loaded, it links the console, /signin and a curl recipe', async () => {
    const response = await get(dev, '/graphql', { accept: 'text/html' });
    const fallback = response.text.slice(response.text.indexOf('Apollo Sandbox cannot be loaded'));
    expect(fallback).toMatch(/^Apollo Sandbox cannot be loaded[^<]*<\/p>\s*<h2>gatehouse without Sandbox<\/h2>/);
    expect(fallback).toContain('<a href="/admin">Admin console</a>');
    expect(fallback).toContain('<a href="/signin">Sign in or sign up</a>');
    expect(fallback).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/graphql -H &#39;content-type: application\/json&#39;/);
  });

  /** The configuration the landing page hands to Sandbox, as embedded in the served HTML. */
  async function sandboxConfig(): Promise<{
    initialState: { document?: string; headers?: Record<string, string>; sharedHeaders?: Record<string, string> };
  }> {
    const response = await get(dev, '/graphql', { accept: 'text/html' });
    const match = /var embeddedSandboxConfig = (\{.*?\});\n/s.exec(response.text);
    assert(match?.[1] !== undefined, 'the landing page embeds its Sandbox configuration');
    return JSON.parse(match[1]);
  }

  it('the landing page pre-fills no header the server refuses: introspection and its first query with exactly its headers answer 200', async () => {
    const { initialState } = await sandboxConfig();
    // An empty `Authorization: Bearer ` is a malformed credential (401): it must not be pre-filled.
    expect(initialState.sharedHeaders?.['Authorization'] ?? null).toBeNull();
    const headers = { ...initialState.sharedHeaders, ...initialState.headers };
    const introspection = await dev.gql(getIntrospectionQuery(), { headers });
    expect(introspection.status).toBe(200);
    expect(introspection.body.errors).toBeUndefined();
    expect(initialState.document).toContain('publicMessage');
    const first = await dev.gql(initialState.document as string, { headers });
    expect(first.status).toBe(200);
    expect(first.body.data?.['publicMessage']).toEqual(expect.any(String));
    // Sandbox's "Bearer " with no token, as the page used to pre-fill it, is refused.
    expect((await dev.gql('{ publicMessage }', { headers: { Authorization: 'Bearer ' } })).status).toBe(401);
  });

  it('development serves /signin, which signs in and opens Sandbox with the token; its mutation and the token work', async () => {
    const page = await get(dev, '/signin', { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const embedded = /<script id="gatehouse-signin-config" type="application\/json">(.*?)<\/script>/s.exec(page.text);
    assert(embedded?.[1] !== undefined);
    const config = JSON.parse(embedded[1]) as { graphqlPath: string; mutation: string };
    expect(config).toMatchObject({ graphqlPath: '/graphql', mutation: SIGN_IN_MUTATION });
    expect(page.text).toContain("sharedHeaders: { Authorization: 'Bearer ' + token }");

    const email = `signin-${Date.now()}@example.test`;
    expect(
      (
        await dev.gql('mutation ($e: String!) { signUp(email: $e, password: "correct horse battery staple") { accessToken } }', {
          variables: { e: email },
        })
      ).status,
    ).toBe(200);
    const login = await dev.gql(config.mutation, { variables: { email, password: 'correct horse battery staple' } });
    const token = login.body.data?.['login']?.accessToken;
    expect(token).toEqual(expect.any(String));
    const introspection = await dev.gql(getIntrospectionQuery(), { headers: { Authorization: `Bearer ${token}` } });
    expect(introspection.status).toBe(200);
    expect((await dev.gql('{ me { email } }', { headers: { Authorization: `Bearer ${token}` } })).body.data).toEqual({ me: { email } });
  });

  /** A Content-Security-Policy as its directives, each with its sources. */
  function directives(policy: string | null): Map<string, string[]> {
    assert(policy !== null, 'a Content-Security-Policy header');
    return new Map(
      policy
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .filter((words) => words[0] !== '')
        .map(([name, ...sources]) => [name as string, sources]),
    );
  }

  /** The CSP hash source of each inline element `<tag>` (no attributes: the ones the browser runs). */
  function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
    return [...html.matchAll(new RegExp(`<${tag}>(.*?)</${tag}>`, 'gs'))].map(
      (match) =>
        `'sha256-${createHash('sha256')
          .update(match[1] as string)
          .digest('base64')}'`,
    );
  }

  /** The security headers every answer carries besides its Content-Security-Policy. */
  function otherSecurityHeaders(response: { headers: Headers }): Record<string, string | null> {
    const names = [
      'cache-control',
      'cross-origin-resource-policy',
      'referrer-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
    ];
    return Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));
  }
  const API_SECURITY_HEADERS = {
    'cache-control': 'no-store',
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };

  it("/signin answers a CSP header of its own: its inline script and style by hash, Sandbox's CDN and iframe hosts as Apollo lists them, its own origin to connect, nothing else", async () => {
    const first = await get(dev, '/signin', { accept: 'text/html' });
    const second = await get(dev, '/signin', { accept: 'text/html' });
    const policy = directives(first.headers.get('content-security-policy'));
    // The page is the same bytes on every response, and so is its policy.
    expect(second.text).toBe(first.text);
    expect(second.headers.get('content-security-policy')).toBe(first.headers.get('content-security-policy'));

    // Every script and style tag is one the policy covers: one script the browser runs, one JSON data
    // block (never run), one style; no inline handler or style attribute, which no hash allows.
    expect(first.text.match(/<script\b[^>]*>/g)).toEqual(['<script id="gatehouse-signin-config" type="application/json">', '<script>']);
    expect(first.text.match(/<style\b[^>]*>/g)).toEqual(['<style>']);
    expect(first.text).not.toMatch(/\son[a-z]+=|\sstyle=/i);
    const scriptHashes = inlineHashes(first.text, 'script');
    const styleHashes = inlineHashes(first.text, 'style');
    expect(scriptHashes).toHaveLength(1);
    expect(styleHashes).toHaveLength(1);

    const embedded = /<script id="gatehouse-signin-config" type="application\/json">(.*?)<\/script>/s.exec(first.text);
    const sandboxScript = new URL((JSON.parse(embedded?.[1] ?? '{}') as { sandboxScript: string }).sandboxScript);
    expect(Object.fromEntries(policy)).toEqual({
      'default-src': ["'none'"],
      'script-src': [...scriptHashes, sandboxScript.origin],
      'style-src': styleHashes,
      'connect-src': ["'self'"],
      'frame-src': ['https://sandbox.embed.apollographql.com'],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'self'"],
      'object-src': ["'none'"],
    });
    // The hosts are among those Apollo's own landing page allows for Sandbox (its <meta> policy).
    const landing = await get(dev, '/graphql', { accept: 'text/html' });
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(landing.text);
    const apollo = directives(meta?.[1] ?? null);
    expect(apollo.get('script-src')).toContain(sandboxScript.origin);
    expect(apollo.get('frame-src')).toEqual(expect.arrayContaining(policy.get('frame-src') ?? ['(none)']));

    expect(otherSecurityHeaders(first)).toEqual(API_SECURITY_HEADERS);
  });

  it("the landing page loses only the API's CSP header: it brings its own in a <meta>, whose nonce its scripts and styles carry; the other security headers stay", async () => {
    const landing = await get(dev, '/graphql', { accept: 'text/html' });
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-security-policy')).toBeNull();
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(landing.text);
    const policy = directives(meta?.[1] ?? null);
    const nonce = /'nonce-([^']+)'/.exec(policy.get('script-src')?.join(' ') ?? '')?.[1];
    assert(nonce !== undefined, "the landing page's policy allows its scripts by nonce");
    expect(policy.get('style-src')).toContain(`'nonce-${nonce}'`);
    const tags = landing.text.match(/<(script|style)\b[^>]*>/g) ?? [];
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(tag).toMatch(new RegExp(`nonce="?${nonce}"?`));
    expect(otherSecurityHeaders(landing)).toEqual(API_SECURITY_HEADERS);
    // The same route's JSON answers keep the API's policy.
    const json = await dev.gql('{ publicMessage }');
    expect(json.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('production has no landing page', async () => {
    const attempts: Record<string, string>[] = [{ accept: 'text/html' }, { accept: 'text/html', 'apollo-require-preflight': 'true' }];
    for (const headers of attempts) {
      const response = await get(prod, '/graphql', headers);
      expect(response.status).not.toBe(200);
      expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      expect(response.text).not.toMatch(/<html/i);
    }
    expect((await get(prod, '/signin', { accept: 'text/html' })).status).toBe(404);
  });

  it('production still serves a normal query', async () => {
    const response = await prod.gql('{ publicMessage }');
    expect(response.status).toBe(200);
    expect(typeof response.body.data?.['publicMessage']).toBe('string');
  });
});
