// A gatehouse server for bench/external-tokens.ts, in its own process: the real server with the
// OIDC_ISSUERS it is given, a gatehouse user and its token. Prints one JSON line {"url", "token", "pid"}.
import { rmSync } from 'node:fs';
import { createApp } from '../src/app';
import { parseConfig } from '../src/config';
import { createHttpServer } from '../src/http/server';
import { createUser } from '../src/services/accounts';
import { migrateToLatest, openStore } from '../src/store/database';

async function main(): Promise<void> {
  const dbPath = `/tmp/gatehouse-bench-external-${process.pid}.db`;
  const config = parseConfig({
    NODE_ENV: 'production',
    DATABASE_URL: `file:${dbPath}`,
    JWT_SECRET: 'bench-only-secret-8f3a1c9e7b2d4f6a0c5e8b1d3f7a9c2e',
    PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    PASSWORD_HASH_COST: '10',
    OIDC_ISSUERS: process.env['OIDC_ISSUERS'],
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  await migrateToLatest(store);
  const app = createApp(config, store);
  const user = await createUser(
    app,
    { email: 'bench@example.test', password: 'benchmark password' },
    { actorId: null, address: 'bench', source: 'request' },
  );
  const token = createApp({ ...config, jwt: { ...config.jwt, accessTokenTtlSeconds: 86_400 } }, store).accessTokens.issue(
    user.id,
    new Date(),
  ).token;
  const server = await createHttpServer(app);
  const url = await server.listen();
  process.stderr.write(`${JSON.stringify({ url, token, pid: process.pid })}\n`);
  const stop = () => {
    void server.close().then(() => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
