/*
 * The series an operator of this server watches beyond the contract's list, scraped from the real
 * HTTP server's GET /metrics and read by a Prometheus text parser, on each database under test:
 * the credential cache's hits and misses, the event bus's lag from publish to delivery, PostgreSQL's
 * pool, refused logins (RATE_LIMITED) and open WebSocket connections.
 */
import { codes, signUp } from '../helpers/accounts';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { get, type HttpHarness, startHttpServer } from '../helpers/http';
import { eventually, openSocket } from '../helpers/ws';

interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly {
    readonly value?: string;
    readonly count?: string;
    readonly labels?: Record<string, string>;
    readonly buckets?: Record<string, string>;
  }[];
}
const parsePrometheus: (text: string) => Family[] = require('parse-prometheus-text-format');

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }';

describe.each(databasesUnderTest())('operator metrics on %s', (kind) => {
  let database: ThrowawayDatabase;
  let h: HttpHarness;

  beforeAll(async () => {
    database = await throwawayDatabase(kind);
    h = await startHttpServer({
      env: { METRICS_TOKEN, DATABASE_URL: databaseUrlOf(database.config), LOGIN_FAILURES_PER_ACCOUNT: '2' },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  async function scrape(): Promise<Family[]> {
    const response = await get(h, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(response.status).toBe(200);
    return parsePrometheus(response.text);
  }
  /** Scrapes until `check` holds (the gauges read the socket guard when scraped). */
  async function scrapeUntil(check: (families: Family[]) => boolean, what: string): Promise<void> {
    const until = Date.now() + 5_000;
    while (!check(await scrape())) {
      if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const family = (families: readonly Family[], name: string) => families.find((f) => f.name === name);
  const value = (families: readonly Family[], name: string, labels: Record<string, string> = {}) => {
    const metric = family(families, name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return metric?.value === undefined ? undefined : Number(metric.value);
  };

  it('counts credential lookups answered from the cache and those that read the database', async () => {
    const user = await signUp(h);
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      const response = await h.gql('{ me { id } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(response.body.errors).toBeUndefined();
    }
    const after = await scrape();
    const delta = (name: string) => (value(after, name) ?? 0) - (value(before, name) ?? 0);
    // The first request may read the user; the others are answered from the cache.
    expect(delta('gatehouse_credential_cache_hits_total') + delta('gatehouse_credential_cache_misses_total')).toBe(3);
    expect(delta('gatehouse_credential_cache_hits_total')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'gatehouse_credential_cache_entries')).toBeGreaterThanOrEqual(1);
  });

  it('counts logins refused with RATE_LIMITED', async () => {
    const { email } = await signUp(h);
    const before = value(await scrape(), 'gatehouse_rate_limited_total') ?? 0;
    const refusals: string[][] = [];
    for (let i = 0; i < 4; i++) refusals.push(codes(await h.gql(LOGIN, { variables: { email, password: 'wrong password 123' } })));
    const limited = refusals.filter((c) => c.includes('RATE_LIMITED')).length;
    expect(limited).toBeGreaterThanOrEqual(1);
    expect(value(await scrape(), 'gatehouse_rate_limited_total')).toBe(before + limited);
  });

  it('shows open WebSocket connections, and the lag of each event from its publish to its delivery', async () => {
    const socket = openSocket(h.url);
    try {
      await socket.connected;
      await scrapeUntil((families) => value(families, 'gatehouse_subscription_sockets') === 1, 'the socket is counted');
    } finally {
      await socket.dispose();
    }
    await scrapeUntil((families) => value(families, 'gatehouse_subscription_sockets') === 0, 'the closed socket is not');

    const delivered: string[] = [];
    const stop = h.app.events.on('metricsProbe', (id) => delivered.push(id));
    try {
      await h.app.events.publish('metricsProbe', 'one');
      await h.app.events.publish('metricsProbe', 'two');
      await eventually(() => delivered.length === 2, 'both events are delivered');
    } finally {
      stop();
    }
    const lag = family(await scrape(), 'gatehouse_event_bus_lag_seconds');
    expect(lag?.type).toBe('HISTOGRAM');
    const histogram = lag?.metrics[0];
    expect(Number(histogram?.count)).toBe(2);
    // Both were read within seconds of their publish, on one machine.
    expect(Number(histogram?.buckets?.['10'])).toBe(2);
  });

  it(kind === 'postgres' ? "shows the PostgreSQL pool's connections" : 'has no pool series on SQLite', async () => {
    const families = await scrape();
    if (kind === 'sqlite') {
      expect(family(families, 'gatehouse_db_pool_connections')?.metrics ?? []).toEqual([]);
      return;
    }
    expect(value(families, 'gatehouse_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(value(families, 'gatehouse_db_pool_connections', { state: 'idle' })).toEqual(expect.any(Number));
    expect(value(families, 'gatehouse_db_pool_connections', { state: 'waiting' })).toBe(0);
  });
});
