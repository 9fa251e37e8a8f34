// gatehouse/cedar through the real HTTP server: real `.cedar` files decide an object's field and a
// root mutation (before anything runs), as anonymous, a USER, an ADMIN and scoped API keys; a
// 1,000-item list costs one engine call per distinct (principal, action, resource attributes),
// counted; a policy set that does not parse stops start-up.
import { join } from 'node:path';
import { CedarError, cedarPolicies } from '../../src/cedar';
import { createUser } from '../../src/services/accounts';
import { createApiKey } from '../../src/services/api-keys';
import { buildSourceSchema } from '../../src/graphql/schema';
import { buildAuthMap } from '../../src/tools/auth-map';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';

const FILES = ['invoices.cedar', 'api-keys.cedar'].map((name) => join(__dirname, 'policies', name));

const typeDefs = /* GraphQL */ `
  type Invoice { id: ID! status: String! createdBy: ID! total: Int @policy(policies: [["cedar"]]) }
  extend type Query {
    invoices(count: Int!): [Invoice!]! @public
    "Names the scopes keys may be made with."
    invoiceCount: Int @requiresScopes(scopes: [["invoices:read"], ["invoices:write"]])
  }
  extend type Mutation { editInvoice(id: ID!, total: Int!): Invoice @auth @policy(policies: [["cedar"]]) }
`;

const state = { creators: ['', ''], edits: 0 };
const resolvers = {
  Query: {
    // Item i: created by creators[i % 2], DRAFT when i % 4 < 2.
    invoices: (_: unknown, { count }: { count: number }) =>
      Array.from({ length: count }, (_u, i) => ({
        id: `i${i}`,
        createdBy: state.creators[i % 2],
        status: i % 4 < 2 ? 'DRAFT' : 'SENT',
        total: i,
      })),
    invoiceCount: () => 0,
  },
  Mutation: {
    editInvoice: (_: unknown, { id, total }: { id: string; total: number }, context: { viewer: { id: string } }) => {
      state.edits++;
      return { id, createdBy: context.viewer.id, status: 'DRAFT', total };
    },
  },
};

const authErrors = (errors: readonly WireError[] | undefined) =>
  (errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.['code'] }));

