// A gatehouse server for the benchmark, in its own process (bench/processes.ts starts it), in
// production mode with every protection on. Argument: `sqlite` (a fresh file under /tmp) or a
// postgres:// URL of an empty database.
// Prints one JSON line {"url", "token", "apiKey", "email", "password", "pid"} when it listens.
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { createApp } from '../src/app';
import { rolesOf } from '../src/auth/viewer';
import { parseConfig } from '../src/config';
import { createHttpServer } from '../src/http/server';
import { createUser } from '../src/services/accounts';
import { createApiKey } from '../src/services/api-keys';
import { migrateToLatest, openStore } from '../src/store/database';

async function main(): Promise<void> {
  const target = process.argv[2] ?? 'sqlite';
  if (target !== 'sqlite' && !target.startsWith('postgres://')) throw new Error('argument: sqlite | postgres://…');
  const dbPath = `/tmp/gatehouse-bench-${process.pid}.db`;
  const config = parseConfig({
    NODE_ENV: 'production',
    DATABASE_URL: target === 'sqlite' ? `file:${dbPath}` : target,
    JWT_SECRET: process.env['BENCH_JWT_SECRET'] ?? 'bench-only-secret-8f3a1c9e7b2d4f6a0c5e8b1d3f7a9c2e',
    PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    CREDENTIAL_CACHE_SIZE: process.env['CREDENTIAL_CACHE_SIZE'] ?? '10000',
    PASSWORD_HASH_COST: process.env['PASSWORD_HASH_COST'] ?? '17',
    // The default follows the cores this process may use, which the benchmark pins to one while
    // measuring throughput; configured as it would be on this machine unpinned.
    PASSWORD_HASH_CONCURRENCY: String(Math.max(1, cpus().length - 1)),
    LOGIN_FAILURES_PER_ACCOUNT: '1000',
    LOGIN_FAILURES_PER_ADDRESS: '100000',
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  await migrateToLatest(store);
  const app = createApp(config, store);
  const email = 'bench@example.test';
  const password = 'benchmark password';
  const user = await createUser(app, { email, password }, { actorId: null, address: 'bench', source: 'request' });
  const key = await createApiKey(
    app,
    { id: user.id, roles: rolesOf(user.role), via: 'jwt' },
    { name: 'bench' },
    { actorId: user.id, address: 'bench', source: 'request' },
  );
  // Access tokens live 15 minutes by default; a long one keeps the whole run on one token.
  const token = createApp({ ...config, jwt: { ...config.jwt, accessTokenTtlSeconds: 86_400 } }, store).accessTokens.issue(
    user.id,
    new Date(),
  ).token;

  const server = await createHttpServer(app);
  const url = await server.listen();
  process.stderr.write(`${JSON.stringify({ url, token, apiKey: key.secret, email, password, pid: process.pid })}\n`);
  const stop = () => {
    void server.close().then(() => {
      rmSync(dbPath, { force: true });
      rmSync(`${dbPath}-wal`, { force: true });
      rmSync(`${dbPath}-shm`, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
