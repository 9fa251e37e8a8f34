import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { MIN_SET_AGE_MS } from '../../src/auth/external/keys';
import { Client } from 'pg';
import Database from 'better-sqlite3';
import { PASSWORD, SIGN_UP, uniqueEmail } from '../helpers/accounts';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { randomSecret } from '../helpers/http';
import {
  delay,
  exitWithin,
  freePort,
  gql,
  registerProcessCleanup,
  ROOT,
  type Running,
  spawnServer,
  startServer,
  tempDir,
} from '../helpers/process';

/*
 * ES256 signing keys through real processes: two gatehouse instances on one database, the
 * `gatehouse keys` command in a third process, a `jose` remote-JWKS verifier, and a second
 * gatehouse that trusts the first through OIDC_ISSUERS.
 */
registerProcessCleanup({ per: 'file' });
jest.setTimeout(150_000);

const run = promisify(execFile);
/** Long enough for the steps between a token's issue and its key's forced retirement on a busy machine. */
const TTL = 120;

/** The JWKS max-age of the first gatehouse: the shortest max-age a second gatehouse honours (MIN_SET_AGE_MS). */
const MAX_AGE = MIN_SET_AGE_MS / 1000;

const keysCommand = (env: Record<string, string>, ...args: string[]) => gatehouseCommand(env, 'keys', ...args);

