// npm run bench:ab: this build beside another one (an older checkout), in interleaved rounds, read
// as server CPU time per request (from /proc/<pid>/stat): the comparison DEVELOPERS.md asks of a
// change whose cost must stay "within noise". BASE names the other checkout, whose bench must be
// built (`npm run bench:build` there). Each round sends 20,000 requests of Q to each server, in
// alternating order; the ratio is new ÷ old per round, and its median is what to read. Example:
//   BASE=/work/base AUTH=jwt Q='{ me { id } }' R=7 npm run bench:ab
import { resolve } from 'node:path';
import { cpuPerRequestUs, pinLoadGenerator, type Started, startServer } from './processes';

function headersFor(server: Started): Record<string, string> {
  const auth = process.env['AUTH'];
  if (auth === 'key') return { 'x-api-key': server.info.apiKey! };
  if (auth === 'jwt') return { authorization: `Bearer ${server.info.token!}` };
  return {};
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const base = process.env['BASE'];
  if (!base) throw new Error('BASE=<path of the other checkout, with its bench built> is required');
  const query = process.env['Q'] ?? '{ publicMessage }';
  const rounds = Number(process.env['R'] ?? 7);
  console.log(pinLoadGenerator());
  const target = process.env['DATABASE'] ?? 'sqlite';
  const fresh = await startServer('server', [target]);
  const old = await startServer(resolve(base, '.bench-build', 'bench', 'server'), [target]);
  try {
    await cpuPerRequestUs(fresh, query, headersFor(fresh));
    await cpuPerRequestUs(old, query, headersFor(old));
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [fresh, old] : [old, fresh];
      const [first, second] = [
        await cpuPerRequestUs(order[0]!, query, headersFor(order[0]!)),
        await cpuPerRequestUs(order[1]!, query, headersFor(order[1]!)),
      ];
      const [newUs, oldUs] = order[0] === fresh ? [first, second] : [second, first];
      ratios.push(newUs / oldUs);
      console.log(`round ${round + 1}: new ${newUs.toFixed(1)} µs, old ${oldUs.toFixed(1)} µs, ratio ${(newUs / oldUs).toFixed(3)}`);
    }
    console.log(`${query} (${process.env['AUTH'] ?? 'anonymous'}): median new ÷ old = ${median(ratios).toFixed(3)} over ${rounds} rounds`);
  } finally {
    fresh.child.kill();
    old.child.kill();
  }
}

void main();
