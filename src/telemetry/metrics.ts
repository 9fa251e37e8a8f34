// The numbers an operator scrapes from `GET /metrics` (src/http/metrics.ts): one prom-client
// Registry per gatehouse instance, so two gatehouses in one process never share or collide on a
// series. Labels are bounded by construction: `coordinate` is a field of the schema (Denial's, never
// the client's text), `operation` is query, mutation, subscription or none, `status` an HTTP status,
// `reason` one of the fixed credential problems. Counting is a cached child's `inc()`: a request pays
// no label hashing. Gauges read their value when scraped, from the parts that hold it (`observe`).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What a gauge reads when scraped; registered by the part that holds the value. */
export interface MetricSources {
  /** Password hashes waiting for a turn (src/auth/passwords.ts). */
  passwordHashQueueDepth?: () => number;
  /** Subscriptions running on this instance, and WebSocket connections open (src/subscriptions/). */
  subscriptionsActive?: () => number;
  subscriptionSockets?: () => number;
  /** The credential cache's counters (src/store/credential-lookups.ts); null when it is off. */
  credentialCache?: () => { readonly hits: number; readonly misses: number; readonly entries: number } | null;
  /** PostgreSQL's connection pool; undefined on SQLite. */
  pool?: () => { readonly total: number; readonly idle: number; readonly waiting: number };
}

/** The operation label: the GraphQL operation type, or `none` when the request never got one (401, a parse error). */
export type OperationLabel = 'query' | 'mutation' | 'subscription' | 'none';

export interface GatehouseMetrics {
  /** This instance's registry: `metrics()` gives the Prometheus text. */
  readonly registry: Registry;
  request(operation: OperationLabel, status: number): void;
  denial(coordinate: string, code: string): void;
  reportOnlyDenial(coordinate: string): void;
  authenticationFailure(reason: string): void;
  /** A request refused with RATE_LIMITED (failed logins, sign-ups, an application's own limit). */
  rateLimited(): void;
  /** An event the bus delivered on this instance, this many seconds after its publish. */
  eventBusLag(seconds: number): void;
  /** Adds (or replaces) the sources gauges read. */
  observe(sources: MetricSources): void;
}

/** A counter whose children are made once per label set and kept. */
function cachedCounter<L extends string>(counter: Counter<L>): (...values: string[]) => { inc(): void } {
  const children = new Map<string, { inc(): void }>();
  const names = (counter as unknown as { labelNames: L[] }).labelNames;
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      const labels = Object.fromEntries(names.map((name, i) => [name, values[i] ?? ''])) as Record<L, string>;
      children.set(key, (child = counter.labels(labels)));
    }
    return child;
  };
}

export interface MetricsOptions {
  /**
   * Collect prom-client's process metrics (CPU, memory, event-loop delay, GC). They observe every
   * garbage collection and sample the event loop whether or not anyone reads them, so gatehouse
   * asks for them only when /metrics is served (METRICS_TOKEN set). Default true.
   */
  readonly processMetrics?: boolean;
}

/** A new registry with gatehouse's series and, unless turned off, the process metrics (prom-client's defaults). */
export function createMetrics(options: MetricsOptions = {}): GatehouseMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const sources: MetricSources = {};
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames: [...labelNames], registers: [registry] });
  const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: readonly string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      collect() {
        read(this);
      },
    });

  // Counted on every request: a number in a map (by operation, then status), copied into the
  // counter when scraped. prom-client's own inc() hashes the labels on every call.
  const requests = new Map<string, Map<number, { n: number }>>();
  new Counter({
    name: 'gatehouse_requests_total',
    help: 'GraphQL requests answered, by operation type and HTTP status.',
    labelNames: ['operation', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [operation, byStatus] of requests)
        for (const [status, count] of byStatus) this.inc({ operation, status: String(status) }, count.n);
    },
  });
  const requestCount = (operation: string, status: number) => {
    let byStatus = requests.get(operation);
    if (byStatus === undefined) requests.set(operation, (byStatus = new Map()));
    let count = byStatus.get(status);
    if (count === undefined) byStatus.set(status, (count = { n: 0 }));
    return count;
  };
  const denials = cachedCounter(
    counter('gatehouse_denials_total', 'Fields refused by a rule, by field coordinate and code.', ['coordinate', 'code']),
  );
  const reportOnly = cachedCounter(
    counter(
      'gatehouse_report_only_denials_total',
      'Requests a rule beside @reportOnly would have refused (served anyway), by field coordinate.',
      ['coordinate'],
    ),
  );
  const authFailures = cachedCounter(
    counter('gatehouse_authentication_failures_total', 'Credentials refused with 401, by reason.', ['reason']),
  );
  const rateLimited = counter(
    'gatehouse_rate_limited_total',
    'Requests refused with RATE_LIMITED (logins, sign-ups, application limits).',
    [],
  );
  // From publish to delivery: SQLite's poll interval and a loaded instance show here.
  const eventBusLag = new Histogram({
    name: 'gatehouse_event_bus_lag_seconds',
    help: "Time from an event's publish (any instance) to its delivery to this instance's subscriptions.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  gauge('gatehouse_password_hash_queue_depth', 'Password hashes waiting for a turn.', (g) =>
    g.set(sources.passwordHashQueueDepth?.() ?? 0),
  );
  gauge('gatehouse_subscriptions_active', 'Subscriptions running on this instance.', (g) => g.set(sources.subscriptionsActive?.() ?? 0));
  gauge('gatehouse_subscription_sockets', 'WebSocket connections open on this instance.', (g) =>
    g.set(sources.subscriptionSockets?.() ?? 0),
  );
  // The cache keeps its own running counts; a scrape copies them into counters.
  const cacheCount = (name: string, help: string, pick: 'hits' | 'misses') =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = sources.credentialCache?.() ?? null;
        if (stats === null) return;
        this.reset();
        this.inc(stats[pick]);
      },
    });
  cacheCount('gatehouse_credential_cache_hits_total', 'Credential lookups answered from the cache.', 'hits');
  cacheCount('gatehouse_credential_cache_misses_total', 'Credential lookups that read the database.', 'misses');
  gauge('gatehouse_credential_cache_entries', 'Users and API keys the credential cache holds now.', (g) => {
    const stats = sources.credentialCache?.() ?? null;
    if (stats !== null) g.set(stats.entries);
  });
  gauge(
    'gatehouse_db_pool_connections',
    'PostgreSQL pool connections, by state (total, idle, waiting clients).',
    (g) => {
      const pool = sources.pool?.();
      if (pool === undefined) return;
      g.set({ state: 'total' }, pool.total);
      g.set({ state: 'idle' }, pool.idle);
      g.set({ state: 'waiting' }, pool.waiting);
    },
    ['state'],
  );

  return {
    registry,
    request: (operation, status) => {
      requestCount(operation, status).n++;
    },
    denial: (coordinate, code) => denials(coordinate, code).inc(),
    reportOnlyDenial: (coordinate) => reportOnly(coordinate).inc(),
    authenticationFailure: (reason) => authFailures(reason).inc(),
    rateLimited: () => rateLimited.inc(),
    eventBusLag: (seconds) => eventBusLag.observe(seconds),
    observe(more) {
      Object.assign(sources, more);
    },
  };
}
