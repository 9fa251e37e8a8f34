/*
 * Changing rules safely, as an operator and a developer see it through the real HTTP server:
 * `@reportOnly` serves the field and counts the would-be denial; a denial says which rule refused
 * (extensions.rule) in development, not in production unless EXPLAIN_DENIALS=true; GET /metrics
 * answers Prometheus text to its bearer token only, parsed here by a real Prometheus text parser,
 * with one registry per gatehouse instance.
 */
import { codes, signUp } from '../helpers/accounts';
import { get, type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { eventually, openSocket } from '../helpers/ws';

/** What parse-prometheus-text-format gives: one family per metric name. */
interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly { readonly value?: string; readonly labels?: Record<string, string> }[];
}
const parsePrometheus: (text: string) => Family[] = require('parse-prometheus-text-format');

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

async function* ticks(): AsyncGenerator<number> {
  yield 1;
}

const APP = {
  typeDefs: /* GraphQL */ `
    type Report @reportOnly @hasRole(role: ADMIN) {
      total: Int
    }
    extend type Query {
      "Enforced for signed-in callers; ADMIN only is being tried out."
      trial: String @auth @reportOnly @hasRole(role: ADMIN)
      report: Report @auth
      adminOnly: String @hasRole(role: ADMIN)
    }
    extend type Mutation {
      trialWrite: Boolean @auth @reportOnly @hasRole(role: ADMIN)
    }
    type Subscription {
      trialTicks: Int @auth @reportOnly @hasRole(role: ADMIN)
      adminTicks: Int @hasRole(role: ADMIN)
    }
  `,
  resolvers: {
    Query: { trial: () => 'served', report: () => ({ total: 7 }), adminOnly: () => 'secret' },
    Mutation: { trialWrite: () => true },
    Subscription: {
      trialTicks: { subscribe: ticks, resolve: (n: number) => n },
      adminTicks: { subscribe: ticks, resolve: (n: number) => n },
    },
  },
};

/** The value of one series (labels matched exactly on the names given), or undefined when absent. */
function sample(families: readonly Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return metric?.value === undefined ? undefined : Number(metric.value);
}

