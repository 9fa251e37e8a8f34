import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, SIGN_UP } from '../helpers/accounts';
import { devVars, exitWithin, gql, registerProcessCleanup, ROOT, sendAndWaitForArrival, startServer, tempDir } from '../helpers/process';

/*
 * `npm start` as Docker's `CMD npm start`, systemd or Kubernetes run it: SIGTERM goes to the npm
 * process, not to node. It runs the compiled demo (dist/), so this file builds once when dist/ has
 * no build yet (CI builds before testing).
 */

registerProcessCleanup();

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'examples', 'notes', 'main.js')))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
}, 120_000);

it('SIGTERM to the npm start process finishes the request in flight, closes the port and exits 0', async () => {
  const dir = tempDir();
  const email = `npm-start-${randomUUID()}@example.test`;
  // debug logs show when the request has arrived; the full scrypt cost keeps it busy for a while.
  const server = await startServer(devVars(dir, { LOG_LEVEL: 'debug', PASSWORD_HASH_COST: '17' }), ['npm', 'start', '--silent']);
  const { pending } = await sendAndWaitForArrival(server, () => gql(server.url, SIGN_UP, { email, password: PASSWORD }));

  expect(server.child.kill('SIGTERM')).toBe(true); // the npm process
  const response = await pending;
  expect(response.status).toBe(200);
  expect(response.body.data?.['signUp'].user.email).toBe(email);
  expect(await exitWithin(server, 15_000)).toMatchObject({ code: 0, signal: null });
  // The server itself is gone too (not re-parented and still listening).
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  expect(server.stdout()).toContain('"msg":"shutting down: finishing requests in flight"');
}, 60_000);
