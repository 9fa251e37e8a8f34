/*
 * `@reportOnly` on arguments and input fields through the real HTTP server: a USER who supplies an
 * argument or input field whose rule is report-only is served (a query, a mutation through the gate,
 * a subscription over WebSocket), the request is counted in gatehouse_report_only_denials_total by
 * the field's coordinate, and introspection still shows the argument to that USER. Through the real
 * process (`gatehouse start MODULE`) its JSON log holds one "would deny" line per field and window,
 * with the argument, the rule, the caller's kind and the request id.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '../../src/services/accounts';
import { codes, signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { delay, devVars, gatehouseStart, gql, registerProcessCleanup, type Running, startServer, tempDir } from '../helpers/process';
import { eventually, openSocket } from '../helpers/ws';

registerProcessCleanup({ per: 'file' });

interface Family {
  readonly name: string;
  readonly metrics: readonly { readonly value?: string; readonly labels?: Record<string, string> }[];
}
const parsePrometheus: (text: string) => Family[] = require('parse-prometheus-text-format');
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

const TYPE_DEFS = /* GraphQL */ `
  input TrialNoteInput {
    title: String!
    "Only an ADMIN may pin a note: being tried out."
    pinned: Boolean @reportOnly @hasRole(role: ADMIN)
  }
  extend type Query {
    "Filtering by role is for ADMINs: being tried out."
    trialUsers(role: Role @reportOnly @hasRole(role: ADMIN)): String @auth
    enforcedUsers(role: Role @hasRole(role: ADMIN)): String @auth
  }
  extend type Mutation {
    trialNote(input: TrialNoteInput!): Boolean @auth
  }
  type Subscription {
    trialTicks(fast: Boolean @reportOnly @hasRole(role: ADMIN)): Int @auth
  }
`;

async function* ticks(): AsyncGenerator<number> {
  yield 1;
}
const written = { notes: 0 };
const APP = {
  typeDefs: TYPE_DEFS,
  resolvers: {
    Query: { trialUsers: () => 'served', enforcedUsers: () => 'served' },
    Mutation: { trialNote: () => ++written.notes > 0 },
    Subscription: { trialTicks: { subscribe: ticks, resolve: (n: number) => n } },
  },
};

async function reportOnlyCount(url: string, coordinate: string): Promise<number> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  const family = parsePrometheus(await response.text()).find((f) => f.name === 'gatehouse_report_only_denials_total');
  return Number(family?.metrics.find((m) => m.labels?.['coordinate'] === coordinate)?.value ?? 0);
}

