/*
 * A team's own schema with its own organization roles, through createGatehouse (the real HTTP server)
 * and createTestKit: `enum OrganizationRole` replaces gatehouse's default, `@inOrganization` on a
 * type (the object's organizationId: no query per object), on a field with a higher role, and on root
 * fields through `argument` (a mutation in another tenant is refused before its resolver runs: a
 * counter proves it); a global ADMIN passes only where `orRole` says so.
 */
import { randomUUID } from 'node:crypto';
import { createGatehouse, type GatehouseContext } from '../../src/index';
import { createTestKit } from '../../src/testing';
import { randomSecret } from '../helpers/http';

const typeDefs = /* GraphQL */ `
  enum OrganizationRole {
    MEMBER
    ACCOUNTANT @includes(roles: [MEMBER])
    OWNER @includes(roles: [ACCOUNTANT])
  }
  type Invoice @inOrganization {
    id: ID!
    organizationId: ID!
    customer: String
    amount: Int @inOrganization(role: ACCOUNTANT)
  }
  extend type Query {
    invoices(organizationId: ID!): [Invoice!] @inOrganization(argument: "organizationId", orRole: ADMIN)
    "Every invoice of every organization: an ADMIN reaches the list, not the invoices (no silent bypass)."
    allInvoices: [Invoice] @hasRole(role: ADMIN)
  }
  extend type Mutation {
    addInvoice(organizationId: ID!, customer: String!, amount: Int!): Invoice @inOrganization(argument: "organizationId", role: ACCOUNTANT)
  }
`;

function invoicesApp() {
  const invoices: Array<{ id: string; organizationId: string; customer: string; amount: number }> = [];
  let addInvoiceRuns = 0;
  const resolvers = {
    Query: {
      invoices: (_: unknown, args: { organizationId: string }) => invoices.filter((i) => i.organizationId === args.organizationId),
      allInvoices: () => invoices,
    },
    Mutation: {
      addInvoice: (_: unknown, args: { organizationId: string; customer: string; amount: number }, _context: GatehouseContext) => {
        addInvoiceRuns++;
        const invoice = { id: randomUUID(), ...args };
        invoices.push(invoice);
        return invoice;
      },
    },
  };
  return { resolvers, invoices, runs: () => addInvoiceRuns };
}

