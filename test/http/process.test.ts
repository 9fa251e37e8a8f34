import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { randomSecret } from '../helpers/http';
import { LOGIN, PASSWORD, SIGN_UP } from '../helpers/accounts';
import {
  devVars,
  exitWithin,
  freePort,
  gql,
  registerProcessCleanup,
  sendAndWaitForArrival,
  spawnServer,
  startServer,
  stopWithSigterm,
  tempDir,
} from '../helpers/process';

registerProcessCleanup();

/**
 * How long a stop may take once nothing is in flight. `docker stop` sends SIGKILL 10 s after SIGTERM
 * (and Kubernetes' grace period is often set that short), so an exit near 10 s is an exit by SIGKILL.
 */
const PROMPT_EXIT_MS = 5_000;

describe('the gatehouse process', () => {
  it('SIGTERM exits 0, and a restart on the same file keeps accounts, passwords and access tokens', async () => {
    const dir = tempDir();
    const email = `persist-${randomUUID()}@example.test`;

    const first = await startServer(devVars(dir));
    const signedUp = await gql(first.url, SIGN_UP, { email, password: PASSWORD });
    expect(signedUp.status).toBe(200);
    expect(signedUp.body.errors).toBeUndefined();
    const userId: string = signedUp.body.data?.['signUp'].user.id;
    const accessToken: string = signedUp.body.data?.['signUp'].accessToken;

    const stopped = await stopWithSigterm(first);
    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(stopped.ms).toBeLessThan(PROMPT_EXIT_MS);
    await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();

    const second = await startServer(devVars(dir));
    const loggedIn = await gql(second.url, LOGIN, { email, password: PASSWORD });
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.body.errors).toBeUndefined();
    expect(loggedIn.body.data?.['login'].user).toEqual({ id: userId, email, role: 'USER' });

    const me = await gql(second.url, '{ me { id email } }', {}, { authorization: `Bearer ${accessToken}` });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ data: { me: { id: userId, email } } });

    expect(await stopWithSigterm(second)).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  it('SIGTERM finishes a request in flight before exiting 0', async () => {
    const dir = tempDir();
    const email = `inflight-${randomUUID()}@example.test`;
    // debug logs show when the request has arrived; the full scrypt cost keeps it busy for a while.
    const server = await startServer(devVars(dir, { LOG_LEVEL: 'debug', PASSWORD_HASH_COST: '17' }));

    const { pending, logsFrom } = await sendAndWaitForArrival(server, () => gql(server.url, SIGN_UP, { email, password: PASSWORD }));
    const completedGraphql = server
      .stdout()
      .slice(logsFrom)
      .split('\n')
      .filter((line) => line.includes('"path":"/graphql"') && line.includes('"msg":"request completed"'));
    expect(completedGraphql).toEqual([]);

    expect(server.child.kill('SIGTERM')).toBe(true);
    const exited = exitWithin(server, 15_000).then((exit) => ({ ...exit, at: Date.now() }));
    const response = await pending;
    const answeredAt = Date.now();
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.['signUp'].user.email).toBe(email);
    const exit = await exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    const exitAfterAnswerMs = exit.at - answeredAt;

    const again = await startServer(devVars(dir));
    const loggedIn = await gql(again.url, LOGIN, { email, password: PASSWORD });
    expect(loggedIn.body.errors).toBeUndefined();
    expect(loggedIn.body.data?.['login'].user.email).toBe(email);
    expect(await stopWithSigterm(again)).toMatchObject({ code: 0, signal: null });

    // Once the last request in flight is answered there is nothing left to wait for: the process
    // must not sit on the client's kept-alive connection until a force-close timer fires.
    expect(exitAfterAnswerMs).toBeLessThan(PROMPT_EXIT_MS);
  }, 60_000);

  /** Starts the server in production with `env` added and waits for it to exit with a failure code. */
  async function failedProductionStart(env: Record<string, string>): Promise<ReturnType<typeof spawnServer>> {
    const dir = tempDir();
    const running = spawnServer({
      NODE_ENV: 'production',
      ...env,
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    });
    const exit = await exitWithin(running, 20_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    return running;
  }

  it('in production without JWT_SECRET, start-up fails with a message naming JWT_SECRET', async () => {
    const running = await failedProductionStart({});
    expect(running.stderr()).toContain('JWT_SECRET');
  }, 30_000);

  it('in production with a JWT_SECRET shorter than 32 bytes, start-up fails with a message naming JWT_SECRET', async () => {
    const shortSecret = 'Sh0rt-but-Varied-Secret!'; // 24 bytes, many distinct characters
    const running = await failedProductionStart({ JWT_SECRET: shortSecret });
    expect(running.stderr()).toContain('JWT_SECRET');
    expect(running.stderr()).not.toContain(shortSecret);
  }, 30_000);

  it('ADMIN_EMAIL/ADMIN_PASSWORD create an ADMIN that can query users, and starting again is idempotent (production, proper JWT_SECRET)', async () => {
    const dir = tempDir();
    const adminEmail = `boss-${randomUUID()}@example.test`;
    const adminPassword = 'an admin passphrase that is long';
    const vars = {
      NODE_ENV: 'production',
      JWT_SECRET: randomSecret(),
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_COST: '10',
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: adminPassword,
    };

    const adminsIn = async (url: string): Promise<unknown[]> => {
      const login = await gql(url, LOGIN, { email: adminEmail, password: adminPassword });
      expect(login.status).toBe(200);
      expect(login.body.errors).toBeUndefined();
      expect(login.body.data?.['login'].user.role).toBe('ADMIN');
      const users = await gql(
        url,
        '{ users(first: 100) { totalCount edges { node { email role } } } }',
        {},
        {
          authorization: `Bearer ${login.body.data?.['login'].accessToken}`,
        },
      );
      expect(users.status).toBe(200);
      expect(users.body.errors).toBeUndefined();
      return users.body.data?.['users'].edges.map((edge: { node: unknown }) => edge.node);
    };

    const first = await startServer(vars);
    expect(await adminsIn(first.url)).toEqual([{ email: adminEmail, role: 'ADMIN' }]);
    expect(await stopWithSigterm(first)).toMatchObject({ code: 0, signal: null });

    const second = await startServer(vars);
    expect(await adminsIn(second.url)).toEqual([{ email: adminEmail, role: 'ADMIN' }]);
    expect(await stopWithSigterm(second)).toMatchObject({ code: 0, signal: null });
  }, 60_000);
});
