import { writeRoles } from '../helpers/store';
/*
 * Access tokens through the real HTTP server: every way of forging, stretching or mangling a JWT
 * (and the Authorization header carrying it) is refused with 401 + WWW-Authenticate + one
 * UNAUTHENTICATED error, and never falls back to anonymous. Test tokens are signed with
 * jsonwebtoken and the server's own secret, typ at+jwt, iss gatehouse, aud gatehouse-api, so that
 * only the property under test is wrong; a control proves such a token is otherwise accepted.
 */
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ConfigError, parseConfig } from '../../src/config';
import { type GqlResponse, type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { expectRefused, ME, type SignedUp, signUp, uniqueEmail } from '../helpers/accounts';
import { b64url, handMadeJwt, rawExchange, type Recorder, startRecorder } from './support';

const ISSUER = 'gatehouse';
const AUDIENCE = 'gatehouse-api';

/** An attacker's RSA key pair (never known to the server). */
const attacker = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

describe('JWT access tokens over HTTP', () => {
  let h: HttpHarness;
  let user: SignedUp;
  let other: SignedUp;
  let secret: string;

  /** Claims of a good token for `user`; a test overrides the one it is about. */
  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const iat = nowSeconds();
    return { sub: user.id, jti: randomUUID(), iat, exp: iat + 600, iss: ISSUER, aud: AUDIENCE, ...overrides };
  }

  /** Signed by jsonwebtoken with the server's secret, HS256, typ at+jwt, unless a test says otherwise. */
  function sign(
    payload: Record<string, unknown>,
    options: { key?: jwt.Secret; algorithm?: jwt.Algorithm; header?: Record<string, unknown> } = {},
  ): string {
    const algorithm = options.algorithm ?? 'HS256';
    return jwt.sign(payload, options.key ?? secret, {
      algorithm,
      header: { alg: algorithm, typ: 'at+jwt', ...options.header } as jwt.JwtHeader,
    });
  }

  function withBearer(token: string, query = `{ publicMessage ${ME.slice(1, -1)} }`): Promise<GqlResponse> {
    return h.gql(query, { headers: { authorization: `Bearer ${token}` } });
  }

  async function expectTokenRefused(token: string): Promise<void> {
    const response = await withBearer(token);
    expectRefused(response, token);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  }

  beforeAll(async () => {
    h = await startHttpServer();
    secret = h.app.config.jwt.secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    user = await signUp(h);
    other = await signUp(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('control', () => {
    it('a correctly made token (HS256, typ at+jwt, iss, aud, sub, jti, iat, exp) IS accepted', async () => {
      const response = await withBearer(sign(claims()));
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?.['me']).toEqual({ id: user.id, email: user.email, role: 'USER' });
    });

    it('the token the server issued at sign-up is accepted', async () => {
      const response = await withBearer(user.accessToken);
      expect(response.status).toBe(200);
      expect(response.body.data?.['me']?.id).toBe(user.id);
    });
  });

  describe('alg: none', () => {
    const cases: Array<[string, 'empty' | 'hs256' | 'junk']> = [];
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      cases.push([alg, 'empty'], [alg, 'hs256'], [alg, 'junk']);
    }
    it.each(cases)('alg %p with %s signature is refused', async (alg, signature) => {
      const unsigned = handMadeJwt({ alg, typ: 'at+jwt' }, claims(), null);
      const token =
        signature === 'empty'
          ? `${unsigned}.`
          : signature === 'junk'
            ? `${unsigned}.${b64url('not a signature')}`
            : // the server's own valid HS256 signature over these bytes: only the header says "none"
              handMadeJwt({ alg, typ: 'at+jwt' }, claims(), secret);
      await expectTokenRefused(token);
    });

    it('alg none with no third part at all is refused', async () => {
      await expectTokenRefused(handMadeJwt({ alg: 'none', typ: 'at+jwt' }, claims(), null));
    });
  });

  describe('tampering and algorithm confusion', () => {
    it('a payload altered under the old signature (sub switched to another user) is refused', async () => {
      const good = sign(claims());
      const [header, , signature] = good.split('.') as [string, string, string];
      const forged = `${header}.${b64url(claims({ sub: other.id }))}.${signature}`;
      await expectTokenRefused(forged);
      // and the untouched token still works, so it is the alteration that was refused
      expect((await withBearer(good)).body.data?.['me']?.id).toBe(user.id);
    });

    it('a payload altered to extend exp under the old signature is refused', async () => {
      const good = sign(claims());
      const [header, payload, signature] = good.split('.') as [string, string, string];
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forged = `${header}.${b64url({ ...decoded, exp: nowSeconds() + 10 * 365 * 86_400 })}.${signature}`;
      await expectTokenRefused(forged);
    });

    it.each(['HS384', 'HS512'] as const)('%s signed with the server secret is refused', async (algorithm) => {
      await expectTokenRefused(sign(claims(), { algorithm }));
    });

    it('RS256 signed with an RSA private key is refused', async () => {
      await expectTokenRefused(sign(claims(), { algorithm: 'RS256', key: attacker.privateKey }));
    });

    it('PS256 and ES256 are refused', async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await expectTokenRefused(sign(claims(), { algorithm: 'PS256', key: attacker.privateKey }));
      await expectTokenRefused(sign(claims(), { algorithm: 'ES256', key: ec.privateKey }));
    });

    it('HS256 keyed with an RSA public key PEM (key confusion) is refused', async () => {
      // jsonwebtoken refuses to HMAC with a PEM, which is exactly what an attacker would not do: sign by hand.
      await expectTokenRefused(handMadeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims(), attacker.publicKey));
    });

    it.each(['secret', 'your-256-bit-secret'])('HS256 signed with the well-known weak secret %p is refused', async (weak) => {
      await expectTokenRefused(sign(claims(), { key: weak }));
    });

    it('a token with another typ (plain JWT) or no typ is refused', async () => {
      await expectTokenRefused(sign(claims(), { header: { typ: 'JWT' } }));
      await expectTokenRefused(handMadeJwt({ alg: 'HS256' }, claims(), secret));
    });
  });

  describe('claims', () => {
    it('no exp is refused', async () => {
      const { exp: _exp, ...rest } = claims();
      await expectTokenRefused(sign(rest));
    });

    it('exp in the past beyond the clock tolerance (5 s by default) is refused', async () => {
      expect(h.app.config.jwt.clockToleranceSeconds).toBe(5);
      await expectTokenRefused(sign(claims({ iat: nowSeconds() - 700, exp: nowSeconds() - 8 })));
      await expectTokenRefused(sign(claims({ iat: nowSeconds() - 4000, exp: nowSeconds() - 3600 })));
    });

    it('exp just inside the tolerance (2 s ago) IS accepted', async () => {
      const response = await withBearer(sign(claims({ iat: nowSeconds() - 600, exp: nowSeconds() - 2 })));
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?.['me']?.id).toBe(user.id);
    });

    it('nbf in the future (beyond the tolerance) is refused', async () => {
      await expectTokenRefused(sign(claims({ nbf: nowSeconds() + 120 })));
    });

    it('exp as a string is refused', async () => {
      // jsonwebtoken will not sign a string exp: made by hand, HMAC-SHA256 with the server's secret.
      await expectTokenRefused(handMadeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims({ exp: String(nowSeconds() + 600) }), secret));
    });

    it('exp as null or as an array is refused (and does not crash the server)', async () => {
      await expectTokenRefused(handMadeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims({ exp: null }), secret));
      await expectTokenRefused(handMadeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims({ exp: [nowSeconds() + 600] }), secret));
    });

    it('wrong iss is refused', async () => {
      await expectTokenRefused(sign(claims({ iss: 'someone-else' })));
    });

    it('wrong aud is refused', async () => {
      await expectTokenRefused(sign(claims({ aud: 'another-api' })));
    });

    it('a sub naming no user, or no sub, is refused', async () => {
      await expectTokenRefused(sign(claims({ sub: randomUUID() })));
      const { sub: _sub, ...rest } = claims();
      await expectTokenRefused(sign(rest));
    });
  });

  describe('remote key headers are never followed', () => {
    let recorder: Recorder;
    beforeAll(async () => {
      recorder = await startRecorder();
    });
    afterAll(async () => {
      await recorder?.close();
    });

    it('kid, jku, x5u and an embedded jwk pointing at a loopback server: refused, and the server is never contacted', async () => {
      const jwk = { ...createPublicKey(attacker.publicKey).export({ format: 'jwk' }), kid: 'evil', use: 'sig', alg: 'RS256' };
      const attackerHmac = randomSecret();
      const headers: Array<[jwt.Algorithm, jwt.Secret, Record<string, unknown>]> = [
        ['RS256', attacker.privateKey, { kid: `${recorder.url}/kid` }],
        ['RS256', attacker.privateKey, { jku: `${recorder.url}/jwks.json`, kid: 'evil' }],
        ['RS256', attacker.privateKey, { x5u: `${recorder.url}/cert.pem` }],
        ['RS256', attacker.privateKey, { jwk }],
        ['HS256', attackerHmac, { kid: `${recorder.url}/kid-hs` }],
        ['HS256', attackerHmac, { jku: `${recorder.url}/jwks-hs.json`, kid: 'evil' }],
        ['HS256', attackerHmac, { x5u: `${recorder.url}/cert-hs.pem` }],
        ['HS256', attackerHmac, { jwk: { kty: 'oct', k: Buffer.from(attackerHmac).toString('base64url') } }],
        ['HS256', attackerHmac, { kid: '../../../../dev/null' }],
      ];
      for (const [algorithm, key, header] of headers) {
        await expectTokenRefused(sign(claims(), { algorithm, key, header }));
      }
      // Give any asynchronous fetch a moment to land before looking.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(recorder.hits).toEqual([]);
      // The trap itself works: a request to it is recorded.
      await fetch(`${recorder.url}/self-check`);
      expect(recorder.hits).toEqual(['GET /self-check']);
    });
  });

  describe('malformed tokens', () => {
    it('2-part and 4-part tokens are refused', async () => {
      const good = sign(claims());
      const [header, payload, signature] = good.split('.') as [string, string, string];
      await expectTokenRefused(`${header}.${payload}`);
      await expectTokenRefused(`${good}.${signature}`);
      await expectTokenRefused(`${header}.${payload}.${signature}.`);
      await expectTokenRefused(`${header}..${signature}`);
    });

    it.each([
      ['a plus sign', (t: string) => `${t}+`],
      ['a slash', (t: string) => t.replace('.', '/.')],
      ['base64 padding', (t: string) => `${t}==`],
      ['a percent sign', (t: string) => `${t}%00`],
      ['a comma', (t: string) => `${t},x`],
      ['a quote', (t: string) => `"${t}"`],
      ['a tilde', (t: string) => `${t}~`],
    ])('a token with %s is refused', async (_label, mangle) => {
      await expectTokenRefused(mangle(sign(claims())));
    });

    it('a 10 KB token (under the header limit) is refused with 401, fast', async () => {
      const huge = handMadeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims({ pad: 'x'.repeat(10_000) }), secret);
      const started = Date.now();
      const response = await withBearer(huge);
      expect(Date.now() - started).toBeLessThan(1000);
      expectRefused(response);
    });

    it('a 20 KB token is refused fast with 401 or 431, never 500', async () => {
      const huge = handMadeJwt({ alg: 'HS256', typ: 'at+jwt' }, claims({ pad: 'x'.repeat(20_000) }), secret);
      const { port } = new URL(h.url);
      const body = '{"query":"{ publicMessage }"}';
      const exchange = await rawExchange(h.url, [
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${huge}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      ]);
      expect(exchange.ms).toBeLessThan(1000);
      expect([401, 431]).toContain(exchange.status);
      expect(exchange.received).not.toContain('"publicMessage":');
      // The server is fine afterwards.
      expect((await h.gql('{ publicMessage }')).status).toBe(200);
    });
  });

  describe('the Authorization header', () => {
    it.each([
      ['Bearer with nothing', 'Bearer'],
      ['Bearer and a space', 'Bearer '],
      ['Bearer and spaces', 'Bearer    '],
      ['an empty value', ''],
    ])('%s is refused, not anonymous', async (_label, value) => {
      const response = await h.gql(`{ publicMessage ${ME.slice(1, -1)} }`, { headers: { authorization: value } });
      expectRefused(response);
    });

    it.each([
      ['Basic', (t: string) => `Basic ${Buffer.from(`someone:${t}`).toString('base64')}`, (t: string) => t],
      ['Token', (t: string) => `Token ${t}`, (t: string) => t],
      ['JWT', (t: string) => `JWT ${t}`, (t: string) => t],
      ['Bearer= (no space)', (t: string) => `Bearer=${t}`, (t: string) => t],
      ['a bare token with no scheme', (t: string) => t, (t: string) => t],
      ['two spaces after Bearer', (t: string) => `Bearer  ${t}`, (t: string) => t],
      ['a tab after Bearer', (t: string) => `Bearer\t${t}`, (t: string) => t],
      ['two tokens', (t: string) => `Bearer ${t} ${t}`, (t: string) => t],
      ['two Bearer credentials', (t: string) => `Bearer ${t}, Bearer ${t}`, (t: string) => t],
    ])('another scheme or form (%s) is refused even around a valid token', async (_label, build, echoed) => {
      const token = sign(claims());
      const response = await h.gql(`{ publicMessage ${ME.slice(1, -1)} }`, { headers: { authorization: build(token) } });
      expectRefused(response, echoed(token));
    });

    it.each(['bearer', 'BEARER', 'bEaReR'])(
      'the scheme is case-insensitive (RFC 9110): %p with a valid token acts as the user',
      async (scheme) => {
        const response = await h.gql(ME, { headers: { authorization: `${scheme} ${sign(claims())}` } });
        expect(response.status).toBe(200);
        expect(response.body.data?.['me']?.id).toBe(user.id);
      },
    );

    it.each(['bearer', 'BEARER'])('%p with a bad token is refused like Bearer', async (scheme) => {
      const response = await h.gql(ME, { headers: { authorization: `${scheme} ${sign(claims({ aud: 'x' }))}` } });
      expectRefused(response);
    });

    it('both Authorization and X-API-Key at once are refused (invalid_request), even when both are valid', async () => {
      const created = await h.gql('mutation { createApiKey(name: "both") { secret } }', {
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      const key: string = created.body.data?.['createApiKey']?.secret;
      expect(key).toMatch(/^gth_/);
      const response = await h.gql(ME, { headers: { authorization: `Bearer ${user.accessToken}`, 'x-api-key': key } });
      expectRefused(response, user.accessToken, key);
      expect(response.headers.get('www-authenticate')).toContain('invalid_request');
    });

    it('a refused credential never runs a public mutation (nothing created)', async () => {
      const email = uniqueEmail('refused-jwt');
      const response = await h.gql('mutation ($e: String!) { signUp(email: $e, password: "correct horse battery") { accessToken } }', {
        variables: { e: email },
        headers: { authorization: `Bearer ${sign(claims({ iss: 'evil' }))}` },
      });
      expectRefused(response);
      const rows = await h.store.db.selectFrom('users').select('id').where('email_normalized', '=', email.toLowerCase()).execute();
      expect(rows).toHaveLength(0);
    });
  });
});

