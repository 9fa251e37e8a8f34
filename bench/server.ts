// A gatehouse server for the benchmark, in its own process (bench/processes.ts starts it), in
// production mode with every protection on. Argument: `sqlite` (a fresh file under /tmp) or a
// postgres:// URL of an empty database.
// Prints one JSON line {"url", "token", "apiKey", "email", "password", "pid"} when it listens.
import { cpus } from 'node:os';
import { createApiKey } from '../src/services/api-keys';
import { BENCH_EMAIL, BENCH_PASSWORD, serveForBenchmark } from './serve';

async function main(): Promise<void> {
  const target = process.argv[2] ?? 'sqlite';
  if (target !== 'sqlite' && !target.startsWith('postgres://')) throw new Error('argument: sqlite | postgres://…');
  const env = {
    ...(target === 'sqlite' ? {} : { DATABASE_URL: target }),
    ...(process.env['BENCH_JWT_SECRET'] === undefined ? {} : { JWT_SECRET: process.env['BENCH_JWT_SECRET'] }),
    CREDENTIAL_CACHE_SIZE: process.env['CREDENTIAL_CACHE_SIZE'] ?? '10000',
    PASSWORD_HASH_COST: process.env['PASSWORD_HASH_COST'] ?? '17',
    // The default follows the cores this process may use, which the benchmark pins to one while
    // measuring throughput; configured as it would be on this machine unpinned.
    PASSWORD_HASH_CONCURRENCY: String(Math.max(1, cpus().length - 1)),
    LOGIN_FAILURES_PER_ACCOUNT: '1000',
    LOGIN_FAILURES_PER_ADDRESS: '100000',
    // bench:ab with METRICS_TOKEN set measures /metrics on (a build without it ignores it).
    ...(process.env['METRICS_TOKEN'] === undefined ? {} : { METRICS_TOKEN: process.env['METRICS_TOKEN'] }),
  };
  await serveForBenchmark(env, target === 'sqlite' ? `/tmp/gatehouse-bench-${process.pid}.db` : null, async ({ app, user }) => {
    const key = await createApiKey(
      app,
      { id: user.id, roles: app.roles.expandAll(user.roles), via: 'jwt' },
      { name: 'bench' },
      { actorId: user.id, address: 'bench', source: 'request' },
    );
    return { apiKey: key.secret, email: BENCH_EMAIL, password: BENCH_PASSWORD };
  });
}

void main();
