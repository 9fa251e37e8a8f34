// What both benchmark servers (bench/server.ts, bench/external-server.ts) do around their own
// settings: a production-mode gatehouse on a fresh database, one user with a day-long access
// token, one JSON line on stderr when it listens, and a clean stop (SQLite files removed) on
// SIGTERM or SIGINT.
import { rmSync } from 'node:fs';
import { type App, createApp } from '../src/app';
import { parseConfig } from '../src/config';
import { createHttpServer } from '../src/http/server';
import { createUser } from '../src/services/accounts';
import { migrateToLatest, openStore } from '../src/store/database';
import type { UserRecord } from '../src/store/users';

export const BENCH_EMAIL = 'bench@example.test';
export const BENCH_PASSWORD = 'benchmark password';

export interface BenchSetup {
  readonly app: App;
  /** The user BENCH_EMAIL / BENCH_PASSWORD. */
  readonly user: UserRecord;
}

/**
 * Serves gatehouse configured by `env` (over production defaults), on the SQLite file `sqlitePath`
 * unless `env.DATABASE_URL` names another database; `more` adds its own fields to the JSON line
 * `{"url", "token", …, "pid"}`.
 */
export async function serveForBenchmark(
  env: Readonly<Record<string, string | undefined>>,
  sqlitePath: string | null,
  more: (setup: BenchSetup) => Promise<Record<string, unknown>> = async () => ({}),
): Promise<void> {
  const config = parseConfig({
    NODE_ENV: 'production',
    ...(sqlitePath === null ? {} : { DATABASE_URL: `file:${sqlitePath}` }),
    JWT_SECRET: 'bench-only-secret-8f3a1c9e7b2d4f6a0c5e8b1d3f7a9c2e',
    PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    ...env,
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  await migrateToLatest(store);
  const app = createApp(config, store);
  await app.accessTokens.ready();
  const user = await createUser(
    app,
    { email: BENCH_EMAIL, password: BENCH_PASSWORD },
    { actorId: null, address: 'bench', source: 'request' },
  );
  const fields = await more({ app, user });
  // Access tokens live 15 minutes by default; a long one keeps the whole run on one token.
  const longLived = createApp({ ...config, jwt: { ...config.jwt, accessTokenTtlSeconds: 86_400 } }, store);
  await longLived.accessTokens.ready();
  const token = longLived.accessTokens.issue(user.id, new Date()).token;
  longLived.accessTokens.close();

  const server = await createHttpServer(app);
  const url = await server.listen();
  process.stderr.write(`${JSON.stringify({ url, token, ...fields, pid: process.pid })}\n`);
  const stop = () => {
    void server.close().then(() => {
      if (sqlitePath !== null) for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