describe('a token accepted once is not trusted past its expiry or its user (verified-token cache)', () => {
  let h: HttpHarness;
  let offsetMs = 0;
  beforeAll(async () => {
    h = await startHttpServer({ now: () => new Date(Date.now() + offsetMs) });
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => {
    offsetMs = 0;
  });

  it('accepted, then refused once the clock passes exp + tolerance', async () => {
    const user = await signUp(h);
    for (let i = 0; i < 2; i++)
      expect((await h.gql(ME, { headers: { authorization: `Bearer ${user.accessToken}` } })).body.data?.['me']?.id).toBe(user.id);
    offsetMs = (h.app.config.jwt.accessTokenTtlSeconds + h.app.config.jwt.clockToleranceSeconds + 1) * 1000;
    expectRefused(await h.gql(ME, { headers: { authorization: `Bearer ${user.accessToken}` } }), user.accessToken);
  });

  it('accepted, then refused once its user is disabled', async () => {
    const user = await signUp(h);
    expect((await h.gql(ME, { headers: { authorization: `Bearer ${user.accessToken}` } })).body.data?.['me']?.id).toBe(user.id);
    await h.store.db.updateTable('users').set({ disabled_at: new Date().toISOString() }).where('id', '=', user.id).execute();
    expectRefused(await h.gql(ME, { headers: { authorization: `Bearer ${user.accessToken}` } }), user.accessToken);
  });

  it('a role change takes effect on the next request with the same token', async () => {
    const user = await signUp(h);
    const before = await h.gql('{ users(first: 1) { totalCount } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(before.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    await writeRoles(h.store.db, user.id, ['ADMIN']);
    const promoted = await h.gql('{ users(first: 1) { totalCount } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(promoted.body.errors).toBeUndefined();
    await writeRoles(h.store.db, user.id, ['USER']);
    const demoted = await h.gql('{ users(first: 1) { totalCount } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(demoted.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('JWT_CLOCK_TOLERANCE override', () => {
  let h: HttpHarness;
  let userId: string;
  beforeAll(async () => {
    h = await startHttpServer({ env: { JWT_CLOCK_TOLERANCE: '0' } });
    userId = (await signUp(h)).id;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('with tolerance 0, a token that expired 2 s ago is refused (the default 5 s would accept it)', async () => {
    const secret = h.app.config.jwt.secret as string;
    const now = nowSeconds();
    const make = (exp: number) =>
      jwt.sign({ sub: userId, jti: randomUUID(), iat: now - 600, exp, iss: ISSUER, aud: AUDIENCE }, secret, {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt' },
      });
    const expired = await h.gql(ME, { headers: { authorization: `Bearer ${make(now - 2)}` } });
    expectRefused(expired);
    const valid = await h.gql(ME, { headers: { authorization: `Bearer ${make(now + 60)}` } });
    expect(valid.status).toBe(200);
    expect(valid.body.data?.['me']?.id).toBe(userId);
  });
});

describe('JWT_SECRET at start-up (parseConfig)', () => {
  const production = (secret: string | undefined) => () =>
    parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'file::memory:', ...(secret === undefined ? {} : { JWT_SECRET: secret }) });

  function expectJwtSecretError(run: () => unknown): void {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe('JWT_SECRET');
    expect((caught as ConfigError).message).toContain('JWT_SECRET');
  }

  it.each([
    ['missing', undefined],
    ['31 bytes', 'aB3$dE6&gH9*jK2@mN5#pQ8!sT1^vW4'],
    ['"secret"', 'secret'],
    ['"your-256-bit-secret"', 'your-256-bit-secret'],
    ['a well-known value of 32+ bytes', 'please-change-this-secret-in-production'],
    ['a well-known value in another case', 'PLEASE-CHANGE-THIS-SECRET-IN-PRODUCTION'],
    ['one repeated character', 'a'.repeat(64)],
  ])('production refuses JWT_SECRET: %s', (_label, value) => {
    expectJwtSecretError(production(value));
  });

  it('a short secret is refused in development too', () => {
    expectJwtSecretError(() => parseConfig({ NODE_ENV: 'development', JWT_SECRET: 'secret' }));
  });

  it('a strong 64-character secret is accepted in production', () => {
    const strong = randomSecret();
    expect(production(strong)().jwt.secret).toBe(strong);
  });
});
