// npm run bench:external: provider tokens (issue: "Tokens from your identity provider").
// Serves a minimal OpenID provider (discovery + JWKS, made with jose) in this process, starts a
// gatehouse server (bench/external-server.ts) that trusts it, and measures:
//  1. server CPU per request for the same query anonymous, with a gatehouse token, and with
//     provider RS256 and ES256 tokens (after their first, uncached verification), R interleaved
//     rounds of 20,000 requests (/proc/<pid>/stat, as bench/cpu-per-request.ts);
//  2. the p99 latency of callers with valid tokens at a fixed rate, alone and during a flood of
//     tokens with unknown kids at the same rate, and the JWKS fetches the flood caused.
// Example: R=5 Q='{ publicMessage }' npm run bench:external
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';
import { cpuMs, pinLoadGenerator, type Started, startServer } from './processes';

async function main(): Promise<void> {
  const rounds = Number(process.env['R'] ?? 5);
  const query = process.env['Q'] ?? '{ publicMessage }';
  let jwksFetches = 0;
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  let issuer = '';
  const provider = createServer((request, response) => {
    if (request.url === '/.well-known/openid-configuration')
      return void response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (request.url === '/jwks') {
      jwksFetches++;
      return void response.end(JSON.stringify({ keys }));
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  const sign = (key: KeyLike, alg: string, kid: string, sub = 'bench-user') =>
    new SignJWT({ sub, aud: 'gatehouse-api', scope: 'notes:read', realm_access: { roles: ['gatehouse-user'] } })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('1d')
      .sign(key);
  const rsToken = await sign(rsa.privateKey, 'RS256', 'rsa-1');
  const esToken = await sign(ec.privateKey, 'ES256', 'ec-1');
  const floodTokens = await Promise.all(
    Array.from({ length: 500 }, (_, i) => sign(stranger.privateKey, 'ES256', `unknown-${i}`, `flood-${i}`)),
  );

  console.log(pinLoadGenerator());
  const server: Started = await startServer('external-server', [], {
    OIDC_ISSUERS: JSON.stringify([
      { issuer, audience: 'gatehouse-api', rolesClaim: 'realm_access.roles', roleMap: { 'gatehouse-user': 'USER' } },
    ]),
  });
  const url = `${server.info.url}/graphql`;
  const body = JSON.stringify({ query });
  const credentials: Record<string, Record<string, string>> = {
    anonymous: {},
    gatehouse: { authorization: `Bearer ${server.info.token}` },
    rs256: { authorization: `Bearer ${rsToken}` },
    es256: { authorization: `Bearer ${esToken}` },
  };
  const cpuPerRequestUs = async (headers: Record<string, string>): Promise<number> => {
    const amount = 20_000;
    const before = cpuMs(server.info.pid);
    const result = await autocannon({
      url,
      method: 'POST',
      connections: 10,
      amount,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
    return ((cpuMs(server.info.pid) - before) * 1000) / amount;
  };
  try {
    for (const headers of Object.values(credentials)) await cpuPerRequestUs(headers); // warm-up (the provider tokens' first verification)
    const cpu: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, headers] of Object.entries(credentials)) (cpu[name] ??= []).push(Math.round(await cpuPerRequestUs(headers)));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    console.log(`µs of server CPU per request, ${query}:`, cpu);
    for (const name of ['gatehouse', 'rs256', 'es256']) {
      console.log(
        `${name}: anonymous / ${name} CPU per request (medians) = ${(median(cpu['anonymous'] as number[]) / median(cpu[name] as number[])).toFixed(3)}`,
      );
    }

    // What one refused request costs: a token with an unknown kid against a malformed bearer token.
    const refusedCpuUs = async (tokens: string[]): Promise<number> => {
      const amount = 20_000;
      let i = 0;
      const before = cpuMs(server.info.pid);
      await autocannon({
        url,
        method: 'POST',
        connections: 10,
        amount,
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i++ % tokens.length]}` },
              body,
            }),
          },
        ],
      });
      return ((cpuMs(server.info.pid) - before) * 1000) / amount;
    };
    const garbage = floodTokens.map((t) => `${t.slice(0, -8)}AAAAAAAA`.replace(/^[^.]+/, 'eyJhbGciOiJIUzI1NiJ9'));
    const refused: Record<string, number[]> = {};
    for (let round = 0; round < 3; round++) {
      (refused['unknown kid'] ??= []).push(Math.round(await refusedCpuUs(floodTokens)));
      (refused['bad gatehouse-style token'] ??= []).push(Math.round(await refusedCpuUs(garbage)));
    }
    console.log('µs of server CPU per refused request:', refused);

    const victims = (duration: number) =>
      autocannon({
        url,
        method: 'POST',
        connections: 10,
        overallRate: 1000,
        duration,
        headers: { 'content-type': 'application/json', ...credentials['es256'] },
        body,
      });
    const floodOf = (tokens: string[]) => {
      let next = 0;
      return autocannon({
        url,
        method: 'POST',
        connections: 10,
        overallRate: 1000,
        duration: 5,
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[next++ % tokens.length]}` },
              body,
            }),
          },
        ],
      });
    };
    // Alternating rounds: this VM's speed changes within seconds, so one run of each says little.
    const p99: Record<string, number[]> = { alone: [], 'malformed flood': [], 'unknown-kid flood': [] };
    const fetchesBefore = jwksFetches;
    let floodRefused = 0;
    for (let round = 0; round < 3; round++) {
      p99['alone']!.push((await victims(5)).latency.p99);
      const withGarbage = floodOf(garbage);
      p99['malformed flood']!.push((await victims(5)).latency.p99);
      await withGarbage;
      const flood = floodOf(floodTokens);
      p99['unknown-kid flood']!.push((await victims(5)).latency.p99);
      floodRefused += (await flood).non2xx;
    }
    console.log(
      `p99 ms of valid ES256 callers at 1000 req/s, alone and beside 1000 req/s of refused tokens (3 alternating rounds of 5 s):`,
      p99,
    );
    console.log(`unknown-kid requests refused: ${floodRefused}; JWKS fetches they caused: ${jwksFetches - fetchesBefore}`);
  } finally {
    server.child.kill();
    provider.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