async function scrape(h: HttpHarness): Promise<Family[]> {
  const response = await get(h, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(response.text);
}

describe('@reportOnly, denials that say why, and /metrics (development)', () => {
  let h: HttpHarness;
  let user: { accessToken: string };
  const asUser = () => ({ headers: { authorization: `Bearer ${user.accessToken}` } });

  beforeAll(async () => {
    h = await startHttpServer({ app: APP, env: { METRICS_TOKEN } });
    user = await signUp(h);
  });
  afterAll(() => h.close());

  it('serves a field whose rule is report-only, and counts each request the rule would have denied', async () => {
    const before = sample(await scrape(h), 'gatehouse_report_only_denials_total', { coordinate: 'Query.trial' }) ?? 0;
    for (let i = 0; i < 2; i++) {
      const response = await h.gql('{ trial report { total } }', asUser());
      expect(response.body).toEqual({ data: { trial: 'served', report: { total: 7 } } });
    }
    const families = await scrape(h);
    expect(sample(families, 'gatehouse_report_only_denials_total', { coordinate: 'Query.trial' })).toBe(before + 2);
    // The type's report-only rule is counted on each field it covers.
    expect(sample(families, 'gatehouse_report_only_denials_total', { coordinate: 'Report.total' })).toBe(2);
    // The enforced part still holds: anonymous callers are refused, and not counted as report-only.
    const anonymous = await h.gql('{ trial }');
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(sample(await scrape(h), 'gatehouse_report_only_denials_total', { coordinate: 'Query.trial' })).toBe(before + 2);
  });

  it('lets a mutation through the gate when only a report-only rule would refuse it', async () => {
    const response = await h.gql('mutation { trialWrite }', asUser());
    expect(response.body).toEqual({ data: { trialWrite: true } });
  });

  it('shows a report-only field to the callers the enforced rules let through, in introspection', async () => {
    const response = await h.gql('{ __type(name: "Query") { fields { name } } }', asUser());
    const names = ((response.body.data?.['__type']?.fields ?? []) as { name: string }[]).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['trial', 'report']));
    expect(names).not.toContain('adminOnly');
  });

  it('puts the rule that refused in extensions.rule, counts the denial by coordinate and code', async () => {
    const response = await h.gql('{ adminOnly users { totalCount } }', asUser());
    const requestId = response.headers.get('x-request-id');
    expect(response.body.errors).toEqual([
      expect.objectContaining({
        path: ['adminOnly'],
        extensions: { code: 'FORBIDDEN', rule: '@hasRole(role: ADMIN) on Query.adminOnly', requestId },
      }),
      expect.objectContaining({
        path: ['users'],
        extensions: { code: 'FORBIDDEN', rule: '@hasRole(role: ADMIN) on Query.users', requestId },
      }),
    ]);
    const gate = await h.gql('mutation { setUserRole(userId: "x", role: ADMIN) { id } }', asUser());
    expect(gate.body.errors).toEqual([
      expect.objectContaining({
        extensions: {
          code: 'FORBIDDEN',
          rule: '@hasRole(role: ADMIN) on Mutation.setUserRole',
          requestId: gate.headers.get('x-request-id'),
        },
      }),
    ]);
    const families = await scrape(h);
    expect(sample(families, 'gatehouse_denials_total', { coordinate: 'Query.users', code: 'FORBIDDEN' })).toBe(1);
    expect(sample(families, 'gatehouse_denials_total', { coordinate: 'Mutation.setUserRole', code: 'FORBIDDEN' })).toBe(1);
  });

  it('counts requests by operation and status, and refused credentials by reason', async () => {
    const before = await scrape(h);
    await h.gql('{ publicMessage }');
    await h.gql('{ me { id } }', { headers: { authorization: 'Bearer not-a-token' } });
    const after = await scrape(h);
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('gatehouse_requests_total', { operation: 'query', status: '200' })).toBe(1);
    expect(delta('gatehouse_requests_total', { operation: 'none', status: '401' })).toBe(1);
    expect(delta('gatehouse_authentication_failures_total', { reason: 'invalid_token' })).toBe(1);
    for (const name of ['gatehouse_password_hash_queue_depth', 'gatehouse_subscriptions_active', 'process_cpu_seconds_total']) {
      expect(sample(after, name)).toEqual(expect.any(Number));
    }
  });

  it('runs a subscription whose rule is report-only, and refuses one whose rule is enforced, with the rule, over WebSocket', async () => {
    const socket = openSocket(h.url, { authorization: `Bearer ${user.accessToken}` });
    try {
      await socket.connected;
      const tried = socket.subscribe('subscription { trialTicks }');
      await eventually(() => tried.received.completed, 'the report-only subscription completes');
      expect(tried.received.events).toEqual([{ data: { trialTicks: 1 } }]);
      const refused = socket.subscribe('subscription { adminTicks }');
      await eventually(() => refused.received.completed, 'the denied subscription ends');
      expect([...(refused.received.errors ?? []), ...refused.received.events.flatMap((e) => e.errors ?? [])]).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'FORBIDDEN', rule: '@hasRole(role: ADMIN) on Subscription.adminTicks' }),
        }),
      ]);
    } finally {
      await socket.dispose();
    }
    const families = await scrape(h);
    expect(sample(families, 'gatehouse_report_only_denials_total', { coordinate: 'Subscription.trialTicks' })).toBe(1);
    expect(sample(families, 'gatehouse_denials_total', { coordinate: 'Subscription.adminTicks', code: 'FORBIDDEN' })).toBe(1);
  });

  it("keeps the series bounded: clients' operation names, aliases, unknown and hidden fields add none", async () => {
    const series = (families: readonly Family[]) =>
      families
        .filter((f) => f.name.startsWith('gatehouse_'))
        .flatMap((f) => f.metrics.map((m) => `${f.name}${JSON.stringify(m.labels ?? {})}`))
        .sort();
    const documents = (i: number) => [
      `query Op${i} { a${i}: publicMessage }`,
      `query Denied${i} { d${i}: adminOnly }`,
      `query Unknown${i} { field${i} }`,
      `query Hidden${i} { adminOnly${i}: users { totalCount } }`,
      `mutation M${i} { trialWrite w${i}: trialWrite }`,
      `query F${i} { ...on Type${i} { x } }`,
      `{ me { id${i}: id } }`,
    ];
    // Every kind of request once, so each series that can exist does.
    for (const query of documents(0)) await h.gql(query, asUser());
    for (const query of documents(0)) await h.gql(query);
    const before = series(await scrape(h));
    for (let i = 1; i <= 40; i++) {
      await Promise.all(documents(i).flatMap((query) => [h.gql(query, asUser()), h.gql(query)]));
      await h.gql('{ publicMessage }', { headers: { authorization: `Bearer not-a-token-${i}` } });
    }
    const after = series(await scrape(h));
    expect(after).toEqual(before);
    expect(after.join('\n')).not.toMatch(/Op\d|Denied\d|field\d|Type\d|not-a-token/);
  });

  it('answers /metrics only to its bearer token: 401 without it or with another', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${METRICS_TOKEN}x` }, { authorization: METRICS_TOKEN }];
    for (const headers of attempts) {
      const response = await get(h, '/metrics', headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(response.text).not.toContain('gatehouse_');
      expect(response.body.errors?.[0]?.extensions?.['requestId']).toBe(response.headers.get('x-request-id'));
    }
  });

  it('keeps one registry per instance: a second gatehouse in the process counts only its own', async () => {
    const other = await startHttpServer({ app: APP, env: { METRICS_TOKEN } });
    try {
      await other.gql('{ publicMessage }');
      const mine = sample(await scrape(h), 'gatehouse_requests_total', { operation: 'query', status: '200' }) ?? 0;
      const theirs = sample(await scrape(other), 'gatehouse_requests_total', { operation: 'query', status: '200' });
      expect(theirs).toBe(1);
      expect(mine).toBeGreaterThan(1);
    } finally {
      await other.close();
    }
  });
});

describe('in production', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: randomSecret() };

  it('has no /metrics without METRICS_TOKEN (404), and no extensions.rule unless EXPLAIN_DENIALS=true', async () => {
    const h = await startHttpServer({ app: APP, env: production });
    try {
      expect((await get(h, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(404);
      const response = await h.gql('{ adminOnly }');
      expect(response.body.errors).toEqual([
        expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', requestId: response.headers.get('x-request-id') } }),
      ]);
    } finally {
      await h.close();
    }
    const explained = await startHttpServer({ app: APP, env: { ...production, EXPLAIN_DENIALS: 'true' } });
    try {
      const response = await explained.gql('{ adminOnly }');
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          extensions: {
            code: 'UNAUTHENTICATED',
            rule: '@hasRole(role: ADMIN) on Query.adminOnly',
            requestId: response.headers.get('x-request-id'),
          },
        }),
      ]);
    } finally {
      await explained.close();
    }
  });
});
