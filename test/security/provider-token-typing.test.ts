/*
 * Provider tokens that are not access tokens, or come from another client, and refusals a flood
 * of crafted tokens makes (issue 29, findings 7 and 8), through the real HTTP server.
 */
import { expectRefused } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { rawJwt, startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

interface Logged {
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

const ME = '{ me { id } }';
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

let issuer: TestIssuer;
let restricted: TestIssuer;
let key: TestKey;
let restrictedKey: TestKey;
let h: HttpHarness;
const logs: Logged[] = [];
const clock = { ms: Date.now() };

beforeAll(async () => {
  issuer = await startTestIssuer({ path: '/realms/open' });
  restricted = await startTestIssuer({ path: '/realms/restricted' });
  key = await issuer.newKey('ES256');
  issuer.publish(key);
  restrictedKey = await restricted.newKey('ES256');
  restricted.publish(restrictedKey);
  h = await startHttpServer({
    env: {
      OIDC_ISSUERS: JSON.stringify([
        { issuer: issuer.issuer, audience: 'gatehouse-api' },
        { issuer: restricted.issuer, audience: 'gatehouse-api', clientIds: ['web-app'] },
      ]),
    },
    appOptions: {
      externalLog: {
        info: (obj, msg) => logs.push({ obj: obj as Record<string, unknown>, msg }),
        warn: (obj, msg) => logs.push({ obj: obj as Record<string, unknown>, msg }),
      },
      externalKeyFetch: { now: () => clock.ms },
    },
  });
  // The keys in hand before the floods below.
  expect((await h.gql(ME, bearer(await issuer.sign(key, { sub: 'warm-up' })))).status).toBe(200);
});
afterAll(async () => {
  await h?.close();
  await issuer?.close();
  await restricted?.close();
});

describe('access-token typing (RFC 9068)', () => {
  it.each([
    ['header typ at+jwt', { typ: 'at+jwt' }, {}],
    ['header typ application/at+jwt', { typ: 'application/at+jwt' }, {}],
    ['header typ JWT', { typ: 'JWT' }, {}],
    ['no header typ', { typ: undefined }, {}],
    ["Keycloak's typ claim Bearer", {}, { typ: 'Bearer' }],
  ])('accepts a token with %s', async (_label, header, claims) => {
    const response = await h.gql(ME, bearer(await issuer.sign(key, { sub: 'typed', ...claims }, header)));
    expect(response.status).toBe(200);
  });

  it.each([
    ['header typ id_token+jwt', { typ: 'id_token+jwt' }, {}],
    ['header typ logout+jwt', { typ: 'logout+jwt' }, {}],
    ["Keycloak's typ claim ID", {}, { typ: 'ID' }],
    ["Keycloak's typ claim Refresh", {}, { typ: 'Refresh' }],
    ['an at_hash claim (an ID token)', {}, { at_hash: 'x0aB' }],
    ['a c_hash claim (an ID token)', {}, { c_hash: 'x0aB' }],
  ])('refuses an ID token (or other token) with the API audience: %s', async (_label, header, claims) => {
    const token = await issuer.sign(key, { sub: 'typed', ...claims }, header);
    expectRefused(await h.gql(ME, bearer(token)), token);
  });
});

it('refuses a provider token without iat (RFC 9068 §2.2 requires it; ending sessions judges tokens by it)', async () => {
  const token = await issuer.sign(key, { sub: 'no-iat', iat: undefined });
  logs.length = 0;
  expectRefused(await h.gql(ME, bearer(token)), token);
  expect(logs).toContainEqual({
    obj: { issuer: issuer.issuer, reason: 'missing iat', requestId: expect.any(String) },
    msg: 'external token refused',
  });
});

describe('clientIds (azp / client_id allow-list)', () => {
  it('accepts a token whose azp or client_id is listed, refuses another client and a token naming none', async () => {
    expect((await h.gql(ME, bearer(await restricted.sign(restrictedKey, { azp: 'web-app' })))).status).toBe(200);
    expect((await h.gql(ME, bearer(await restricted.sign(restrictedKey, { client_id: 'web-app' })))).status).toBe(200);
    for (const claims of [{ azp: 'other-app' }, { client_id: 'other-app' }, {}]) {
      const token = await restricted.sign(restrictedKey, claims);
      expectRefused(await h.gql(ME, bearer(token)), token);
    }
  });

  it('leaves an issuer without clientIds open to any client', async () => {
    expect((await h.gql(ME, bearer(await issuer.sign(key, { azp: 'anything' })))).status).toBe(200);
  });
});

describe('refusal logging under a flood of crafted tokens (finding 7)', () => {
  const refusedLines = () => logs.filter((l) => l.msg === 'external token refused');

  const claims = (i: number) => ({ iss: issuer.issuer, sub: `flood-${i}`, aud: 'gatehouse-api', exp: Math.floor(Date.now() / 1000) + 600 });
  it.each([
    // No key can sign with a made-up algorithm: the signature is garbage, as an attacker's would be.
    [
      'made-up alg values (8 KB each)',
      (i: number) => Promise.resolve(rawJwt({ alg: `X${i}${'A'.repeat(8 * 1024)}`, kid: key.kid }, claims(i), 'c2ln')),
    ],
    ['kids containing a quote', (i: number) => issuer.sign(key, { sub: `flood-${i}` }, { kid: `made-up"${i}` })],
    [
      'kids holding terminal escapes and line breaks',
      (i: number) => issuer.sign(key, { sub: `flood-${i}` }, { kid: `\u001b[2K\raccepted ${i}\n` }),
    ],
  ])(
    'logs at most 10 short lines a second for 200 tokens with %s',
    async (_label, craft) => {
      clock.ms += 60_000; // a second of its own, past the key fetch cooldown
      logs.length = 0;
      const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => craft(i)));
      for (const token of tokens) expect((await h.gql(ME, bearer(token))).status).toBe(401);
      expect(refusedLines().length).toBeLessThanOrEqual(10);
      expect(JSON.stringify(refusedLines()).length).toBeLessThan(10 * 400);
      for (const line of refusedLines()) {
        expect(typeof line.obj['reason']).toBe('string');
        expect(String(line.obj['detail'] ?? '')).toMatch(/^[\x20-\x7e…]{0,120}$/);
      }
    },
    60_000,
  );
});