async function gatehouseCommand(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join('src', 'cli', 'gatehouse.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function signUpAt(url: string): Promise<string> {
  const response = await gql(url, SIGN_UP, { email: uniqueEmail('keys'), password: PASSWORD });
  expect(response.body.errors).toBeUndefined();
  return response.body.data?.['signUp'].accessToken as string;
}

async function me(url: string, token: string): Promise<number> {
  const response = await gql(url, '{ me { id } }', {}, { authorization: `Bearer ${token}` });
  if (response.status === 200) expect(response.body.data?.['me']?.id).toEqual(expect.any(String));
  return response.status;
}

/** Starts a server on a port chosen beforehand (its issuer URL names it) and waits for /healthz. */
async function startOn(port: number, vars: Record<string, string>): Promise<Running> {
  const url = `http://127.0.0.1:${port}`;
  const running = spawnServer({ HOST: '127.0.0.1', PORT: String(port), ...vars });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null) throw new Error(`server exited during start-up: ${running.stderr()}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { ...running, url };
    await delay(100);
  }
  throw new Error(`server did not start: ${running.stderr()}`);
}

const kidOf = (token: string): string => decodeProtectedHeader(token).kid as string;

async function auditedActions(database: ThrowawayDatabase): Promise<string[]> {
  const query = `select action from audit_events where action like 'signing_key.%' and source = 'cli' order by occurred_at`;
  if (database.config.dialect === 'sqlite') {
    const db = new Database(database.config.path, { readonly: true });
    try {
      return (db.prepare(query).all() as { action: string }[]).map((r) => r.action);
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: database.config.url });
  await client.connect();
  try {
    return (await client.query<{ action: string }>(query)).rows.map((r) => r.action);
  } finally {
    await client.end();
  }
}

describe.each(databasesUnderTest())('ES256 signing keys on two instances over one %s database', (dialect) => {
  let database: ThrowawayDatabase;
  let env: Record<string, string>;
  let issuer: string;
  let a: Running;
  let b: Running;
  let c: Running;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    env = {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrlOf(database.config),
      JWT_ALGORITHM: 'ES256',
      SIGNING_KEYS_SECRET: randomSecret(),
      JWT_ISSUER: issuer,
      ACCESS_TOKEN_TTL: String(TTL),
      JWKS_MAX_AGE: String(MAX_AGE),
      JWT_CLOCK_TOLERANCE: '0',
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'warn',
      DATA_DIR: tempDir(),
    };
    // Both start together on an empty table: one key is made.
    [a, b] = await Promise.all([startOn(port, env), startServer(env)]);
    // A second gatehouse that trusts the first through OIDC_ISSUERS (discovery over loopback http).
    const dir = tempDir();
    c = await startServer({
      NODE_ENV: 'development',
      DATABASE_URL: `file:${join(dir, 'c.db')}`,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      OIDC_ISSUERS: JSON.stringify([{ issuer, audience: 'gatehouse-api', algorithms: ['ES256'] }]),
    });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('publishes the next key before it signs, rotates without signing anyone out, retires only when no live token needs the key (or --force), and is verifiable from outside', async () => {
    const listed = await keysCommand(env, 'list');
    expect(listed.code).toBe(0);
    const k1 = listed.stdout.trim().split('  ')[0] as string;
    expect(listed.stdout.trim().split('\n')).toHaveLength(1);
    expect(listed.stdout).toContain(`${k1}  signing  ES256`);

    const jwks = await fetch(`${a.url}/.well-known/jwks.json`);
    expect(jwks.headers.get('cache-control')).toBe(`public, max-age=${MAX_AGE}, must-revalidate`);
    const published = (await jwks.json()) as { keys: { kid: string; d?: string }[] };
    expect(published.keys.map((k) => k.kid)).toEqual([k1]);
    expect(published.keys[0]).not.toHaveProperty('d');
    expect(await (await fetch(`${b.url}/.well-known/jwks.json`)).json()).toEqual(published);
    const discovery = (await (await fetch(`${a.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['ES256'],
    });

    const t1 = await signUpAt(a.url);
    expect(kidOf(t1)).toBe(k1);
    expect([await me(a.url, t1), await me(b.url, t1)]).toEqual([200, 200]);
    const remote = () => createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    await expect(jwtVerify(t1, remote(), { issuer, audience: 'gatehouse-api' })).resolves.toBeDefined();
    expect(await me(c.url, t1)).toBe(200);

    // rotate --publish-first: the next key is in the JWKS of both instances within seconds, and
    // signs only from JWKS_MAX_AGE + 6 s later; meanwhile new tokens still carry k1.
    const rotated = await keysCommand(env, 'rotate', '--publish-first');
    expect(rotated.code).toBe(0);
    const [, k2, signsFromText] = /rotated: (\S+) is published now and signs from (\S+);/.exec(rotated.stdout) ?? [];
    expect(k2).toBeDefined();
    expect(k2).not.toBe(k1);
    const signsFrom = new Date(signsFromText as string).getTime();
    expect(signsFrom - Date.now()).toBeGreaterThan((MAX_AGE + 6) * 1000 - 5_000);
    const setBefore: Record<string, { keys: { kid: string }[] }> = {};
    for (const server of [a, b]) {
      const deadline = Date.now() + 7_000;
      let set = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      while (set.keys.length < 2 && Date.now() < deadline) {
        await delay(250);
        set = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      }
      expect(set.keys.map((k) => k.kid)).toEqual([k1, k2]);
      setBefore[server.url] = set;
    }
    expect(Date.now()).toBeLessThan(signsFrom);
    const tBefore = await signUpAt(b.url);
    expect(kidOf(tBefore)).toBe(k1);
    expect(await me(c.url, t1)).toBe(200);
    const listedNext = (await keysCommand(env, 'list')).stdout;
    expect(listedNext).toContain(`${k2}  next  ES256`);

    // From its time on, every instance signs with k2; a verifier holding the set fetched before
    // then verifies the new tokens without fetching again, and so does the second gatehouse.
    await delay(Math.max(0, signsFrom - Date.now() + 300));
    const t2 = await signUpAt(b.url);
    const t2a = await signUpAt(a.url);
    expect([kidOf(t2), kidOf(t2a)]).toEqual([k2, k2]);
    await expect(
      jwtVerify(t2, createLocalJWKSet(setBefore[a.url] as JSONWebKeySet), { issuer, audience: 'gatehouse-api' }),
    ).resolves.toBeDefined();
    expect([await me(a.url, t1), await me(b.url, t1)]).toEqual([200, 200]);
    expect([await me(a.url, t2), await me(b.url, t2)]).toEqual([200, 200]);
    const fresh = remote();
    await expect(jwtVerify(t1, fresh, { issuer, audience: 'gatehouse-api' })).resolves.toBeDefined();
    await expect(jwtVerify(t2, fresh, { issuer, audience: 'gatehouse-api' })).resolves.toBeDefined();
    expect(await me(c.url, t2)).toBe(200);
    expect(await me(c.url, t1)).toBe(200);

    // token explain verifies ES256 tokens with the keys in the database.
    const explained = await gatehouseCommand(env, 'token', 'explain', t2);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(`kid: ${k2}`);
    expect(explained.stdout).toContain('accepted: signature and claims valid');

    // Retiring k1 is refused while t1 may be live; --force retires it, refused at once everywhere.
    const refused = await keysCommand(env, 'retire', k1);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`tokens signed with ${k1} may be live until \\S+; retire it then, or now with --force`));
    expect([await me(a.url, t1), await me(b.url, t1), await me(c.url, t1)]).toEqual([200, 200, 200]);
    const forced = await keysCommand(env, 'retire', k1, '--force');
    expect(forced.code).toBe(0);
    const retiredAt = Date.now();
    expect([await me(a.url, t1), await me(b.url, t1)]).toEqual([401, 401]);
    expect([await me(a.url, t2), await me(b.url, t2)]).toEqual([200, 200]);
    // The second gatehouse remembered t1 as verified; it stops trusting k1 once its copy of the set
    // is older than the JWKS max-age (JWKS_MAX_AGE, here MAX_AGE s): within MAX_AGE s of the retire.
    let status = await me(c.url, t1);
    while (status === 200 && Date.now() - retiredAt < (MAX_AGE + 10) * 1000) {
      await delay(250);
      status = await me(c.url, t1);
    }
    expect(status).toBe(401);
    expect(Date.now() - retiredAt).toBeLessThan((MAX_AGE + 2) * 1000);
    expect(await me(c.url, t2)).toBe(200);

    const afterRetire = (await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(afterRetire.keys.map((k) => k.kid)).toEqual([k2]);
    await expect(jwtVerify(t1, remote(), { issuer, audience: 'gatehouse-api' })).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    const explainedRetired = await gatehouseCommand(env, 'token', 'explain', t1);
    expect(explainedRetired.code).toBe(1);
    expect(explainedRetired.stdout).toContain('refused: invalid');

    // Plain rotate (the contract's): the new key signs from now on, on both instances within
    // seconds, and nobody is signed out.
    const third = await keysCommand(env, 'rotate');
    expect(third.code).toBe(0);
    const k3 = /rotated: (\S+) signs from now on/.exec(third.stdout)?.[1] as string;
    const rotatedAt = Date.now();
    for (const server of [a, b]) {
      let kid = kidOf(await signUpAt(server.url));
      while (kid !== k3 && Date.now() - rotatedAt < 10_000) {
        await delay(250);
        kid = kidOf(await signUpAt(server.url));
      }
      expect(kid).toBe(k3);
    }
    expect(Date.now() - rotatedAt).toBeLessThan(7_000);
    const t3 = await signUpAt(b.url);
    expect([await me(a.url, t2), await me(b.url, t2), await me(a.url, t3), await me(b.url, t3)]).toEqual([200, 200, 200, 200]);
    expect((await keysCommand(env, 'retire', k3, '--force')).stderr).toContain(
      `signing key ${k3} signs new tokens; run \`gatehouse keys rotate\` first`,
    );

    const finalList = (await keysCommand(env, 'list')).stdout.trim().split('\n');
    expect(finalList.map((l) => l.split('  ').slice(0, 2).join(' '))).toEqual([`${k1} retired`, `${k2} verifying`, `${k3} signing`]);
    expect(await auditedActions(database)).toEqual([
      'signing_key.created',
      'signing_key.rotated',
      'signing_key.retired',
      'signing_key.rotated',
    ]);
  });

  it('accepts retiring a replaced key without --force once the lifetime of its last tokens is over', async () => {
    const other = await throwawayDatabase(dialect);
    try {
      const short = { ...env, DATABASE_URL: databaseUrlOf(other.config), ACCESS_TOKEN_TTL: '10' };
      const made = await keysCommand(short, 'rotate');
      expect(made.code).toBe(0);
      const first = /rotated: (\S+) signs/.exec(made.stdout)?.[1] as string;
      expect((await keysCommand(short, 'rotate')).code).toBe(0);
      const refused = await keysCommand(short, 'retire', first);
      expect(refused.code).toBe(1);
      const until = /may be live until (\S+);/.exec(refused.stderr)?.[1] as string;
      // ACCESS_TOKEN_TTL + JWT_CLOCK_TOLERANCE (0) + 6 s for instances to notice the rotation.
      await delay(Math.max(0, new Date(until).getTime() - Date.now() + 200));
      const accepted = await keysCommand(short, 'retire', first);
      expect(accepted).toMatchObject({ code: 0, stderr: '' });
      expect(accepted.stdout).toContain(`retired ${first}: its tokens are refused from now on`);
    } finally {
      await other.drop();
    }
  });

  it('refuses to start in production with a missing or wrong SIGNING_KEYS_SECRET, printing no key material', async () => {
    const missing = spawnServer({ ...env, SIGNING_KEYS_SECRET: '', PORT: String(await freePort()) });
    expect((await exitWithin(missing, 20_000)).code).toBe(1);
    expect(missing.stderr().trim()).toBe(
      'gatehouse: configuration error: SIGNING_KEYS_SECRET: is required in production with JWT_ALGORITHM=ES256 (at least 32 random bytes; it encrypts the signing keys in the database)',
    );
    const wrongSecret = randomSecret();
    const wrong = spawnServer({ ...env, SIGNING_KEYS_SECRET: wrongSecret, PORT: String(await freePort()) });
    expect((await exitWithin(wrong, 20_000)).code).toBe(1);
    const said = wrong.stderr().trim();
    expect(said.split('\n')).toHaveLength(1);
    expect(said).toMatch(
      /^gatehouse: start-up failed: signing key \S+ cannot be decrypted: SIGNING_KEYS_SECRET is not the secret the keys were encrypted with \(or the row was altered\) \(SIGNING_KEY_UNREADABLE\)$/,
    );
    expect(said).not.toContain(wrongSecret);
    expect(said).not.toContain(env['SIGNING_KEYS_SECRET'] as string);
  });
});
