/*
 * Denials that say why, for every rule kind beyond the role, scope and credential rules
 * (observability.test.ts covers those): a refusal by @inOrganization, @policy, an argument rule,
 * a lacking @fromViewer value and @owner carries `extensions.rule` (development, as NODE_ENV=test
 * is) and is counted as a denial by coordinate — the same Denial the denial log line is written
 * from (test/telemetry/denial-reports.test.ts) — in queries, the mutation gate and subscriptions,
 * over the real HTTP server and WebSocket.
 */
import { signUp } from '../helpers/accounts';
import { get, type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { eventually, openSocket } from '../helpers/ws';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const ORG = 'org-nobody-belongs-to';

async function* ticks(): AsyncGenerator<number> {
  yield 1;
}

/** Mutations that ran: the gate must refuse before any of them does. */
let sideEffects = 0;
const write = () => {
  sideEffects += 1;
  return true;
};

const APP = {
  typeDefs: /* GraphQL */ `
    type Doc {
      id: ID!
      secret: String @inOrganization
      mine: String @owner(field: "ownerId")
    }
    extend type Query {
      doc: Doc @auth
      orgName(orgId: ID!): String @inOrganization(argument: "orgId")
      guarded: String @policy(policies: [["never"]])
      search(includeDeleted: Boolean @hasRole(role: ADMIN)): String @auth
      tenant(id: ID! @fromViewer(path: "claims.tenant")): String @auth
    }
    extend type Mutation {
      orgWrite(orgId: ID!): Boolean @inOrganization(argument: "orgId")
      guardedWrite: Boolean @policy(policies: [["never"]])
      argWrite(force: Boolean @hasRole(role: ADMIN)): Boolean @auth
      count: Boolean @auth
    }
    type Subscription {
      guardedTicks: Int @policy(policies: [["never"]])
      orgTicks(orgId: ID!): Int @inOrganization(argument: "orgId")
    }
  `,
  resolvers: {
    Query: {
      doc: () => ({ id: 'd1', organizationId: ORG, ownerId: 'someone-else', secret: 's', mine: 'm' }),
      orgName: () => 'name',
      guarded: () => 'g',
      search: () => 'found',
      tenant: (_: unknown, args: { id: string }) => args.id,
    },
    Mutation: { orgWrite: write, guardedWrite: write, argWrite: write, count: write },
    Subscription: {
      guardedTicks: { subscribe: ticks, resolve: (n: number) => n },
      orgTicks: { subscribe: ticks, resolve: (n: number) => n },
    },
  },
  policies: { never: () => false },
};

const explainedOf = (errors: readonly WireError[] | undefined) =>
  (errors ?? []).map((e) => [e.path?.join('.') ?? null, e.extensions?.['code'], e.extensions?.['rule']]);

describe('every rule kind says which rule refused', () => {
  let h: HttpHarness;
  let headers: Record<string, string>;

  beforeAll(async () => {
    h = await startHttpServer({ app: APP, env: { METRICS_TOKEN } });
    headers = { authorization: `Bearer ${(await signUp(h)).accessToken}` };
  });
  afterAll(() => h?.close());

  const denialsCounted = async (coordinate: string) => {
    const text = (await get(h, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` })).text;
    const line = text.split('\n').find((l) => l.startsWith('gatehouse_denials_total{') && l.includes(`coordinate="${coordinate}"`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  it('in queries: @inOrganization, @owner, @policy, an argument rule and a lacking @fromViewer value', async () => {
    const response = await h.gql(
      `query ($all: Boolean) { doc { secret mine } orgName(orgId: "${ORG}") guarded search(includeDeleted: $all) tenant }`,
      { headers, variables: { all: true } },
    );
    expect(explainedOf(response.body.errors)).toEqual([
      ['doc.secret', 'FORBIDDEN', '@inOrganization on Doc.secret'],
      ['doc.mine', 'FORBIDDEN', '@owner(field: "ownerId") on Doc.mine'],
      ['orgName', 'FORBIDDEN', '@inOrganization(argument: "orgId") on Query.orgName'],
      ['guarded', 'FORBIDDEN', '@policy(policies: [["never"]]) on Query.guarded'],
      ['search', 'FORBIDDEN', '@hasRole(role: ADMIN) on Query.search(includeDeleted)'],
      ['tenant', 'UNAUTHENTICATED', '@fromViewer(path: "claims.tenant") on Query.tenant(id)'],
    ]);
    for (const coordinate of ['Doc.secret', 'Query.orgName', 'Query.guarded', 'Query.search', 'Query.tenant'])
      expect([coordinate, await denialsCounted(coordinate)]).toEqual([coordinate, 1]);
  });

  it('in the mutation gate, before anything runs', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [`mutation { count orgWrite(orgId: "${ORG}") }`, {}, '@inOrganization(argument: "orgId") on Mutation.orgWrite'],
      ['mutation { count guardedWrite }', {}, '@policy(policies: [["never"]]) on Mutation.guardedWrite'],
      ['mutation ($f: Boolean) { count argWrite(force: $f) }', { f: true }, '@hasRole(role: ADMIN) on Mutation.argWrite(force)'],
    ];
    for (const [query, variables, rule] of cases) {
      const before = sideEffects;
      const response = await h.gql(query, { headers, variables });
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['rule']])).toEqual([['FORBIDDEN', rule]]);
      expect(sideEffects).toBe(before);
    }
    expect(await denialsCounted('Mutation.guardedWrite')).toBe(1);
  });

  it('createApiKey: gatehouse’s own policy, named in the refusal', async () => {
    const keyHeaders = {
      'x-api-key': (await h.gql('mutation { createApiKey(name: "k", scopes: []) { secret } }', { headers })).body.data?.['createApiKey']
        ?.secret,
    };
    expect(keyHeaders['x-api-key']).toEqual(expect.any(String));
    // A key may not make keys (@credentials): that rule, not the policy, is named.
    const byKey = await h.gql('mutation { createApiKey(name: "k2") { secret } }', { headers: keyHeaders });
    expect(explainedOf(byKey.body.errors)).toEqual([
      ['createApiKey', 'FORBIDDEN', '@credentials(allow: [JWT, EXTERNAL]) on Mutation.createApiKey'],
    ]);
  });

  it('in subscriptions: @policy and @inOrganization over WebSocket', async () => {
    const socket = openSocket(h.url, headers);
    try {
      await socket.connected;
      for (const [query, rule] of [
        ['subscription { guardedTicks }', '@policy(policies: [["never"]]) on Subscription.guardedTicks'],
        [`subscription { orgTicks(orgId: "${ORG}") }`, '@inOrganization(argument: "orgId") on Subscription.orgTicks'],
      ] as const) {
        const refused = socket.subscribe(query);
        await eventually(() => refused.received.completed, `${query} ends`);
        const errors = [...(refused.received.errors ?? []), ...refused.received.events.flatMap((e) => e.errors ?? [])];
        expect(errors.map((e) => [e.extensions?.code, e.extensions?.rule])).toEqual([['FORBIDDEN', rule]]);
      }
    } finally {
      await socket.dispose();
    }
  });
});