describe('a team schema with its own organization roles, through createGatehouse over HTTP', () => {
  const app = invoicesApp();
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const gatehouse = await createGatehouse({
      typeDefs,
      resolvers: app.resolvers,
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: 'file::memory:',
        JWT_SECRET: randomSecret(),
        PORT: '0',
        PASSWORD_HASH_COST: '10',
        LOG_LEVEL: 'warn',
      },
    });
    url = await gatehouse.listen();
    close = () => gatehouse.close();
  });
  afterAll(() => close?.());

  async function gql(query: string, token: string | null, variables: Record<string, unknown> = {}) {
    const response = await fetch(`${url.replace(/\/$/, '')}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: Array<{ path?: unknown[]; extensions?: { code?: string } }> };
  }
  const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((e) => e.extensions?.code);
  async function signUp() {
    const email = `${randomUUID()}@team.test`;
    const body = await gql(
      'mutation ($e: String!) { signUp(email: $e, password: "correct horse battery") { accessToken user { id } } }',
      null,
      {
        e: email,
      },
    );
    return { email, token: body.data.signUp.accessToken as string, id: body.data.signUp.user.id as string };
  }

  it('declares ACCOUNTANT: an ACCOUNTANT writes and reads amounts, a MEMBER reads invoices without amounts, another tenant nothing', async () => {
    const [owner, accountant, member, outsider] = [await signUp(), await signUp(), await signUp(), await signUp()];
    const organizationId = (await gql('mutation { createOrganization(name: "Books") { id } }', owner.token)).data.createOrganization.id;
    const add = 'mutation ($o: ID!, $e: String!, $r: OrganizationRole!) { addMember(organizationId: $o, email: $e, role: $r) { role } }';
    expect((await gql(add, owner.token, { o: organizationId, e: accountant.email, r: 'ACCOUNTANT' })).data).toEqual({
      addMember: { role: 'ACCOUNTANT' },
    });
    await gql(add, owner.token, { o: organizationId, e: member.email, r: 'MEMBER' });

    const write = 'mutation ($o: ID!) { addInvoice(organizationId: $o, customer: "ACME", amount: 120) { id amount } }';
    expect((await gql(write, accountant.token, { o: organizationId })).data.addInvoice.amount).toBe(120);
    // A MEMBER is below ACCOUNTANT, an outsider is no member: refused before the resolver runs.
    const runs = app.runs();
    expect(codes(await gql(write, member.token, { o: organizationId }))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(write, outsider.token, { o: organizationId }))).toEqual(['FORBIDDEN']);
    expect(app.runs()).toBe(runs);

    const read = 'query ($o: ID!) { invoices(organizationId: $o) { customer amount } }';
    expect((await gql(read, accountant.token, { o: organizationId })).data).toEqual({ invoices: [{ customer: 'ACME', amount: 120 }] });
    const asMember = await gql(read, member.token, { o: organizationId });
    expect(asMember.data).toEqual({ invoices: [{ customer: 'ACME', amount: null }] });
    expect(asMember.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['invoices', 0, 'amount'], 'FORBIDDEN']]);
    expect(codes(await gql(read, outsider.token, { o: organizationId }))).toEqual(['FORBIDDEN']);
  });

  it('lets a global ADMIN through orRole only: the root list, not the invoices of an organization it is not in', async () => {
    const kit = await createTestKit({ typeDefs, resolvers: app.resolvers });
    try {
      const admin = await kit.createUser({ role: 'ADMIN' });
      const owner = await kit.createUser();
      const organization = await kit.createOrganization(owner);
      app.invoices.push({ id: randomUUID(), organizationId: organization.id, customer: 'Kit Co', amount: 7 });
      const viaOrRole = await kit.execute('query ($o: ID!) { invoices(organizationId: $o) { customer } }', {
        as: admin,
        variables: { o: organization.id },
      });
      // orRole opens the root field; each Invoice still asks for membership.
      expect(viaOrRole.codes).toEqual(['FORBIDDEN']);
      const all = await kit.execute('{ allInvoices { customer } }', { as: admin });
      expect(all.data?.['allInvoices']).toContainEqual({ customer: null });
      expect(JSON.stringify(all.data)).not.toContain('Kit Co');
      expect(new Set(all.codes)).toEqual(new Set(['FORBIDDEN']));
      // Made a member through the kit, the same ADMIN reads them on its next operation.
      await kit.setMembership(organization, admin, 'ACCOUNTANT');
      const asMember = await kit.execute('query ($o: ID!) { invoices(organizationId: $o) { customer amount } }', {
        as: admin,
        variables: { o: organization.id },
      });
      expect(asMember).toMatchObject({ data: { invoices: [{ customer: 'Kit Co', amount: 7 }] }, codes: [] });
      // An API key of that member acts with the member's organization role; removed, it does not.
      const key = await kit.createApiKey(admin);
      expect(
        (await kit.execute('query ($o: ID!) { invoices(organizationId: $o) { amount } }', { as: key, variables: { o: organization.id } }))
          .codes,
      ).toEqual([]);
      await kit.removeMembership(organization, admin);
      expect(
        (await kit.execute('query ($o: ID!) { invoices(organizationId: $o) { amount } }', { as: key, variables: { o: organization.id } }))
          .codes,
      ).toEqual(['FORBIDDEN']);
    } finally {
      await kit.close();
    }
  });

  it('refuses at start-up an OrganizationRole without OWNER, naming it', async () => {
    await expect(
      createTestKit({ typeDefs: typeDefs.replace('OWNER @includes(roles: [ACCOUNTANT])', ''), resolvers: app.resolvers }),
    ).rejects.toThrow(/enum OrganizationRole must declare OWNER/);
  });
});
