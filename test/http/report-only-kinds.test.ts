/*
 * @reportOnly beside every kind of rule, through the real HTTP server: @requiresScopes,
 * @credentials, @owner, @inOrganization (an object's and a root field's argument, a mutation's too,
 * which the gate decides before anything runs) and @policy (root and object). Each serves the field
 * and counts the request the rule would have refused in gatehouse_report_only_denials_total.
 * Enforced, the same organization and policy rules refuse with the rule in extensions.rule and are
 * counted in gatehouse_denials_total, as every other rule kind is.
 */
import { signUp } from '../helpers/accounts';
import { get, type HttpHarness, startHttpServer } from '../helpers/http';

interface Family {
  readonly name: string;
  readonly metrics: readonly { readonly value?: string; readonly labels?: Record<string, string> }[];
}
const parsePrometheus: (text: string) => Family[] = require('parse-prometheus-text-format');
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

const APP = {
  typeDefs: /* GraphQL */ `
    type Doc {
      id: ID!
      body: String @reportOnly @owner(field: "ownerId")
      team: String @reportOnly @inOrganization(field: "orgId")
      audited: String @reportOnly @policy(policies: [["never"]])
    }
    extend type Query {
      scoped: String @auth @reportOnly @requiresScopes(scopes: [["reports:read"]])
      keysOnly: String @auth @reportOnly @credentials(allow: [API_KEY])
      policed: String @auth @reportOnly @policy(policies: [["never"]])
      orgReport(orgId: ID!): String @auth @reportOnly @inOrganization(argument: "orgId")
      doc: Doc @auth
      enforcedOrg(orgId: ID!): String @inOrganization(argument: "orgId")
      enforcedPolicy: String @auth @policy(policies: [["never"]])
      sealed: Sealed @auth
    }
    type Sealed {
      note: String @policy(policies: [["never"]])
      team: String @inOrganization(field: "orgId")
    }
    extend type Mutation {
      orgWrite(orgId: ID!): Boolean @auth @reportOnly @inOrganization(argument: "orgId")
      policedWrite: Boolean @auth @reportOnly @policy(policies: [["never"]])
      enforcedOrgWrite(orgId: ID!): Boolean @inOrganization(argument: "orgId")
      enforcedPolicyWrite: Boolean @auth @policy(policies: [["never"]])
    }
  `,
  resolvers: {
    Query: {
      scoped: () => 'scoped',
      keysOnly: () => 'keysOnly',
      policed: () => 'policed',
      orgReport: () => 'orgReport',
      doc: () => ({ id: 'd1', ownerId: 'someone-else', orgId: 'no-such-org', body: 'body', team: 'team', audited: 'audited' }),
      enforcedOrg: () => 'no',
      enforcedPolicy: () => 'no',
      sealed: () => ({ orgId: 'no-such-org', note: 'no', team: 'no' }),
    },
    Mutation: { orgWrite: () => true, policedWrite: () => true, enforcedOrgWrite: () => true, enforcedPolicyWrite: () => true },
  },
  policies: { never: () => false },
};

let h: HttpHarness;
let token: string;
beforeAll(async () => {
  h = await startHttpServer({ app: APP, env: { METRICS_TOKEN } });
  token = (await signUp(h)).accessToken;
});
afterAll(() => h.close());

async function countsOf(name: string): Promise<Record<string, number>> {
  const response = await get(h, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
  const family = parsePrometheus(response.text).find((f) => f.name === name);
  return Object.fromEntries(
    (family?.metrics ?? []).map((m) => [[m.labels?.['coordinate'], m.labels?.['code']].filter(Boolean).join(' '), Number(m.value)]),
  );
}
const reportOnlyCounts = () => countsOf('gatehouse_report_only_denials_total');

it.each([
  ['@requiresScopes (an API key without the scope)', '{ scoped }', { scoped: 'scoped' }, ['Query.scoped'], 'key'],
  ['@credentials', '{ keysOnly }', { keysOnly: 'keysOnly' }, ['Query.keysOnly'], 'jwt'],
  ['@policy on a root field', '{ policed }', { policed: 'policed' }, ['Query.policed'], 'jwt'],
  ['@inOrganization on a root argument', '{ orgReport(orgId: "x") }', { orgReport: 'orgReport' }, ['Query.orgReport'], 'jwt'],
  [
    "@owner, @inOrganization and @policy on an object's fields",
    '{ doc { body team audited } }',
    { doc: { body: 'body', team: 'team', audited: 'audited' } },
    ['Doc.body', 'Doc.team', 'Doc.audited'],
    'jwt',
  ],
  ['@inOrganization on a mutation (the gate)', 'mutation { orgWrite(orgId: "x") }', { orgWrite: true }, ['Mutation.orgWrite'], 'jwt'],
  ['@policy on a mutation (the gate)', 'mutation { policedWrite }', { policedWrite: true }, ['Mutation.policedWrite'], 'jwt'],
])('%s: serves the field and counts the would-be denial', async (_kind, query, data, coordinates, via) => {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (via === 'key') {
    const created = await h.gql('mutation { createApiKey(name: "k", scopes: []) { secret } }', { headers });
    expect(created.body.errors).toBeUndefined();
    delete headers['authorization'];
    headers['x-api-key'] = created.body.data?.['createApiKey'].secret;
  }
  const before = await reportOnlyCounts();
  const response = await h.gql(query, { headers });
  expect(response.body).toEqual({ data });
  const after = await reportOnlyCounts();
  for (const coordinate of coordinates) expect([coordinate, (after[coordinate] ?? 0) - (before[coordinate] ?? 0)]).toEqual([coordinate, 1]);
});

it.each([
  ['@inOrganization on a root argument', '{ enforcedOrg(orgId: "x") }', ['@inOrganization(argument: "orgId") on Query.enforcedOrg']],
  ['@policy on a root field', '{ enforcedPolicy }', ['@policy(policies: [["never"]]) on Query.enforcedPolicy']],
  [
    "@policy and @inOrganization on an object's fields",
    '{ sealed { note team } }',
    ['@policy(policies: [["never"]]) on Sealed.note', '@inOrganization(field: "orgId") on Sealed.team'],
  ],
  [
    '@inOrganization on a mutation (the gate)',
    'mutation { enforcedOrgWrite(orgId: "x") }',
    ['@inOrganization(argument: "orgId") on Mutation.enforcedOrgWrite'],
  ],
  [
    '@policy on a mutation (the gate)',
    'mutation { enforcedPolicyWrite }',
    ['@policy(policies: [["never"]]) on Mutation.enforcedPolicyWrite'],
  ],
])('enforced %s: FORBIDDEN with the rule, counted by coordinate and code', async (_kind, query, rules) => {
  const before = await countsOf('gatehouse_denials_total');
  const response = await h.gql(query, { headers: { authorization: `Bearer ${token}` } });
  expect((response.body.errors ?? []).map((e) => [e.extensions?.['code'], e.extensions?.['rule']])).toEqual(
    rules.map((rule) => ['FORBIDDEN', rule]),
  );
  const after = await countsOf('gatehouse_denials_total');
  for (const rule of rules) {
    const key = `${rule.replace(/^.* on /, '')} FORBIDDEN`;
    expect([key, (after[key] ?? 0) - (before[key] ?? 0)]).toEqual([key, 1]);
  }
});
