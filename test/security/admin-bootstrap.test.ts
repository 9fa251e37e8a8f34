/*
 * ADMIN_EMAIL at start-up, through real server processes: an account someone else signed up before
 * ADMIN_EMAIL was set must not become ADMIN (issue 17, "Admin takeover at start-up").
 */
import { join } from 'node:path';
import { LOGIN, SIGN_UP } from '../helpers/accounts';
import { randomSecret } from '../helpers/http';
import { exitWithin, gql, registerProcessCleanup, type Running, spawnServer, startServer, tempDir } from '../helpers/process';
import { openStore } from '../../src/store/database';

registerProcessCleanup();

const ATTACKER_PASSWORD = 'the attacker chose this one';
const OPERATOR_PASSWORD = 'the operator chose this one';

function vars(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: randomSecret(),
    DATABASE_URL: `file:${join(dir, 'g.db')}`,
    DATA_DIR: dir,
    LOG_LEVEL: 'info',
    PASSWORD_HASH_COST: '10',
    ...extra,
  };
}

async function stop(running: Running): Promise<void> {
  running.child.kill('SIGTERM');
  await exitWithin(running, 15_000);
}

async function auditRows(dir: string): Promise<Array<{ action: string; source: string; address: string | null; detail: string | null }>> {
  const store = openStore({ dialect: 'sqlite', path: join(dir, 'g.db') });
  try {
    return await store.db.selectFrom('audit_events').select(['action', 'source', 'address', 'detail']).orderBy('occurred_at').execute();
  } finally {
    await store.close();
  }
}

async function rolesIn(dir: string): Promise<Array<{ email: string | null; role: string }>> {
  const store = openStore({ dialect: 'sqlite', path: join(dir, 'g.db') });
  try {
    return await store.db
      .selectFrom('users')
      .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
      .select(['email', 'user_roles.role as role'])
      .execute();
  } finally {
    await store.close();
  }
}

describe('ADMIN_EMAIL at start-up', () => {
  it('refuses to start, naming `gatehouse admin set-role`, when the account was signed up with another password; the account stays USER', async () => {
    const dir = tempDir();
    const open = await startServer(vars(dir));
    const signedUp = await gql(open.url, SIGN_UP, { email: 'Ops@Example.test', password: ATTACKER_PASSWORD });
    expect(signedUp.body.data?.['signUp'].user.role).toBe('USER');
    await stop(open);

    const adminVars = vars(dir, { ADMIN_EMAIL: 'ops@example.test', ADMIN_PASSWORD: OPERATOR_PASSWORD });
    const refused = spawnServer({ ...adminVars, HOST: '127.0.0.1', PORT: '0' });
    const exit = await exitWithin(refused, 20_000);
    expect(exit.code).toBe(1);
    expect(refused.stderr()).toContain('gatehouse admin set-role --email ops@example.test --role ADMIN');
    expect(refused.stderr()).toContain('npm run admin -- set-role');
    expect(refused.stderr()).not.toContain(OPERATOR_PASSWORD);

    // The attacker's account is still a USER, and nothing was promoted.
    expect(await rolesIn(dir)).toEqual([{ email: 'Ops@Example.test', role: 'USER' }]);
    expect((await auditRows(dir)).filter((row) => row.action === 'user.role_changed')).toEqual([]);
  }, 60_000);

  it('promotes an existing account whose password is ADMIN_PASSWORD, and logs and audits the promotion', async () => {
    const dir = tempDir();
    const open = await startServer(vars(dir));
    await gql(open.url, SIGN_UP, { email: 'Lead@Example.test', password: OPERATOR_PASSWORD });
    await stop(open);

    const promoted = await startServer(vars(dir, { ADMIN_EMAIL: 'lead@example.test', ADMIN_PASSWORD: OPERATOR_PASSWORD }));
    const login = await gql(promoted.url, LOGIN, { email: 'lead@example.test', password: OPERATOR_PASSWORD });
    expect(login.body.data?.['login'].user.role).toBe('ADMIN');
    await stop(promoted);
    expect(promoted.stdout()).toMatch(/"outcome":"promoted"/);
    expect((await auditRows(dir)).filter((row) => row.action === 'user.role_changed')).toEqual([
      {
        action: 'user.role_changed',
        source: 'cli',
        address: null,
        detail: JSON.stringify({ from: 'USER', to: 'ADMIN', source: 'ADMIN_EMAIL' }),
      },
    ]);
  }, 60_000);
});
