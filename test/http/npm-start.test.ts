import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { delay, exitWithin, gql, registerProcessCleanup, ROOT, startServer, tempDir } from '../helpers/process';

/*
 * `npm start` as Docker's `CMD npm start`, systemd or Kubernetes run it: SIGTERM goes to the npm
 * process, not to node. It runs the compiled demo (dist/), so this file builds once when dist/ has
 * no build yet (CI builds before testing).
 */

registerProcessCleanup();

const PASSWORD = 'correct horse battery staple';
const SIGN_UP =
  'mutation ($email: String!, $password: String!) { signUp(email: $email, password: $password) { accessToken user { id email } } }';

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'examples', 'notes', 'main.js')))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
}, 120_000);

it('SIGTERM to the npm start process finishes the request in flight, closes the port and exits 0', async () => {
  const dir = tempDir();
  const email = `npm-start-${randomUUID()}@example.test`;
  const server = await startServer(
    // debug logs show when the request has arrived; the full scrypt cost keeps it busy for a while.
    { NODE_ENV: 'development', DATABASE_URL: `file:${join(dir, 'g.db')}`, DATA_DIR: dir, LOG_LEVEL: 'debug', PASSWORD_HASH_COST: '17' },
    ['npm', 'start', '--silent'],
  );
  const logsBefore = server.stdout().length;
  const pending = gql(server.url, SIGN_UP, { email, password: PASSWORD });
  const arrivedBy = Date.now() + 10_000;
  const arrived = () => server.stdout().slice(logsBefore).includes('"msg":"request received"');
  while (!arrived() && Date.now() < arrivedBy) await delay(5);
  expect(arrived()).toBe(true);

  expect(server.child.kill('SIGTERM')).toBe(true); // the npm process
  const response = await pending;
  expect(response.status).toBe(200);
  expect(response.body.data?.['signUp'].user.email).toBe(email);
  expect(await exitWithin(server, 15_000)).toMatchObject({ code: 0, signal: null });
  // The server itself is gone too (not re-parented and still listening).
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  expect(server.stdout()).toContain('"msg":"shutting down: finishing requests in flight"');
}, 60_000);
