// gatehouse inside Apollo Server's standalone server (gatehouse/apollo), for npm run bench:apollo:
// the same settings as bench/server.ts (production, SQLite file, gatehouse's account schema, one
// user with a day-long token), served by an ApolloServer given only gatehouseForApollo's schema
// and plugins. Prints one JSON line {"url", "token", "pid"} when it listens.
import { rmSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { GatehouseContext } from '../src/apollo';
import { openForApollo } from '../src/apollo-open';
import { createUser } from '../src/services/accounts';
import { BENCH_EMAIL, BENCH_PASSWORD } from './serve';

async function main(): Promise<void> {
  const sqlitePath = `/tmp/gatehouse-bench-apollo-${process.pid}.db`;
  const { forApollo: g, app } = await openForApollo({
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: `file:${sqlitePath}`,
      JWT_SECRET: 'bench-only-secret-8f3a1c9e7b2d4f6a0c5e8b1d3f7a9c2e',
      ACCESS_TOKEN_TTL: '86400',
      CREDENTIAL_CACHE_SIZE: process.env['CREDENTIAL_CACHE_SIZE'] ?? '10000',
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    },
  });
  const user = await createUser(
    app,
    { email: BENCH_EMAIL, password: BENCH_PASSWORD },
    { actorId: null, address: 'bench', source: 'request' },
  );
  const token = app.accessTokens.issue(user.id, new Date()).token;
  const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins });
  const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
  process.stderr.write(`${JSON.stringify({ url: url.replace(/\/$/, ''), token, pid: process.pid })}\n`);
  const stop = () => {
    void server
      .stop()
      .then(() => g.close())
      .then(() => {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true });
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
