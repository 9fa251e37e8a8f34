/*
 * The database goes away under load and comes back (docs/contract.md, "Running it": "While the database is unreachable,
 * GraphQL requests answer 503 with Retry-After, the masked error body and its request id; they
 * recover without a restart"). A PostgreSQL cluster of the test's own, on a free port, is stopped
 * mid-load and started again; the gatehouse process is never restarted.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { GqlResponse } from '../helpers/http';
import { randomSecret } from '../helpers/http';
import { delay, gql, registerProcessCleanup, type Running, startServer } from '../helpers/process';
import { PASSWORD, SIGN_UP } from '../helpers/accounts';
import { canRunCluster as canRun, Cluster } from '../helpers/postgres-cluster';

registerProcessCleanup({ per: 'file' });

(canRun ? describe : describe.skip)('the database unreachable under load, then back', () => {
  let cluster: Cluster;
  let server: Running;

  beforeAll(async () => {
    cluster = await Cluster.create();
    server = await startServer({
      NODE_ENV: 'production',
      DATABASE_URL: cluster.url,
      JWT_SECRET: randomSecret(),
      PASSWORD_HASH_COST: '10',
      SIGNUPS_PER_ADDRESS: '100000',
      LOG_LEVEL: 'warn',
    });
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    cluster?.remove();
  }, 60_000);

  function expectUnavailable(response: GqlResponse): void {
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    const errors = response.body.errors ?? [];
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extensions?.['code']).toBe('SERVICE_UNAVAILABLE');
    expect(errors[0]?.extensions?.['retryAfter']).toBe(Number(response.headers.get('retry-after')));
    expect(errors[0]?.extensions?.['requestId']).toBe(response.headers.get('x-request-id'));
    // Masked: nothing of the driver's error, the database's address or a stack. The request id is a
    // random UUID, which may itself contain "5432", so it is left out of the search.
    expect(JSON.stringify(response.body).replace(/"requestId":"[^"]*"/g, '')).not.toMatch(
      /ECONN|terminat|5432|postgres|127\.0\.0\.1|stack|at \w+ \(/i,
    );
  }

  it('answers 503 with Retry-After while it is down, loses nothing acknowledged, and recovers without a restart', async () => {
    const first = await gql(server.url, SIGN_UP, { password: PASSWORD, email: `first-${randomUUID()}@example.test` });
    expect(first.status).toBe(200);
    const token = (first.body.data!['signUp'] as { accessToken: string }).accessToken;
    const me = { authorization: `Bearer ${token}` };

    // Load: sign-ups (writes) and `me` (the credential lookup) from 4 loops each, until told to stop.
    const acknowledged: string[] = [];
    const statuses = new Set<number>();
    const unavailable: GqlResponse[] = [];
    let running = true;
    const loop = async (make: () => Promise<GqlResponse>, onOk?: (r: GqlResponse) => void) => {
      while (running) {
        const response = await make().catch(() => undefined);
        if (response === undefined) {
          // The gatehouse process itself must never go away; a refused connection is a failure.
          running = false;
          throw new Error('gatehouse did not answer');
        }
        statuses.add(response.status);
        if (response.status === 200 && response.body.errors === undefined) onOk?.(response);
        else if (response.status === 503) unavailable.push(response);
        else throw new Error(`unexpected answer ${response.status}: ${JSON.stringify(response.body)}`);
      }
    };
    const loops = [
      ...Array.from({ length: 4 }, () => {
        let email = '';
        return loop(
          () => gql(server.url, SIGN_UP, { password: PASSWORD, email: (email = `load-${randomUUID()}@example.test`) }),
          () => acknowledged.push(email),
        );
      }),
      ...Array.from({ length: 4 }, () => loop(() => gql(server.url, '{ me { id } }', {}, me))),
    ].map((finished) =>
      // Held as a value, not left rejected: a loop that fails while the test still awaits something
      // else would otherwise be an unhandled rejection that ends the whole jest process.
      finished.then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
    );

    let acknowledgedBefore = Number.POSITIVE_INFINITY;
    try {
      await delay(500);
      cluster.stop();
      const whileDown = await gql(server.url, '{ me { id } }', {}, me);
      expectUnavailable(whileDown);
      expectUnavailable(await gql(server.url, SIGN_UP, { password: PASSWORD, email: `down-${randomUUID()}@example.test` }));
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      // Public fields that need no database still answer.
      expect((await gql(server.url, '{ publicMessage }')).status).toBe(200);
      await delay(500);

      cluster.start();
      const deadline = Date.now() + 20_000;
      while ((await fetch(`${server.url}/readyz`)).status !== 200 && Date.now() < deadline) await delay(100);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      acknowledgedBefore = acknowledged.length;
      await delay(500);
    } finally {
      running = false; // a failed expectation must not leave the loops running
    }
    expect((await Promise.all(loops)).filter((failure) => failure !== undefined)).toEqual([]);

    expect([...statuses].sort()).toEqual([200, 503]);
    for (const response of unavailable) expectUnavailable(response);
    expect(acknowledged.length).toBeGreaterThan(acknowledgedBefore); // writes work again
    const after = await gql(server.url, '{ me { id } }', {}, me);
    expect(after.status).toBe(200);
    expect(after.body.data?.['me']).toEqual({ id: (first.body.data!['signUp'] as { user: { id: string } }).user.id });

    // Every sign-up that was answered with an account is in the database.
    const client = new Client({ connectionString: cluster.url });
    await client.connect();
    try {
      const stored = new Set((await client.query<{ email: string }>('select email from users')).rows.map((r) => r.email));
      expect(acknowledged.filter((email) => !stored.has(email))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 120_000);
});