describe('gatehouse/cedar over HTTP', () => {
  let h: HttpHarness;
  const cedar = cedarPolicies({ files: FILES, resources: { Invoice: { attributes: ['createdBy', 'status'] } } });
  const as: Record<'alice' | 'bob' | 'admin' | 'readKey' | 'writeKey' | 'anonymous', Record<string, string>> = {
    alice: {},
    bob: {},
    admin: {},
    readKey: {},
    writeKey: {},
    anonymous: {},
  };

  beforeAll(async () => {
    h = await startHttpServer({ app: { typeDefs, resolvers, policies: cedar.policies }, env: { LOG_LEVEL: 'silent' } });
    const origin = { actorId: null, address: 'cedar', source: 'request' } as const;
    for (const who of ['alice', 'bob', 'admin'] as const) {
      const email = `${who}@cedar.test`;
      const user = await createUser(h.app, { email, password: 'cedar password', role: who === 'admin' ? 'ADMIN' : 'USER' }, origin);
      if (who !== 'admin') state.creators[who === 'alice' ? 0 : 1] = user.id;
      if (who === 'alice') {
        const viewer = { id: user.id, roles: ['USER'], via: 'jwt' } as const;
        const known = ['invoices:read', 'invoices:write'];
        as.readKey = { 'x-api-key': (await createApiKey(h.app, viewer, { name: 'r', scopes: ['invoices:read'] }, origin, known)).secret };
        as.writeKey = { 'x-api-key': (await createApiKey(h.app, viewer, { name: 'w', scopes: ['invoices:write'] }, origin, known)).secret };
      }
      const login = await h.gql('mutation ($e: String!) { login(email: $e, password: "cedar password") { accessToken } }', {
        variables: { e: email },
      });
      as[who] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
  });
  afterAll(() => h.close());

  const totals = async (headers: Record<string, string>, count = 4) => {
    const response = await h.gql(`{ invoices(count: ${count}) { id total } }`, { headers });
    return {
      totals: ((response.body.data?.['invoices'] ?? []) as { total: number | null }[]).map((i) => i.total),
      errors: authErrors(response.body.errors),
    };
  };

  it('an object field: the creator reads her DRAFTs, an ADMIN everything, others FORBIDDEN, anonymous UNAUTHENTICATED', async () => {
    // Items 0..3: alice DRAFT, bob DRAFT, alice SENT, bob SENT.
    expect((await totals(as.alice)).totals).toEqual([0, null, null, null]);
    expect((await totals(as.bob)).totals).toEqual([null, 1, null, null]);
    expect((await totals(as.admin)).totals).toEqual([0, 1, 2, 3]);
    const anonymous = await totals(as.anonymous);
    expect(anonymous.totals).toEqual([null, null, null, null]);
    expect(new Set(anonymous.errors.map((e) => e.code))).toEqual(new Set(['UNAUTHENTICATED']));
    const bob = await totals(as.bob);
    expect(bob.errors).toEqual([0, 2, 3].map((i) => ({ path: ['invoices', i, 'total'], code: 'FORBIDDEN' })));
  });

  it('a 1,000-item list costs one engine call per distinct resource, and none once cached', async () => {
    const before = cedar.stats().engineCalls;
    const first = await totals(as.alice, 1000);
    expect(first.totals.filter((t) => t !== null)).toHaveLength(250);
    // Alice was asked about already in the test above: at most the 4 (creator, status) pairs, not 1,000.
    expect(cedar.stats().engineCalls - before).toBeLessThanOrEqual(4);
    const again = cedar.stats().engineCalls;
    await totals(as.alice, 1000);
    expect(cedar.stats().engineCalls).toBe(again);
  });

  it('a root mutation is decided before anything runs: scopes from the key, arguments in context', async () => {
    const edit = (id: string, headers: Record<string, string>) =>
      h.gql('mutation ($id: ID!) { editInvoice(id: $id, total: 3) { id total } }', { variables: { id }, headers });
    state.edits = 0;
    const refused = await edit('i1', as.readKey);
    expect({ data: refused.body.data ?? null, errors: authErrors(refused.body.errors) }).toEqual({
      data: null,
      errors: [{ path: ['editInvoice'], code: 'FORBIDDEN' }],
    });
    // forbid wins over every permit, the ADMIN's too.
    for (const headers of [as.admin, as.writeKey]) {
      const locked = await edit('locked', headers);
      expect(authErrors(locked.body.errors)).toEqual([{ path: ['editInvoice'], code: 'FORBIDDEN' }]);
    }
    expect(state.edits).toBe(0);
    expect((await edit('i1', as.writeKey)).body.data).toEqual({ editInvoice: { id: 'i1', total: 3 } });
    expect((await edit('i1', as.alice)).body.data).toEqual({ editInvoice: { id: 'i1', total: 3 } });
    expect(state.edits).toBe(2);
  });

  it('the auth map shows who may depend on the policy set, and names it', () => {
    const map = buildAuthMap(buildSourceSchema({ typeDefs }));
    const total = map.entries.find((e) => e.coordinate === 'Invoice.total');
    expect(total?.requires).toBe('policy cedar');
    expect(total?.reachableBy).toEqual(['anonymous (policy)', 'USER (policy)', 'ADMIN (policy)']);
    expect(total?.policies).toEqual([[['cedar']]]);
    const edit = map.entries.find((e) => e.coordinate === 'Mutation.editInvoice');
    expect(edit?.requires).toBe('signed in + policy cedar');
    expect(edit?.reachableBy).toEqual(['USER (policy)', 'ADMIN (policy)']);
  });
});

describe('cedarPolicies at start-up', () => {
  it('a policy set that does not parse throws CedarError with Cedar’s message', () => {
    expect(() => cedarPolicies({ policies: 'permit (principal, action, resource) when { resource.x == ' })).toThrow(CedarError);
    expect(() => cedarPolicies({})).toThrow('needs a policy set');
  });
});
