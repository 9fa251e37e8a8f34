// A gatehouse server for bench/external-tokens.ts, in its own process: the real server with the
// OIDC_ISSUERS it is given, a gatehouse user and its token. Prints one JSON line {"url", "token", "pid"}.
import { serveForBenchmark } from './serve';

void serveForBenchmark(
  { PASSWORD_HASH_COST: '10', OIDC_ISSUERS: process.env['OIDC_ISSUERS'] },
  `/tmp/gatehouse-bench-external-${process.pid}.db`,
);
