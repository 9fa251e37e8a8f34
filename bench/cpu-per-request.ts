// npm run bench:cpu: server CPU time per request (from /proc/<pid>/stat), a steadier measure than
// requests per second on a noisy machine. Starts the servers named in SERVERS (comma-separated:
// info, warn, debug = gatehouse on SQLite at that LOG_LEVEL; es256 = the same at info signing with ES256 keys; nocache = gatehouse without its
// credential cache; postgres = gatehouse on the empty database at BENCH_DATABASE_URL; mercurius,
// yoga = the peers; apollo-fastify = Apollo on Fastify with only a JWT check; bare = Apollo's standalone server), sends 20,000 requests of query Q to each
// per round, R rounds interleaved. AUTH=jwt or AUTH=key sends each server its own credential
// (bare gets none; the peers take only a JWT). Example:
//   SERVERS=info,mercurius AUTH=jwt Q='{ me { id } }' R=5 npm run bench:cpu
import { cpuPerRequestUs, pinLoadGenerator, type Started, startServer } from './processes';

function start(name: string): Promise<Started> {
  if (name === 'bare') return startServer('bare-apollo');
  if (name === 'mercurius' || name === 'yoga') return startServer(`peer-${name}`);
  if (name === 'apollo-fastify') return startServer('peer-apollo-fastify', [], { NODE_ENV: 'production' });
  if (name === 'nocache') return startServer('server', ['sqlite'], { CREDENTIAL_CACHE_SIZE: '0' });
  if (name === 'es256')
    return startServer('server', ['sqlite'], {
      JWT_ALGORITHM: 'ES256',
      SIGNING_KEYS_SECRET: 'bench-only-signing-keys-secret-5d2e8a1f9c3b7e4a',
    });
  if (name === 'postgres') return startServer('server', [process.env['BENCH_DATABASE_URL'] ?? '']);
  return startServer('server', ['sqlite'], { LOG_LEVEL: name });
}

function headersFor(name: string, server: Started): Record<string, string> {
  const auth = process.env['AUTH'];
  if (name === 'bare' || auth === undefined) return {};
  if (auth === 'key') return { 'x-api-key': server.info.apiKey! };
  return { authorization: `Bearer ${server.info.token!}` };
}

async function main(): Promise<void> {
  const names = (process.env['SERVERS'] ?? 'info,bare').split(',');
  const query = process.env['Q'] ?? '{ publicMessage }';
  const rounds = Number(process.env['R'] ?? 3);
  console.log(pinLoadGenerator());
  const servers = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await start(name)] as const)));
  try {
    for (const [name, server] of Object.entries(servers)) await cpuPerRequestUs(server, query, headersFor(name, server)); // warm-up
    const results: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, server] of Object.entries(servers))
        (results[name] ??= []).push(Math.round(await cpuPerRequestUs(server, query, headersFor(name, server))));
    }
    console.log(`µs of server CPU per request, ${query}:`, results);
  } finally {
    for (const server of Object.values(servers)) server.child.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
