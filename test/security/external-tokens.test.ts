import { createHmac, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatehouse } from '../../src/gatehouse';
import { demo } from '../helpers/demo';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { rawJwt, startTestIssuer, type TestAlgorithm, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';
import { CLI_ORIGIN } from '../../src/services/audit';
import { setDisabled } from '../../src/services/users';
import { expectRefused, signUp } from '../helpers/accounts';

/**
 * Tokens from a real OpenID provider on loopback (test/helpers/oidc-issuer.ts), through the real
 * HTTP server: discovery, keys, rotation, outages and every refusal docs/contract.md lists.
 */

interface Logged {
  level: 'info' | 'warn';
  obj: Record<string, unknown>;
  msg: string;
}

const ME = '{ me { id email } }';
const USERS = '{ users(first: 1) { edges { node { id } } } }';
const COOLDOWN_MS = 30_000;
/** The roles the caller holds on this request, read straight from the viewer (not through a rule that uses them). */
const VIEWER_ROLES = {
  typeDefs: 'extend type Query { viewerRoles: [String!]! @auth }',
  resolvers: {
    Query: { viewerRoles: (_: unknown, __: unknown, context: { viewer: { roles: readonly string[] } }) => context.viewer.roles },
  },
};

async function startGatehouse(issuers: object[], clock: { ms: number }, logs: Logged[]): Promise<HttpHarness> {
  return startHttpServer({
    env: { OIDC_ISSUERS: JSON.stringify(issuers) },
    now: () => new Date(clock.ms),
    app: VIEWER_ROLES,
    appOptions: {
      externalLog: {
        info: (obj, msg) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
        warn: (obj, msg) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      },
      externalKeyFetch: { now: () => clock.ms, cooldownMs: COOLDOWN_MS, timeoutMs: 2000 },
    },
  });
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('tokens from a configured identity provider', () => {
  let a: TestIssuer;
  let b: TestIssuer;
  let h: HttpHarness;
  const clock = { ms: Date.now() };
  const logs: Logged[] = [];
  const keys = {} as Record<TestAlgorithm, TestKey>;
  let bKey: TestKey;

  beforeAll(async () => {
    a = await startTestIssuer({ path: '/realms/acme' });
    b = await startTestIssuer({ path: '/realms/other' });
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
      keys[alg] = await a.newKey(alg);
      a.publish(keys[alg]);
    }
    bKey = await b.newKey('RS256');
    b.publish(bKey);
    h = await startGatehouse(
      [
        {
          issuer: a.issuer,
          audience: ['gatehouse-api', 'other-api'],
          rolesClaim: 'realm_access.roles',
          roleMap: { 'gatehouse-admin': 'ADMIN', 'gatehouse-user': 'USER' },
        },
        { issuer: b.issuer, audience: 'gatehouse-api', jwksUri: b.jwksUri },
      ],
      clock,
      logs,
    );
  });
  afterAll(async () => {
    await h?.close();
    await a?.close();
    await b?.close();
  });

  const userToken = (key: TestKey, claims: Record<string, unknown> = {}) =>
    a.sign(key, {
      sub: 'alice',
      email: 'alice@acme.example',
      email_verified: true,
      realm_access: { roles: ['gatehouse-user'] },
      ...claims,
    });

  it('finds the keys through discovery once, and a valid token acts as a linked user whose email comes from the token', async () => {
    const token = await userToken(keys.RS256);
    const first = await h.gql(ME, bearer(token));
    expect(first.status).toBe(200);
    expect(first.body.data?.['me']).toEqual({ id: expect.any(String), email: 'alice@acme.example' });
    expect(a.hits.get('/realms/acme/.well-known/openid-configuration')).toBe(1);
    expect(a.jwksFetches()).toBe(1);
    const again = await h.gql(ME, bearer(await userToken(keys.RS256, { jti: 'second' })));
    expect(again.body.data?.['me']).toEqual(first.body.data?.['me']);
    expect(a.jwksFetches()).toBe(1);
    // B is configured with an explicit jwksUri: no discovery.
    expect((await h.gql(ME, bearer(await b.sign(bKey, { sub: 'bob' })))).status).toBe(200);
    expect(b.hits.get('/realms/other/.well-known/openid-configuration')).toBeUndefined();
  });

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)('accepts a valid %s token', async (alg) => {
    const response = await h.gql(ME, bearer(await userToken(keys[alg])));
    expect(response.status).toBe(200);
    expect(response.body.data?.['me']?.email).toBe('alice@acme.example');
  });

  it('takes roles from the token on every request: mapped ADMIN reads admin fields, no mapped role reads only @auth fields', async () => {
    const admin = await h.gql(USERS, bearer(await userToken(keys.ES256, { sub: 'root', realm_access: { roles: ['gatehouse-admin'] } })));
    expect(admin.status).toBe(200);
    expect(admin.body.errors).toBeUndefined();
    const plain = await h.gql(USERS, bearer(await userToken(keys.ES256, { sub: 'root', realm_access: { roles: ['gatehouse-user'] } })));
    expect(plain.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    // `me` says what the caller holds on this request, not the stored row (always USER for a linked user).
    const role = async (roles: string[]) =>
      (await h.gql('{ me { role } }', bearer(await userToken(keys.ES256, { sub: 'root', realm_access: { roles } })))).body.data?.['me'];
    expect(await role(['gatehouse-admin'])).toEqual({ role: 'ADMIN' });
    expect(await role(['gatehouse-user', 'gatehouse-admin'])).toEqual({ role: 'ADMIN' });
    expect(await role(['gatehouse-user'])).toEqual({ role: 'USER' });
    const unmapped = await userToken(keys.ES256, { sub: 'nobody', realm_access: { roles: ['marketing'] } });
    expect((await h.gql(ME, bearer(unmapped))).body.data?.['me']).toEqual(expect.objectContaining({ id: expect.any(String) }));
    expect((await h.gql(USERS, bearer(unmapped))).body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('makes every valid token of an issuer without a roles claim a USER: the viewer holds USER itself', async () => {
    const bob = await h.gql('{ me { role } viewerRoles }', bearer(await b.sign(bKey, { sub: 'bob-the-user' })));
    expect(bob.body).toEqual({ data: { me: { role: 'USER' }, viewerRoles: ['USER'] } });
    // Unlike a token of A (which has a roles claim) whose roles map to nothing: no role, though `me` shows the stored USER.
    const unmapped = await userToken(keys.ES256, { sub: 'no-role', realm_access: { roles: ['marketing'] } });
    expect((await h.gql('{ me { role } viewerRoles }', bearer(unmapped))).body).toEqual({
      data: { me: { role: 'USER' }, viewerRoles: [] },
    });
  });

  it('refuses the next request of a user an admin disabled', async () => {
    const token = await userToken(keys.RS256, { sub: 'to-disable', email: 'dis@acme.example' });
    const me = await h.gql(ME, bearer(token));
    expect(me.status).toBe(200);
    await setDisabled(h.app, me.body.data?.['me'].id, true, CLI_ORIGIN);
    expectRefused(await h.gql(ME, bearer(token)), token);
  });

  it('never links the email of a token that says it is not verified (email_verified: false)', async () => {
    const unverified = await h.gql(
      ME,
      bearer(await userToken(keys.RS256, { sub: 'unverified', email: 'claimed@acme.example', email_verified: false })),
    );
    expect(unverified.status).toBe(200);
    expect(unverified.body.data?.['me']).toEqual({ id: expect.any(String), email: expect.not.stringContaining('claimed@acme.example') });
    const holders = await h.store.db.selectFrom('users').select('id').where('email', '=', 'claimed@acme.example').execute();
    expect(holders).toEqual([]);
    // The same claim, verified, is linked.
    const verified = await h.gql(
      ME,
      bearer(await userToken(keys.RS256, { sub: 'verified', email: 'claimed@acme.example', email_verified: true })),
    );
    expect(verified.body.data?.['me']).toEqual({ id: expect.any(String), email: 'claimed@acme.example' });
  });

  it('gives a deleted linked user’s subject a working account again at its next request, with the same token or a new one', async () => {
    const first = await userToken(keys.RS256, { sub: 'deleted-later', email: 'deleted-later@acme.example' });
    const before = await h.gql(ME, bearer(first));
    expect(before.status).toBe(200);
    const oldId = before.body.data?.['me'].id as string;
    await h.store.db.deleteFrom('users').where('id', '=', oldId).execute();
    const again = await h.gql(ME, bearer(first));
    expect(again.status).toBe(200);
    const newId = again.body.data?.['me'].id as string;
    expect(newId).not.toBe(oldId);
    expect(again.body.data?.['me'].email).toBe('deleted-later@acme.example');
    // Deleted once more; now a fresh token of the subject (another verified token, same link).
    await h.store.db.deleteFrom('users').where('id', '=', newId).execute();
    const fresh = await h.gql(
      ME,
      bearer(await userToken(keys.RS256, { sub: 'deleted-later', email: 'deleted-later@acme.example', jti: 'fresh' })),
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.data?.['me'].id).not.toBe(newId);
    const links = await h.store.db.selectFrom('external_identities').select('user_id').where('subject', '=', 'deleted-later').execute();
    expect(links).toEqual([{ user_id: fresh.body.data?.['me'].id }]);
  });

  it('links one user when many first requests of a new subject arrive at once, and never links by email', async () => {
    const token = await userToken(keys.RS256, { sub: 'racer', email: 'alice@acme.example' });
    const responses = await Promise.all(Array.from({ length: 12 }, () => h.gql(ME, bearer(token))));
    const ids = new Set(responses.map((r) => r.body.data?.['me']?.id));
    expect(ids.size).toBe(1);
    const aliceId = (await h.gql(ME, bearer(await userToken(keys.RS256)))).body.data?.['me'].id;
    expect(ids.has(aliceId)).toBe(false);
    // The email was alice's already: the new user is linked without one, not to alice's account.
    expect(responses[0]?.body.data?.['me'].email).toBeNull();
    // One audit event for the one link the twelve requests raced to make.
    const [racerId] = ids;
    const linked = await h.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'user.linked')
      .where('subject_id', '=', racerId)
      .execute();
    expect(linked).toHaveLength(1);
    expect(linked[0]).toMatchObject({ actor_id: racerId, source: 'request' });
    expect(JSON.parse(String(linked[0]?.detail))).toEqual({ issuer: a.issuer, subject: 'racer' });
  });

  it('refuses expired, not-yet-valid, wrong-audience and sub-less tokens with the same 401, and logs the reason at info', async () => {
    const now = Math.floor(clock.ms / 1000);
    const cases: [Record<string, unknown>, string][] = [
      [{ exp: now - 60 }, 'expired'],
      [{ nbf: now + 600 }, 'not yet valid (nbf)'],
      [{ aud: 'someone-else' }, 'wrong audience'],
      [{ sub: undefined }, 'missing sub'],
    ];
    for (const [claims, reason] of cases) {
      logs.length = 0;
      const token = await userToken(keys.RS256, claims);
      const response = await h.gql(ME, bearer(token));
      expectRefused(response, token);
      // Under the request id the client was answered with (x-request-id and extensions.requestId).
      const requestId = response.headers.get('x-request-id');
      expect(response.body.errors?.[0]?.extensions?.['requestId']).toBe(requestId);
      expect(logs).toContainEqual({ level: 'info', obj: { issuer: a.issuer, reason, requestId }, msg: 'external token refused' });
    }
  });

  it("refuses alg none, HS256 signed with the provider public key, and an HS256 token signed with gatehouse's own secret but naming the provider", async () => {
    const payload = { iss: a.issuer, sub: 'alice', aud: 'gatehouse-api', exp: Math.floor(clock.ms / 1000) + 600 };
    const none = rawJwt({ alg: 'none', kid: keys.RS256.kid }, payload);
    expectRefused(await h.gql(ME, bearer(none.replace(/\.$/, '.x'))));
    const pem = createPublicKey({ key: keys.RS256.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const unsigned = rawJwt({ alg: 'HS256', kid: keys.RS256.kid }, payload).slice(0, -1);
    const confused = `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;
    expectRefused(await h.gql(ME, bearer(confused)), confused);
    const secret = h.app.config.jwt.secret as string;
    const ownSigned = `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
    expectRefused(await h.gql(ME, bearer(ownSigned)), ownSigned);
    expect(logs.filter((l) => l.obj['reason'] === 'HS256 is never accepted for an external issuer')).toHaveLength(2);
  });

  it("keeps gatehouse's own tokens working beside the providers", async () => {
    const { accessToken } = await signUp(h);
    expect((await h.gql(ME, bearer(accessToken))).status).toBe(200);
  });

  it("refuses a token of issuer A carrying issuer B's kid, without touching B", async () => {
    const bFetches = b.jwksFetches();
    const forged = await a.sign({ ...bKey }, { sub: 'alice' });
    expectRefused(await h.gql(ME, bearer(forged)), forged);
    expect(b.jwksFetches()).toBe(bFetches);
  });

  it('fetches a rotated-in key once for every waiting request; old tokens stay valid while their key is published', async () => {
    clock.ms += COOLDOWN_MS; // past the cooldown of the fetches above
    const before = a.jwksFetches();
    const oldToken = await userToken(keys.RS256, { jti: 'old' });
    const fresh = await a.newKey('RS256');
    a.publish(fresh);
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => userToken(fresh, { jti: `new-${i}` })));
    const responses = await Promise.all(tokens.map((t) => h.gql(ME, bearer(t))));
    expect(responses.map((r) => r.status)).toEqual(tokens.map(() => 200));
    expect(a.jwksFetches()).toBe(before + 1);
    expect((await h.gql(ME, bearer(oldToken))).status).toBe(200);
    // The provider retires the old key; past the set's maximum age (10 minutes without a
    // Cache-Control max-age) the next use waits for the refresh, so the old token is refused at once.
    a.unpublish(keys.RS256.kid);
    clock.ms += 11 * 60_000;
    expectRefused(await h.gql(ME, bearer(oldToken)), oldToken);
    expect(a.jwksFetches()).toBe(before + 2);
    a.publish(keys.RS256);
  });

  it('fetches at most once for a flood of unknown kids, then refuses them at once until the cooldown passes', async () => {
    clock.ms += COOLDOWN_MS;
    const before = a.jwksFetches();
    const stranger = await a.newKey('ES256');
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => a.sign({ ...stranger, kid: `unknown-${i}` }, { sub: 'x' })));
    const responses = await Promise.all(tokens.map((t) => h.gql(ME, bearer(t))));
    for (const r of responses) expect(r.status).toBe(401);
    expect(a.jwksFetches()).toBe(before + 1);
    await Promise.all(tokens.map((t) => h.gql(ME, bearer(t))));
    expect(a.jwksFetches()).toBe(before + 1);
  });

  it('serves the last good key set while the provider is down, and logs the outage once', async () => {
    clock.ms += 11 * 60_000;
    logs.length = 0;
    a.down = true;
    try {
      const token = await userToken(keys.ES256, { jti: 'during-outage' });
      for (let i = 0; i < 3; i++) {
        expect((await h.gql(ME, bearer(token))).status).toBe(200);
        clock.ms += COOLDOWN_MS;
        await new Promise((r) => setTimeout(r, 20));
      }
      const unknown = await a.sign({ ...keys.ES256, kid: 'brand-new' }, { sub: 'x' });
      expectRefused(await h.gql(ME, bearer(unknown)), unknown);
      expect(logs.filter((l) => l.msg === 'identity provider keys unreachable')).toHaveLength(1);
    } finally {
      a.down = false;
    }
  });
});

describe('a provider that is down when gatehouse starts', () => {
  it("starts, serves its own credentials, refuses the provider's tokens, and accepts them once the provider is back", async () => {
    const issuer = await startTestIssuer();
    const key = await issuer.newKey('ES256');
    issuer.publish(key);
    issuer.down = true;
    const clock = { ms: Date.now() };
    const logs: Logged[] = [];
    const h = await startGatehouse([{ issuer: issuer.issuer, audience: 'gatehouse-api' }], clock, logs);
    try {
      const { accessToken } = await signUp(h);
      expect((await h.gql(ME, bearer(accessToken))).status).toBe(200);
      const token = await issuer.sign(key, { sub: 'carol' });
      expectRefused(await h.gql(ME, bearer(token)), token);
      issuer.down = false;
      clock.ms += COOLDOWN_MS;
      expect((await h.gql(ME, bearer(token))).status).toBe(200);
    } finally {
      await h.close();
      await issuer.close();
    }
  });
});

describe('refusal logging under a flood', () => {
  it('logs at most 10 refusals a second for tokens with made-up kids, then says how many it left out', async () => {
    const issuer = await startTestIssuer();
    const key = await issuer.newKey('ES256');
    issuer.publish(key);
    const clock = { ms: Date.now() };
    const logs: Logged[] = [];
    const h = await startGatehouse([{ issuer: issuer.issuer, audience: 'gatehouse-api' }], clock, logs);
    try {
      const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => issuer.sign({ ...key, kid: `made-up-${i}` })));
      for (const token of tokens) expectRefused(await h.gql(ME, bearer(token)), token);
      const refusedLines = () => logs.filter((l) => l.msg === 'external token refused');
      expect(refusedLines()).toHaveLength(10);
      clock.ms += 1000;
      expectRefused(await h.gql(ME, bearer(tokens[0] as string)));
      expect(refusedLines()).toHaveLength(11);
      expect(refusedLines()[10]?.obj).toMatchObject({ notLogged: 20 });
    } finally {
      await h.close();
      await issuer.close();
    }
  });
});

describe('a provider that is up when gatehouse starts', () => {
  it('has its keys fetched at start-up, so its first token is accepted while the provider is down', async () => {
    const issuer = await startTestIssuer();
    const key = await issuer.newKey('RS256');
    issuer.publish(key);
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-prefetch-'));
    const gatehouse = await createGatehouse({
      ...demo,
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: `file:${join(dir, 'gatehouse.db')}`,
        DATA_DIR: dir,
        JWT_SECRET: randomSecret(),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        OIDC_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]),
      },
    });
    try {
      const url = (await gatehouse.listen()).replace(/\/$/, '');
      const deadline = Date.now() + 5000;
      while (issuer.jwksFetches() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(issuer.jwksFetches()).toBe(1);
      issuer.down = true;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await issuer.sign(key, { sub: 'early' })}` },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { data: { me: { id: string } } }).data.me.id).toEqual(expect.any(String));
      expect(issuer.jwksFetches()).toBe(1);
    } finally {
      await gatehouse.close();
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