describe('report-only argument rules over HTTP', () => {
  let h: HttpHarness;
  const as = { user: {} as Record<string, string>, admin: {} as Record<string, string> };
  const count = (coordinate: string) => reportOnlyCount(h.url, coordinate);

  beforeAll(async () => {
    h = await startHttpServer({ app: APP, env: { METRICS_TOKEN } });
    as.user = { authorization: `Bearer ${(await signUp(h)).accessToken}` };
    const origin = { actorId: null, address: 'test', source: 'request' } as const;
    await createUser(h.app, { email: 'admin@report-only.test', password: 'report-only password', role: 'ADMIN' }, origin);
    const login = await h.gql('mutation { login(email: "admin@report-only.test", password: "report-only password") { accessToken } }');
    as.admin = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
  });
  afterAll(() => h.close());

  it('serves a USER who supplies the argument (inline, variable, null) and counts each request; not when omitted or as ADMIN', async () => {
    const before = await count('Query.trialUsers');
    for (const [query, variables] of [
      ['{ trialUsers(role: ADMIN) }', {}],
      ['query ($r: Role) { trialUsers(role: $r) }', { r: 'USER' }],
      ['{ trialUsers(role: null) }', {}],
    ] as const) {
      const response = await h.gql(query, { headers: as.user, variables });
      expect([response.status, response.body]).toEqual([200, { data: { trialUsers: 'served' } }]);
    }
    expect(await count('Query.trialUsers')).toBe(before + 3);
    expect((await h.gql('{ trialUsers }', { headers: as.user })).body).toEqual({ data: { trialUsers: 'served' } });
    expect((await h.gql('{ trialUsers(role: ADMIN) }', { headers: as.admin })).body).toEqual({ data: { trialUsers: 'served' } });
    expect(await count('Query.trialUsers')).toBe(before + 3);
    // The same rule enforced refuses that USER, and is not a report.
    expect(codes(await h.gql('{ enforcedUsers(role: ADMIN) }', { headers: as.user }))).toEqual(['FORBIDDEN']);
    expect(await count('Query.enforcedUsers')).toBe(0);
  });

  it('runs a mutation whose input field only a report-only rule would refuse (the gate lets it through), and counts it', async () => {
    const before = await count('Mutation.trialNote');
    const runs = written.notes;
    const response = await h.gql('mutation ($input: TrialNoteInput!) { trialNote(input: $input) }', {
      headers: as.user,
      variables: { input: { title: 't', pinned: true } },
    });
    expect(response.body).toEqual({ data: { trialNote: true } });
    expect(written.notes).toBe(runs + 1);
    expect(await count('Mutation.trialNote')).toBe(before + 1);
  });

  it('runs a subscription whose argument only a report-only rule would refuse, over WebSocket, and counts it', async () => {
    const before = await count('Subscription.trialTicks');
    const socket = openSocket(h.url, { authorization: as.user['authorization'] });
    try {
      await socket.connected;
      const tried = socket.subscribe('subscription { trialTicks(fast: true) }');
      await eventually(() => tried.received.completed, 'the subscription completes');
      expect([tried.received.errors, tried.received.events]).toEqual([undefined, [{ data: { trialTicks: 1 } }]]);
    } finally {
      await socket.dispose();
    }
    expect(await count('Subscription.trialTicks')).toBe(before + 1);
  });

  it('shows the USER the report-only argument and input field in introspection, not the enforced one', async () => {
    const response = await h.gql(
      '{ q: __type(name: "Query") { fields { name args { name } } } i: __type(name: "TrialNoteInput") { inputFields { name } } }',
      { headers: as.user },
    );
    const fields = (response.body.data?.['q']?.fields ?? []) as { name: string; args: { name: string }[] }[];
    const argsOf = (name: string) => fields.find((f) => f.name === name)?.args.map((a) => a.name);
    expect([argsOf('trialUsers'), argsOf('enforcedUsers')]).toEqual([['role'], []]);
    expect(response.body.data?.['i']?.inputFields).toEqual([{ name: 'title' }, { name: 'pinned' }]);
  });
});

describe('the would-deny log line, through the real process', () => {
  let server: Running;

  beforeAll(async () => {
    const dir = tempDir();
    const module = join(dir, 'application.js');
    writeFileSync(
      module,
      `exports.typeDefs = ${JSON.stringify(TYPE_DEFS)};\nexports.resolvers = { Query: { trialUsers: () => 'served', enforcedUsers: () => 'served' }, Mutation: { trialNote: () => true }, Subscription: { trialTicks: { subscribe: async function* () { yield 1; }, resolve: (n) => n } } };\n`,
    );
    server = await startServer(devVars(dir, { LOG_LEVEL: 'info', METRICS_TOKEN }), gatehouseStart(module));
  });

  it('logs "would deny" once per field and window, with the argument, rule, caller kind and request id; counts every request', async () => {
    const h = { gql: (query: string, options: { variables?: Record<string, unknown> } = {}) => gql(server.url, query, options.variables) };
    const token = (await signUp(h as unknown as HttpHarness)).accessToken;
    const headers = { authorization: `Bearer ${token}` };
    const first = await gql(server.url, '{ trialUsers(role: ADMIN) }', {}, headers);
    const second = await gql(server.url, '{ trialUsers(role: USER) }', {}, headers);
    for (const response of [first, second]) expect(response.body).toEqual({ data: { trialUsers: 'served' } });
    expect(await reportOnlyCount(server.url, 'Query.trialUsers')).toBe(2);
    const lines = () =>
      server
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['msg'] === 'would deny (report only)');
    const deadline = Date.now() + 5000;
    while (lines().length === 0 && Date.now() < deadline) await delay(20);
    expect(lines()).toEqual([
      expect.objectContaining({
        requestId: first.headers.get('x-request-id'),
        coordinate: 'Query.trialUsers',
        argument: 'role',
        code: 'FORBIDDEN',
        rule: '@hasRole(role: ADMIN) on Query.trialUsers(role)',
        caller: 'jwt',
      }),
    ]);
  });
});
