// npm run bench: every benchmark of gatehouse, with warm-up and interleaved rounds, medians.
// Writes bench/results.md and bench/results.json. Not part of CI: it takes several minutes.
// Runs compiled (see package.json): bench/processes.ts says why.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { ITEMS, staysSynchronous, timeOnce, type Variant } from './directives';
import { OWNED_ITEMS, ownershipOverhead } from './ownership';
import { cpuMs, pinLoadGenerator, releaseCores, ROOT, rssMiB, startServer } from './processes';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 1);
/** Case 3 compares two runs of this length: long enough for a stable p99. */
const STALL_SECONDS = 6;
const CONNECTIONS = 10;
/** The PostgreSQL server the benchmark makes its own database on. */
const POSTGRES_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Load {
  readonly url: string;
  /** The server process, whose CPU time is read around each run. */
  readonly pid: number;
  readonly query: string;
  readonly headers?: Record<string, string>;
}

async function cannon(load: Load, options: { duration?: number; amount?: number; connections?: number; latenciesMs?: number[] } = {}) {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${load.url}/graphql`,
        method: 'POST',
        connections: options.connections ?? CONNECTIONS,
        ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? SECONDS }),
        headers: { 'content-type': 'application/json', ...load.headers },
        body: JSON.stringify({ query: load.query }),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    // autocannon's own percentiles are whole milliseconds; each response's time is not.
    const collect = options.latenciesMs;
    if (collect) instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => collect.push(ms));
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${load.query}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

/** The p-th percentile (0–100) of the values, nearest rank. */
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

async function directiveOverhead() {
  // Floor and gatehouse first, interleaved: executing the shield schema in the same process first
  // slowed the floor by about 65% in our runs (28.5 → 46.8 ms), presumably through V8's optimisation of graphql's execute.
  const pair: Variant[] = ['floor', 'gatehouse'];
  for (let i = 0; i < 5; i++) for (const v of pair) await timeOnce(v);
  const times: Record<Variant, number[]> = { floor: [], gatehouse: [], 'graphql-shield': [] };
  for (let round = 0; round < 15; round++) {
    for (const v of pair) for (let k = 0; k < 3; k++) times[v].push(await timeOnce(v));
  }
  const floorMs = median(times.floor);
  const gatehouseMs = median(times.gatehouse);
  // Then graphql-shield against gatehouse, interleaved, for their ratio.
  const versus: number[] = [];
  for (let i = 0; i < 3; i++) await timeOnce('graphql-shield');
  for (let round = 0; round < 10; round++) {
    times['graphql-shield'].push(await timeOnce('graphql-shield'));
    versus.push(await timeOnce('gatehouse'));
  }
  const shieldMs = median(times['graphql-shield']);
  const medianMs: Record<Variant, number> = { floor: floorMs, gatehouse: gatehouseMs, 'graphql-shield': shieldMs };
  return {
    medianMs,
    gatehouseOverFloor: gatehouseMs / floorMs,
    shieldOverGatehouse: shieldMs / median(versus),
    synchronous: staysSynchronous(),
  };
}

async function main(): Promise<void> {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`gatehouse benchmark on ${machine}\n`);

  console.log(`1. directive overhead: execute() over ${fmt(ITEMS)} objects × 5 fields …`);
  const directives = await directiveOverhead();
  console.log(
    `   floor ${fmt(directives.medianMs.floor, 1)} ms, gatehouse ${fmt(directives.medianMs.gatehouse, 1)} ms, graphql-shield ${fmt(directives.medianMs['graphql-shield'], 1)} ms`,
  );
  console.log(`1b. ownership rule on every item: execute() over ${fmt(OWNED_ITEMS)} objects × 5 fields …`);
  const ownership = await ownershipOverhead();
  console.log(
    `   floor ${fmt(ownership.medianMs.floor, 1)} ms, gatehouse ${fmt(ownership.medianMs.gatehouse, 1)} ms, graphql-shield ${fmt(ownership.medianMs['graphql-shield'], 1)} ms`,
  );

  const placement = pinLoadGenerator();
  const pgName = `gatehouse_bench_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${pgName}`);
  const pgUrl = new URL(POSTGRES_URL);
  pgUrl.pathname = `/${pgName}`;
  const servers = await Promise.all([
    startServer('server', ['sqlite']),
    startServer('server', [pgUrl.toString()]),
    startServer('peer-mercurius'),
    startServer('peer-yoga'),
    startServer('bare-apollo'),
  ]);
  const [sqlite, postgres, mercurius, yoga, bare] = servers;
  try {
    const me = '{ me { id } }';
    const pub = '{ publicMessage }';
    type Server = typeof sqlite;
    const jwt = (server: Server) => ({ authorization: `Bearer ${server.info.token!}` });
    const key = (server: Server) => ({ 'x-api-key': server.info.apiKey! });
    const at = (server: Server, query: string, headers?: Record<string, string>): Load => ({
      url: server.info.url,
      pid: server.info.pid,
      query,
      ...(headers ? { headers } : {}),
    });
    const loads = {
      'SQLite: publicMessage, anonymous': at(sqlite, pub),
      'SQLite: publicMessage, JWT': at(sqlite, pub, jwt(sqlite)),
      'SQLite: publicMessage, API key': at(sqlite, pub, key(sqlite)),
      'SQLite: me, JWT': at(sqlite, me, jwt(sqlite)),
      'PostgreSQL: publicMessage, anonymous': at(postgres, pub),
      'PostgreSQL: publicMessage, JWT': at(postgres, pub, jwt(postgres)),
      'PostgreSQL: publicMessage, API key': at(postgres, pub, key(postgres)),
      'PostgreSQL: me, JWT': at(postgres, me, jwt(postgres)),
      'Mercurius + mercurius-auth: me, JWT': at(mercurius, me, jwt(mercurius)),
      'Yoga + generic-auth + plugin-jwt: me, JWT': at(yoga, me, jwt(yoga)),
      'bare Apollo standalone: publicMessage': at(bare, pub),
    } satisfies Record<string, Load>;
    type Name = keyof typeof loads;
    const names = Object.keys(loads) as Name[];

    console.log(`\n2, 5, 6. HTTP (${placement}): ${ROUNDS} interleaved rounds × ${SECONDS} s per case, ${CONNECTIONS} connections …`);
    for (const name of names) await cannon(loads[name], { duration: 2 }); // warm-up
    const rps: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as never;
    const p99: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as never;
    const cpuUs: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as never;
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round runs the cases in reverse order, so that a drift within a round favours
      // neither side of a pair.
      for (const name of round % 2 ? [...names].reverse() : names) {
        const cpuBefore = cpuMs(loads[name].pid);
        const result = await cannon(loads[name]);
        rps[name].push(result.requests.average);
        p99[name].push(result.latency.p99);
        cpuUs[name].push(((cpuMs(loads[name].pid) - cpuBefore) * 1000) / result.requests.total);
      }
      console.log(`   round ${round + 1} (µs CPU/request): ${names.map((n) => fmt(cpuUs[n].at(-1)!)).join(' | ')}`);
    }
    const http = Object.fromEntries(
      names.map((n) => [n, { rps: median(rps[n]), p99Ms: median(p99[n]), cpuUsPerRequest: median(cpuUs[n]) }]),
    ) as Record<Name, { rps: number; p99Ms: number; cpuUsPerRequest: number }>;
    // This VM's speed drifts by tens of percent over minutes: each ratio is the median of the
    // ratios of one round's two cases, measured seconds apart.
    /** CPU per request of `cheaper` over that of `dearer`: ≤ 1, and 1 when they cost the same. */
    const cpuRatio = (cheaper: Name, dearer: Name) => median(cpuUs[cheaper].map((value, round) => value / cpuUs[dearer][round]!));
    const rpsRatio = (over: Name, under: Name) => median(rps[over].map((value, round) => value / rps[under][round]!));
    const ratios = {
      sqliteJwt: cpuRatio('SQLite: publicMessage, anonymous', 'SQLite: publicMessage, JWT'),
      sqliteKey: cpuRatio('SQLite: publicMessage, anonymous', 'SQLite: publicMessage, API key'),
      postgresJwt: cpuRatio('PostgreSQL: publicMessage, anonymous', 'PostgreSQL: publicMessage, JWT'),
      postgresKey: cpuRatio('PostgreSQL: publicMessage, anonymous', 'PostgreSQL: publicMessage, API key'),
      /** gatehouse's CPU per `me` over Mercurius's: ≤ 1 means gatehouse costs no more. */
      gatehouseOverMercurius: cpuRatio('SQLite: me, JWT', 'Mercurius + mercurius-auth: me, JWT'),
      postgresOverMercurius: cpuRatio('PostgreSQL: me, JWT', 'Mercurius + mercurius-auth: me, JWT'),
      /** Yoga's CPU per `me` over gatehouse's: ≥ 4 is the target. */
      yogaOverGatehouse: cpuRatio('Yoga + generic-auth + plugin-jwt: me, JWT', 'SQLite: me, JWT'),
      /** bare Apollo's CPU per publicMessage over gatehouse's (anonymous). */
      bareOverGatehouse: cpuRatio('bare Apollo standalone: publicMessage', 'SQLite: publicMessage, anonymous'),
    };
    const rpsRatios = {
      sqliteJwt: rpsRatio('SQLite: publicMessage, JWT', 'SQLite: publicMessage, anonymous'),
      sqliteKey: rpsRatio('SQLite: publicMessage, API key', 'SQLite: publicMessage, anonymous'),
      postgresJwt: rpsRatio('PostgreSQL: publicMessage, JWT', 'PostgreSQL: publicMessage, anonymous'),
      postgresKey: rpsRatio('PostgreSQL: publicMessage, API key', 'PostgreSQL: publicMessage, anonymous'),
      gatehouseOverMercurius: rpsRatio('SQLite: me, JWT', 'Mercurius + mercurius-auth: me, JWT'),
      gatehouseOverYoga: rpsRatio('SQLite: me, JWT', 'Yoga + generic-auth + plugin-jwt: me, JWT'),
      gatehouseOverBare: rpsRatio('SQLite: publicMessage, anonymous', 'bare Apollo standalone: publicMessage'),
    };

    const meLoad = loads['SQLite: me, JWT'];
    console.log('\n4. memory over 100,000 authenticated requests …');
    // RSS follows V8's collections in a sawtooth: it rises by ~10 MiB per 10,000 requests and falls
    // back by 40-50 MiB about every 60,000 (the samples of every run in bench/results.json). A
    // sample at a given point lands anywhere on that tooth, so growth is read from the troughs: the
    // lowest sample of a window of 70,000 requests after a 20,000-request warm-up, against the
    // lowest of the last 70,000 of the 100,000 that follow. Memory kept by each request would raise
    // the troughs; memory V8 has not collected yet does not.
    const rssEvery10k = async (chunks: number): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < chunks; i++) {
        await cannon(meLoad, { amount: 10_000 });
        samples.push(rssMiB(sqlite.info.pid));
      }
      return samples;
    };
    await rssEvery10k(2);
    const warmSamples = await rssEvery10k(7);
    const runSamples = await rssEvery10k(10);
    const memory = {
      afterWarmUpMiB: Math.min(...warmSamples),
      after100kMiB: Math.min(...runSamples.slice(-7)),
      growthMiB: Math.min(...runSamples.slice(-7)) - Math.min(...warmSamples),
      samplesMiB: [...warmSamples, ...runSamples],
    };
    console.log(
      `   RSS ${fmt(memory.afterWarmUpMiB, 1)} MiB → ${fmt(memory.after100kMiB, 1)} MiB (samples ${memory.samplesMiB.map((m) => fmt(m)).join(', ')})`,
    );

    console.log('\n3. logins do not stall other requests (server and load generator on every core) …');
    releaseCores([sqlite.info.pid]);
    const idleMs: number[] = [];
    await cannon(meLoad, { duration: STALL_SECONDS, latenciesMs: idleMs });
    let hashing = true;
    let logins = 0;
    const loginLoops = Array.from({ length: 20 }, async () => {
      while (hashing) {
        const response = await fetch(`${sqlite.info.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: `mutation { login(email: "${sqlite.info.email}", password: "${sqlite.info.password}") { expiresIn } }`,
          }),
        });
        if (response.status !== 200) throw new Error(`login answered ${response.status}`);
        await response.text();
        logins++;
      }
    });
    await new Promise((r) => setTimeout(r, 500)); // let the hashing begin
    const busyMs: number[] = [];
    await cannon(meLoad, { duration: STALL_SECONDS, latenciesMs: busyMs });
    hashing = false;
    await Promise.all(loginLoops);
    const round2 = (n: number) => Math.round(n * 100) / 100;
    const idleP99Ms = round2(percentile(idleMs, 99));
    const duringLoginsP99Ms = round2(percentile(busyMs, 99));
    const stall = {
      idleP99Ms,
      duringLoginsP99Ms,
      ratio: duringLoginsP99Ms / idleP99Ms,
      loginsDone: logins,
      requests: { idle: idleMs.length, duringLogins: busyMs.length },
    };
    console.log(`   idle p99 ${stall.idleP99Ms} ms, with 20 concurrent logins p99 ${stall.duringLoginsP99Ms} ms (${logins} logins)`);

    const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
    const us = (name: Name) => `${fmt(http[name].cpuUsPerRequest, 1)} µs`;
    const rows = [
      [
        '1',
        `directive overhead, ${fmt(ITEMS)} objects (median time)`,
        `gatehouse ${fmt(directives.medianMs.gatehouse, 1)} ms / floor ${fmt(directives.medianMs.floor, 1)} ms = ${directives.gatehouseOverFloor.toFixed(3)}`,
        '≤ 1.05',
        verdict(directives.gatehouseOverFloor <= 1.05),
      ],
      [
        '1',
        'graphql-shield, same rules',
        `shield ${fmt(directives.medianMs['graphql-shield'], 1)} ms = ${directives.shieldOverGatehouse.toFixed(1)} × gatehouse (measured after it)`,
        'reported',
        directives.synchronous ? 'gatehouse stays synchronous' : '**gatehouse became async**',
      ],
      [
        '1b',
        `@owner on every item, ${fmt(OWNED_ITEMS)} objects (median time)`,
        `gatehouse ${fmt(ownership.medianMs.gatehouse, 1)} ms / floor ${fmt(ownership.medianMs.floor, 1)} ms = ${ownership.gatehouseOverFloor.toFixed(3)}`,
        '≤ 1.10',
        verdict(ownership.gatehouseOverFloor <= 1.1),
      ],
      [
        '1b',
        'graphql-shield, same ownership rule',
        `shield / floor = ${ownership.shieldOverFloor.toFixed(2)}; shield = ${ownership.shieldOverGatehouse.toFixed(1)} × gatehouse (measured after it)`,
        'reported',
        '',
      ],
      [
        '2',
        'SQLite, `{ publicMessage }`: CPU anonymous / with a JWT',
        `**${ratios.sqliteJwt.toFixed(3)}** (${us('SQLite: publicMessage, anonymous')} / ${us('SQLite: publicMessage, JWT')}; req/s ratio ${rpsRatios.sqliteJwt.toFixed(3)})`,
        '≥ 0.95',
        verdict(ratios.sqliteJwt >= 0.95),
      ],
      [
        '2',
        'SQLite, `{ publicMessage }`: CPU anonymous / with an API key',
        `**${ratios.sqliteKey.toFixed(3)}** (${us('SQLite: publicMessage, anonymous')} / ${us('SQLite: publicMessage, API key')}; req/s ratio ${rpsRatios.sqliteKey.toFixed(3)})`,
        '≥ 0.92',
        verdict(ratios.sqliteKey >= 0.92),
      ],
      [
        '2',
        'PostgreSQL, `{ publicMessage }`: CPU anonymous / with a JWT',
        `**${ratios.postgresJwt.toFixed(3)}** (${us('PostgreSQL: publicMessage, anonymous')} / ${us('PostgreSQL: publicMessage, JWT')}; req/s ratio ${rpsRatios.postgresJwt.toFixed(3)})`,
        '≥ 0.90',
        verdict(ratios.postgresJwt >= 0.9),
      ],
      [
        '2',
        'PostgreSQL, `{ publicMessage }`: CPU anonymous / with an API key',
        `**${ratios.postgresKey.toFixed(3)}** (${us('PostgreSQL: publicMessage, anonymous')} / ${us('PostgreSQL: publicMessage, API key')}; req/s ratio ${rpsRatios.postgresKey.toFixed(3)})`,
        '≥ 0.88',
        verdict(ratios.postgresKey >= 0.88),
      ],
      [
        '3',
        'p99 of `me` during 20 concurrent logins',
        `${stall.duringLoginsP99Ms} ms / ${stall.idleP99Ms} ms idle = ${stall.ratio.toFixed(2)}`,
        '≤ 3',
        verdict(stall.ratio <= 3),
      ],
      [
        '4',
        'RSS growth over 100,000 authenticated requests (lowest sample of 70,000 requests, before and after)',
        `${fmt(memory.afterWarmUpMiB, 1)} → ${fmt(memory.after100kMiB, 1)} MiB = ${memory.growthMiB >= 0 ? '+' : ''}${fmt(memory.growthMiB, 1)} MiB`,
        '≤ 20 MiB',
        verdict(memory.growthMiB <= 20),
      ],
      [
        '5',
        '`{ publicMessage }`: CPU gatehouse (SQLite) / bare Apollo standalone',
        `${(1 / ratios.bareOverGatehouse).toFixed(3)} (${us('SQLite: publicMessage, anonymous')} / ${us('bare Apollo standalone: publicMessage')}; req/s ratio ${rpsRatios.gatehouseOverBare.toFixed(3)})`,
        '≤ 1.0',
        verdict(ratios.bareOverGatehouse >= 1),
      ],
      [
        '6',
        '`{ me { id } }` with a JWT: CPU gatehouse (SQLite) / Mercurius + mercurius-auth',
        `**${ratios.gatehouseOverMercurius.toFixed(3)}** (${us('SQLite: me, JWT')} / ${us('Mercurius + mercurius-auth: me, JWT')}; req/s ratio ${rpsRatios.gatehouseOverMercurius.toFixed(3)}); on PostgreSQL ${ratios.postgresOverMercurius.toFixed(3)}`,
        '≤ 1.0',
        verdict(ratios.gatehouseOverMercurius <= 1),
      ],
      [
        '6',
        '`{ me { id } }` with a JWT: CPU Yoga + generic-auth + plugin-jwt / gatehouse (SQLite)',
        `**${ratios.yogaOverGatehouse.toFixed(2)}** (${us('Yoga + generic-auth + plugin-jwt: me, JWT')} / ${us('SQLite: me, JWT')}; req/s ratio ${(1 / rpsRatios.gatehouseOverYoga).toFixed(3)})`,
        '≥ 4',
        verdict(ratios.yogaOverGatehouse >= 4),
      ],
    ];
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const table = [
      `Run ${when} UTC on ${machine}, compiled with tsc (\`npm run bench\`). HTTP: ${placement}; ${ROUNDS} interleaved rounds of ${SECONDS} s per case, ${CONNECTIONS} connections, every server in its own process. Each ratio is the median over the rounds of the ratio of the two cases' server CPU time per request (utime + stime from /proc) in that round; req/s ratios the same way. gatehouse runs with NODE_ENV=production and every protection on.`,
      '',
      '| # | case | result | target | |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
      '| HTTP case | req/s (median) | p99 latency (median) | server CPU per request (median) |',
      '| --- | --- | --- | --- |',
      ...names.map((n) => `| ${n} | ${fmt(http[n].rps)} | ${http[n].p99Ms} ms | ${fmt(http[n].cpuUsPerRequest, 1)} µs |`),
      '',
    ].join('\n');
    writeFileSync(join(ROOT, 'bench', 'results.md'), `# Benchmark results\n\nProduced by \`npm run bench\`.\n\n${table}`);
    writeFileSync(
      join(ROOT, 'bench', 'results.json'),
      `${JSON.stringify({ when, machine, placement, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, directives, ownership, http, perRound: { rps, cpuUs }, stall, memory, ratios, rpsRatios }, null, 2)}\n`,
    );
    console.log(`\n${table}\nWritten to bench/results.md and bench/results.json.`);
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(
      servers.map(
        (server) => new Promise((resolve) => (server.child.exitCode !== null ? resolve(null) : server.child.once('exit', resolve))),
      ),
    );
    await admin.query(`drop database if exists ${pgName} with (force)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
