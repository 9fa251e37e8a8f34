/*
 * Several gatehouse instances on one database, as behind a load balancer (PostgreSQL), or as
 * processes sharing one SQLite file on one host: every credential decision must hold across them,
 * including changes made by a third process (the admin CLI) and after the PostgreSQL listening
 * connections were lost. Each instance keeps a credential cache, which these tests warm before
 * every change. PostgreSQL runs where it answers (always in CI).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { databasesUnderTest, POSTGRES_ADMIN_URL, type ThrowawayDatabase, throwawayDatabase, databaseUrlOf } from '../helpers/databases';
import { randomSecret } from '../helpers/http';
import { gql, registerProcessCleanup, ROOT, type Running, startServer, tempDir } from '../helpers/process';
import { LOGIN, PASSWORD, REFRESH, SIGN_UP } from '../helpers/accounts';

registerProcessCleanup({ per: 'file' });

const run = promisify(execFile);

describe.each(databasesUnderTest())('two instances on one %s database', (dialect) => {
  let database: ThrowawayDatabase;
  let databaseUrl: string;
  let a: Running;
  let b: Running;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    databaseUrl = databaseUrlOf(database.config);
    const vars = {
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: randomSecret(),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'warn',
      LOGIN_FAILURES_PER_ACCOUNT: '4',
      SIGNUPS_PER_ADDRESS: '1000',
    };
    // Both start at once: the migration runs once, under the database's lock.
    [a, b] = await Promise.all([
      startServer({ ...vars, DATA_DIR: '/nonexistent-a' }),
      startServer({ ...vars, DATA_DIR: '/nonexistent-b' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const running of [a, b]) running?.child.kill('SIGTERM');
    expect(await Promise.all([a?.exited, b?.exited])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    await database?.drop();
  });

  async function signUp(on: Running, email = `user-${randomUUID()}@example.test`) {
    const response = await gql(on.url, SIGN_UP, { password: PASSWORD, email });
    expect(response.body.errors).toBeUndefined();
    return { email, ...(response.body.data?.['signUp'] as { accessToken: string; refreshToken: string; user: { id: string } }) };
  }

  it('accepts on B an access token issued by A', async () => {
    const alice = await signUp(a);
    const me = await gql(b.url, '{ me { id } }', {}, { authorization: `Bearer ${alice.accessToken}` });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ data: { me: { id: alice.user.id } } });
  });

  it('refuses on B, on the next request, a key revoked on A', async () => {
    const bob = await signUp(a);
    const auth = { authorization: `Bearer ${bob.accessToken}` };
    const created = await gql(a.url, 'mutation { createApiKey(name: "shared") { secret apiKey { id } } }', {}, auth);
    const { secret, apiKey } = created.body.data!['createApiKey'] as { secret: string; apiKey: { id: string } };
    expect((await gql(b.url, '{ me { id } }', {}, { 'x-api-key': secret })).status).toBe(200);

    const revoked = await gql(a.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: apiKey.id }, auth);
    expect(revoked.body.errors).toBeUndefined();
    const refused = await gql(b.url, '{ me { id } }', {}, { 'x-api-key': secret });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('refuses on B, on the next request, the access token of a session ended on A (logout, then logoutEverywhere)', async () => {
    const fred = await signUp(a);
    const second = (await gql(b.url, LOGIN, { email: fred.email, password: PASSWORD })).body.data?.['login'] as { accessToken: string };
    const me = (on: Running, token: string) => gql(on.url, '{ me { id } }', {}, { authorization: `Bearer ${token}` });
    // Warm both instances with both tokens, twice: the second answer comes from a cache where there is one.
    for (let i = 0; i < 2; i++)
      for (const on of [a, b]) for (const token of [fred.accessToken, second.accessToken]) expect((await me(on, token)).status).toBe(200);

    const out = await gql(
      a.url,
      'mutation ($t: String!) { logout(refreshToken: $t) }',
      { t: fred.refreshToken },
      { authorization: `Bearer ${fred.accessToken}` },
    );
    expect(out.body).toEqual({ data: { logout: true } });
    for (const on of [b, a]) {
      const refused = await me(on, fred.accessToken);
      expect(refused.status).toBe(401);
      expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    for (const on of [a, b]) expect((await me(on, second.accessToken)).status).toBe(200);

    const everywhere = await gql(b.url, 'mutation { logoutEverywhere }', {}, { authorization: `Bearer ${second.accessToken}` });
    expect(everywhere.body).toEqual({ data: { logoutEverywhere: true } });
    for (const on of [a, b]) expect((await me(on, second.accessToken)).status).toBe(401);
  });

  it('applies a role change and a disable made by the admin CLI, a third process, on both instances at the next request', async () => {
    const erin = await signUp(a);
    const byKey = await gql(
      a.url,
      'mutation { createApiKey(name: "cli") { secret } }',
      {},
      { authorization: `Bearer ${erin.accessToken}` },
    );
    const secret = byKey.body.data?.['createApiKey']?.secret as string;
    const asErin: Record<string, string>[] = [{ authorization: `Bearer ${erin.accessToken}` }, { 'x-api-key': secret }];
    const me = (on: Running, headers: Record<string, string>) => gql(on.url, '{ me { role } }', {}, headers);
    // Warm both instances with both credentials, twice: the second answer comes from a cache where there is one.
    for (let i = 0; i < 2; i++)
      for (const on of [a, b])
        for (const headers of asErin) expect((await me(on, headers)).body).toEqual({ data: { me: { role: 'USER' } } });

    const admin = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', join('src', 'cli', 'admin.ts'), ...args], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'], DATABASE_URL: databaseUrl, NODE_ENV: 'development', DATA_DIR: tempDir(), LOG_LEVEL: 'warn' },
      });
    // Another ADMIN first: gatehouse never disables the last one.
    await admin('set-role', '--email', (await signUp(b)).email, '--role', 'ADMIN');
    await admin('set-role', '--email', erin.email, '--role', 'ADMIN');
    for (const on of [a, b])
      for (const headers of asErin) expect((await me(on, headers)).body).toEqual({ data: { me: { role: 'ADMIN' } } });

    // Ending her sessions from the command line refuses her token everywhere; her key keeps working.
    await admin('end-sessions', '--email', erin.email);
    for (const on of [a, b]) {
      expect((await me(on, asErin[0]!)).status).toBe(401);
      expect((await me(on, asErin[1]!)).body).toEqual({ data: { me: { role: 'ADMIN' } } });
    }

    await admin('disable', '--email', erin.email);
    for (const on of [a, b]) {
      for (const headers of asErin.slice(1)) {
        const refused = await me(on, headers);
        expect(refused.status).toBe(401);
        expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      }
    }
  }, 30_000);

  it('applies grantRole on A and revokeRole on B (and the admin CLI, given the app module) on the other instance at the next request', async () => {
    const cli = (...args: string[]) =>
      run(
        process.execPath,
        ['--import', 'tsx', join('src', 'cli', 'admin.ts'), ...args, '--schema', join('examples', 'notes', 'index.ts')],
        {
          cwd: ROOT,
          env: { PATH: process.env['PATH'], DATABASE_URL: databaseUrl, NODE_ENV: 'development', DATA_DIR: tempDir(), LOG_LEVEL: 'warn' },
        },
      );
    const boss = await signUp(b);
    await cli('grant-role', '--email', boss.email, '--role', 'ADMIN');
    const carol = await signUp(a);
    const dave = await signUp(a);
    const asBoss = { authorization: `Bearer ${boss.accessToken}` };
    const asCarol = { authorization: `Bearer ${carol.accessToken}` };
    const daveNote = async () => {
      const created = await gql(
        a.url,
        'mutation { createNote(title: "d", body: "b") { id } }',
        {},
        { authorization: `Bearer ${dave.accessToken}` },
      );
      return created.body.data?.['createNote']?.id as string;
    };
    const roles = async (on: Running) => (await gql(on.url, '{ me { role roles } }', {}, asCarol)).body.data?.['me'];
    for (let i = 0; i < 2; i++) for (const on of [a, b]) expect(await roles(on)).toEqual({ role: 'USER', roles: ['USER'] });

    const granted = await gql(
      a.url,
      'mutation ($id: ID!) { grantRole(userId: $id, role: MODERATOR) { roles } }',
      { id: carol.user.id },
      asBoss,
    );
    expect(granted.body).toEqual({ data: { grantRole: { roles: ['USER', 'MODERATOR'] } } });
    expect(await roles(b)).toEqual({ role: 'MODERATOR', roles: ['USER', 'MODERATOR'] });
    const deleted = await gql(b.url, 'mutation ($id: ID!) { deleteNote(id: $id) }', { id: await daveNote() }, asCarol);
    expect(deleted.body).toEqual({ data: { deleteNote: true } });

    const revoked = await gql(
      b.url,
      'mutation ($id: ID!) { revokeRole(userId: $id, role: MODERATOR) { roles } }',
      { id: carol.user.id },
      asBoss,
    );
    expect(revoked.body).toEqual({ data: { revokeRole: { roles: ['USER'] } } });
    expect(await roles(a)).toEqual({ role: 'USER', roles: ['USER'] });
    const refused = await gql(a.url, 'mutation ($id: ID!) { deleteNote(id: $id) }', { id: await daveNote() }, asCarol);
    expect(refused.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);

    // The command line, a third process, knows the demo's MODERATOR from the module it is given.
    await cli('grant-role', '--email', carol.email, '--role', 'MODERATOR');
    for (const on of [a, b]) expect(await roles(on)).toEqual({ role: 'MODERATOR', roles: ['USER', 'MODERATOR'] });
    await cli('revoke-role', '--email', carol.email, '--role', 'MODERATOR');
    for (const on of [a, b]) expect(await roles(on)).toEqual({ role: 'USER', roles: ['USER'] });
  }, 60_000);

  (dialect === 'postgres' ? it : it.skip)(
    'refuses a key revoked right after the listening connections were killed, and again once they are back',
    async () => {
      const frank = await signUp(a);
      const auth = { authorization: `Bearer ${frank.accessToken}` };
      const newKey = async () => {
        const created = await gql(a.url, 'mutation { createApiKey(name: "listener") { secret apiKey { id } } }', {}, auth);
        return created.body.data!['createApiKey'] as { secret: string; apiKey: { id: string } };
      };
      const revoke = (id: string) => gql(a.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id }, auth);
      const meOnB = (secret: string) => gql(b.url, '{ me { id } }', {}, { 'x-api-key': secret });

      const first = await newKey();
      for (let i = 0; i < 3; i++) expect((await meOnB(first.secret)).status).toBe(200); // cached on B
      const killed = await terminateListeners();
      expect(killed).toBe(2); // one per instance
      expect((await revoke(first.apiKey.id)).body.errors).toBeUndefined();
      expect((await meOnB(first.secret)).status).toBe(401);

      // The instances reconnect (back-off from 100 ms) and cache again; a revocation still applies at once.
      const second = await newKey();
      const deadline = Date.now() + 15_000;
      while ((await listeners()) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await listeners()).toBe(2);
      for (let i = 0; i < 3; i++) expect((await meOnB(second.secret)).status).toBe(200);
      expect((await revoke(second.apiKey.id)).body.errors).toBeUndefined();
      expect((await meOnB(second.secret)).status).toBe(401);
    },
    30_000,
  );

  /** The instances' LISTEN connections to this test's database, found by their application_name. */
  async function onListeners<T>(sqlText: string): Promise<T[]> {
    const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      const name = new URL(databaseUrl).pathname.slice(1);
      return (await client.query(sqlText, [name])).rows as T[];
    } finally {
      await client.end();
    }
  }
  const LISTENERS = "from pg_stat_activity where datname = $1 and application_name = 'gatehouse-credential-listener'";
  const terminateListeners = async () =>
    (await onListeners<{ ok: boolean }>(`select pg_terminate_backend(pid) as ok ${LISTENERS}`)).filter((r) => r.ok).length;
  const listeners = async () => Number((await onListeners<{ n: string }>(`select count(*) as n ${LISTENERS}`))[0]?.n ?? 0);

  it('revokes the whole family when a refresh token used on A is replayed on B', async () => {
    const carol = await signUp(a);
    const renewed = await gql(a.url, REFRESH, { refreshToken: carol.refreshToken });
    const next = renewed.body.data?.['refreshToken'] as { refreshToken: string };
    expect(next.refreshToken).toMatch(/^gtr_/);

    const replay = await gql(b.url, REFRESH, { refreshToken: carol.refreshToken });
    expect(replay.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    // The token A handed out after the first use is dead too: the thief and the victim both must log in again.
    const afterReplay = await gql(a.url, REFRESH, { refreshToken: next.refreshToken });
    expect(afterReplay.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(afterReplay.body.data).toBeNull();
  });

  it('counts failed logins across instances', async () => {
    const dave = await signUp(b);
    const attempts = [a, b, a, b].map((on) => gql(on.url, LOGIN, { email: dave.email, password: 'wrong password' }));
    expect((await Promise.all(attempts)).map((r) => r.body.errors?.[0]?.extensions?.['code'])).toEqual(Array(4).fill('UNAUTHENTICATED'));
    const locked = await gql(b.url, LOGIN, { email: dave.email, password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
  });

  it('takes 50 concurrent sign-ups, logins and key creations across both without a 500, duplicate or lost write', async () => {
    const existing = await Promise.all(Array.from({ length: 10 }, (_, i) => signUp(i % 2 ? a : b)));
    const sameEmail = `race-${randomUUID()}@example.test`;
    const operations = [
      // 20 sign-ups with distinct emails and 5 that race for one email
      ...Array.from({ length: 20 }, (_, i) =>
        gql((i % 2 ? a : b).url, SIGN_UP, { password: PASSWORD, email: `burst-${i}-${randomUUID()}@example.test` }),
      ),
      ...Array.from({ length: 5 }, (_, i) =>
        gql((i % 2 ? a : b).url, SIGN_UP, { password: PASSWORD, email: sameEmail.replace('race', i % 2 ? 'RACE' : 'race') }),
      ),
      // 15 logins and 10 key creations by the existing users
      ...Array.from({ length: 15 }, (_, i) => gql((i % 2 ? b : a).url, LOGIN, { email: existing[i % 10]!.email, password: PASSWORD })),
      ...Array.from({ length: 10 }, (_, i) =>
        gql(
          (i % 2 ? b : a).url,
          'mutation { createApiKey(name: "burst") { secret } }',
          {},
          { authorization: `Bearer ${existing[i]!.accessToken}` },
        ),
      ),
    ];
    expect(operations).toHaveLength(50);
    const responses = await Promise.all(operations);

    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const codes = responses.flatMap((r) => (r.body.errors ?? []).map((e) => e.extensions?.['code']));
    expect(codes).toEqual(Array(4).fill('BAD_USER_INPUT')); // the 4 losers of the same-email race
    expect(responses.slice(25, 40).every((r) => typeof r.body.data?.['login']?.accessToken === 'string')).toBe(true);

    const secrets = responses.slice(40).map((r) => r.body.data?.['createApiKey']?.secret as string);
    expect(new Set(secrets).size).toBe(10);
    // Every key written by either instance works on the other.
    const checks = await Promise.all(secrets.map((secret, i) => gql((i % 2 ? a : b).url, '{ me { id } }', {}, { 'x-api-key': secret })));
    expect(checks.map((c) => c.body.data?.['me']?.id)).toEqual(existing.map((u) => u.user.id));

    const raced = await gql(a.url, LOGIN, { email: sameEmail, password: PASSWORD });
    expect(raced.body.errors).toBeUndefined();
  }, 60_000);
});

if (!databasesUnderTest().includes('postgres')) {
  it.skip('two instances on one PostgreSQL database (PostgreSQL not reachable)', () => undefined);
}
