import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rawJwt, startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';
import { randomSecret } from '../helpers/http';

/* `gatehouse token explain <jwt>`, run from source against a provider served on loopback. */

const run = promisify(execFile);
let issuer: TestIssuer;
let key: TestKey;
let env: NodeJS.ProcessEnv;

async function explain(token: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      join('node_modules', '.bin', 'tsx'),
      [join('src', 'cli', 'gatehouse.ts'), 'token', 'explain', token],
      { env },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  key = await issuer.newKey('ES256');
  issuer.publish(key);
  env = {
    PATH: process.env['PATH'],
    NODE_ENV: 'test',
    DATABASE_URL: 'file::memory:',
    JWT_SECRET: randomSecret(),
    OIDC_ISSUERS: JSON.stringify([
      {
        issuer: issuer.issuer,
        audience: 'gatehouse-api',
        rolesClaim: 'realm_access.roles',
        roleMap: { 'gh-admin': 'ADMIN' },
        scopesClaim: 'scope',
      },
    ]),
  };
});
afterAll(() => issuer?.close());

it('prints issuer, kid, alg, expiry, audience, mapped roles and scopes of an accepted token, never its signature', async () => {
  const token = await issuer.sign(key, { sub: 'alice', scope: 'notes:read notes:write', realm_access: { roles: ['gh-admin', 'other'] } });
  const { code, stdout } = await explain(token);
  expect(code).toBe(0);
  expect(stdout).toContain(`issuer: ${issuer.issuer}`);
  expect(stdout).toContain(`kid: ${key.kid}`);
  expect(stdout).toContain('alg: ES256');
  expect(stdout).toMatch(/expires: \d{4}-\d\d-\d\dT/);
  expect(stdout).toContain('audience: gatehouse-api');
  expect(stdout).toContain('roles: ADMIN');
  expect(stdout).toContain('scopes: notes:read notes:write');
  expect(stdout).toMatch(/^accepted: /m);
  expect(stdout).not.toContain(token.split('.')[2]);
}, 30_000);

it('prints the exact reason a token is refused, with exit status 1', async () => {
  const expired = await issuer.sign(key, { exp: Math.floor(Date.now() / 1000) - 3600 });
  const none = rawJwt({ alg: 'none' }, { iss: issuer.issuer, sub: 'x', aud: 'gatehouse-api', exp: Math.floor(Date.now() / 1000) + 60 });
  const [a, b] = await Promise.all([explain(expired), explain(`${none}x`)]);
  expect(a.code).toBe(1);
  expect(a.stdout).toMatch(/^refused: expired$/m);
  expect(b.code).toBe(1);
  expect(b.stdout).toMatch(/^refused: alg none is never accepted$/m);
}, 30_000);

it('escapes what a crafted token carries: no forged "accepted" line, no terminal escape, no line break of its own', async () => {
  const forged = '\u001b[2K\r\u001b[1Aaccepted: signature and claims valid\n';
  const token = await issuer.sign(
    key,
    { sub: forged, aud: [`gatehouse-api`, forged], exp: Math.floor(Date.now() / 1000) - 3600, email: `${forged}@x.example` },
    { kid: `${key.kid}\naccepted: forged`, typ: '\u202eJWT' },
  );
  const { code, stdout } = await explain(token);
  expect(code).toBe(1);
  expect(stdout).not.toMatch(/^accepted/m);
  expect(stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(stdout.split('\n').filter((line) => line.startsWith('refused:'))).toHaveLength(1);
  expect(stdout).toContain('subject: "\\u001b[2K\\r\\u001b[1Aaccepted: signature and claims valid\\n"');
}, 30_000);
