// npm run bench:apollo: gatehouse's own server (bench/server.ts) beside gatehouse inside Apollo
// Server's standalone server (bench/apollo-server.ts, gatehouse/apollo), in interleaved rounds,
// read as server CPU time per request (/proc/<pid>/stat): `{ me { id } }` with a JWT by default.
// The ratio is Apollo form ÷ gatehouse's server per round; its median is what to read (issue 27's
// bar: at most 1.05). Q and R as for bench:ab.
import { cpuPerRequestUs, pinLoadGenerator, type Started, startServer } from './processes';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const query = process.env['Q'] ?? '{ me { id } }';
  const rounds = Number(process.env['R'] ?? 7);
  console.log(pinLoadGenerator());
  const env = { LOG_LEVEL: 'warn' };
  const own = await startServer('server', ['sqlite'], env);
  const apollo = await startServer('apollo-server', [], env);
  const headers = (server: Started) => ({ authorization: `Bearer ${server.info.token!}` });
  try {
    await cpuPerRequestUs(own, query, headers(own));
    await cpuPerRequestUs(apollo, query, headers(apollo));
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [own, apollo] : [apollo, own];
      const first = await cpuPerRequestUs(order[0]!, query, headers(order[0]!));
      const second = await cpuPerRequestUs(order[1]!, query, headers(order[1]!));
      const [ownUs, apolloUs] = order[0] === own ? [first, second] : [second, first];
      ratios.push(apolloUs / ownUs);
      console.log(
        `round ${round + 1}: gatehouse ${ownUs.toFixed(1)} µs, Apollo form ${apolloUs.toFixed(1)} µs, ratio ${(apolloUs / ownUs).toFixed(3)}`,
      );
    }
    console.log(`${query} (JWT): median Apollo form ÷ gatehouse's server = ${median(ratios).toFixed(3)} over ${rounds} rounds`);
  } finally {
    own.child.kill();
    apollo.child.kill();
  }
}

void main();
