/*
 * Roles an application declares (issue 23): a team's own `enum Role` with `@includes`, served by
 * createGatehouse over real HTTP on SQLite and PostgreSQL; several roles per user, granted and
 * revoked by an ADMIN and seen on the user's next request; `@hasRole(anyOf: …)` in the checks, the
 * mutation gate, per-caller introspection and the auth map; and through createTestKit.
 */
import { createGatehouse, type Gatehouse } from '../../src/gatehouse';
import { buildSourceSchema } from '../../src/graphql/schema';
import { buildAuthMap } from '../../src/tools/auth-map';
import { createTestKit } from '../../src/testkit';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase, inProcessEnv } from '../helpers/databases';
import { type GqlResponse, readResponse } from '../helpers/http';
import { PASSWORD, uniqueEmail } from '../helpers/accounts';

/** An invoicing team's schema: four roles of its own, one of them through inheritance, and "either of two". */
const TEAM_SDL = /* GraphQL */ `
  enum Role {
    USER
    SUPPORT @includes(roles: [USER])
    ACCOUNTANT @includes(roles: [USER])
    BILLING_LEAD @includes(roles: [ACCOUNTANT])
    ADMIN @includes(roles: [USER])
  }
  type Invoice { id: ID! amount: Int! }
  extend type Query {
    invoices: [Invoice!] @hasRole(anyOf: [ACCOUNTANT, SUPPORT])
    ledger: Int @hasRole(role: ACCOUNTANT)
    supportQueue: Int @hasRole(role: SUPPORT)
  }
  extend type Mutation {
    issueInvoice(amount: Int!): Invoice @hasRole(role: ACCOUNTANT)
  }
`;

let issued = 0;
const teamResolvers = {
  Query: { invoices: () => [{ id: 'i1', amount: 12 }], ledger: () => 1200, supportQueue: () => 3 },
  Mutation: {
    issueInvoice: (_parent: unknown, args: { amount: number }) => {
      issued += 1;
      return { id: `i${issued}`, amount: args.amount };
    },
  },
};

const codesOf = (response: GqlResponse) => (response.body.errors ?? []).map((e) => e.extensions?.['code']);

describe.each(databasesUnderTest())('an application with roles of its own, over HTTP on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let gatehouse: Gatehouse;
  let url: string;
  let adminToken: string;
  const adminEmail = 'boss@example.test';

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    gatehouse = await createGatehouse({
      typeDefs: TEAM_SDL,
      resolvers: teamResolvers,
      env: {
        ...inProcessEnv(database),
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD: PASSWORD,
      },
    });
    url = (await gatehouse.listen()).replace(/\/$/, '');
    adminToken = (await login(adminEmail)).accessToken;
  }, 60_000);
  afterAll(async () => {
    await gatehouse?.close();
    await database?.drop();
  });

  async function gql(query: string, token?: string, variables?: Record<string, unknown>): Promise<GqlResponse> {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
    });
    return readResponse(response);
  }
  async function login(email: string): Promise<{ accessToken: string; id: string }> {
    const response = await gql(
      'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id } } }',
      undefined,
      {
        e: email,
        p: PASSWORD,
      },
    );
    const payload = response.body.data?.['login'] as { accessToken: string; user: { id: string } };
    return { accessToken: payload.accessToken, id: payload.user.id };
  }
  /** A new account holding `roles` (granted by the ADMIN over HTTP), signed in. */
  async function member(...roles: string[]): Promise<{ token: string; id: string }> {
    const email = uniqueEmail('team');
    const signed = await gql(
      'mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken user { id } } }',
      undefined,
      {
        e: email,
        p: PASSWORD,
      },
    );
    const { accessToken, user } = signed.body.data!['signUp'] as { accessToken: string; user: { id: string } };
    for (const role of roles) {
      const granted = await gql('mutation ($id: ID!, $r: Role!) { grantRole(userId: $id, role: $r) { roles } }', adminToken, {
        id: user.id,
        r: role,
      });
      expect(granted.body.errors).toBeUndefined();
    }
    return { token: accessToken, id: user.id };
  }

  it('a role reaches what it includes, and anyOf lets either of two unrelated roles through', async () => {
    const accountant = await member('ACCOUNTANT');
    const support = await member('SUPPORT');
    const lead = await member('BILLING_LEAD');
    const plain = await member();
    const ask = '{ invoices { id } ledger supportQueue }';
    expect((await gql(ask, accountant.token)).body).toMatchObject({ data: { invoices: [{ id: 'i1' }], ledger: 1200, supportQueue: null } });
    expect((await gql(ask, support.token)).body).toMatchObject({ data: { invoices: [{ id: 'i1' }], ledger: null, supportQueue: 3 } });
    // BILLING_LEAD includes ACCOUNTANT: what an ACCOUNTANT reaches, not what SUPPORT does.
    expect((await gql(ask, lead.token)).body).toMatchObject({ data: { invoices: [{ id: 'i1' }], ledger: 1200, supportQueue: null } });
    const refused = await gql(ask, plain.token);
    expect(refused.body.data).toEqual({ invoices: null, ledger: null, supportQueue: null });
    expect(codesOf(refused)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    // ADMIN holds every declared role, although its @includes names only USER.
    expect((await gql(ask, adminToken)).body).toEqual({ data: { invoices: [{ id: 'i1' }], ledger: 1200, supportQueue: 3 } });
    expect(codesOf(await gql(ask))).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('several roles per user: User.roles lists those granted, User.role the most senior, and a revoke is seen on the next request', async () => {
    const both = await member('SUPPORT', 'ACCOUNTANT');
    expect((await gql('{ me { role roles } ledger supportQueue }', both.token)).body).toEqual({
      data: { me: { role: 'ACCOUNTANT', roles: ['USER', 'SUPPORT', 'ACCOUNTANT'] }, ledger: 1200, supportQueue: 3 },
    });
    const revoked = await gql('mutation ($id: ID!) { revokeRole(userId: $id, role: ACCOUNTANT) { roles } }', adminToken, { id: both.id });
    expect(revoked.body).toEqual({ data: { revokeRole: { roles: ['USER', 'SUPPORT'] } } });
    const after = await gql('{ ledger supportQueue }', both.token);
    expect(after.body.data).toEqual({ ledger: null, supportQueue: 3 });
    expect(codesOf(after)).toEqual(['FORBIDDEN']);
    // setUserRole to a role of the application's: no constraint pins the roles to USER and ADMIN.
    const set = await gql('mutation ($id: ID!) { setUserRole(userId: $id, role: BILLING_LEAD) { role roles } }', adminToken, {
      id: both.id,
    });
    expect(set.body).toEqual({ data: { setUserRole: { role: 'BILLING_LEAD', roles: ['BILLING_LEAD'] } } });
    expect((await gql('{ ledger }', both.token)).body).toEqual({ data: { ledger: 1200 } });
    // A user keeps at least one role; an unknown role is refused by the schema.
    const last = await gql('mutation ($id: ID!) { revokeRole(userId: $id, role: BILLING_LEAD) { roles } }', adminToken, { id: both.id });
    expect(codesOf(last)).toEqual(['BAD_USER_INPUT']);
    expect(last.status).toBe(200);
    const unknown = await gql('mutation ($id: ID!) { grantRole(userId: $id, role: ROOT) { roles } }', adminToken, { id: both.id });
    expect(unknown.status).toBe(400);
    expect(unknown.text).not.toMatch(/INTERNAL_SERVER_ERROR/);
  });

  it('grantRole and revokeRole are for an ADMIN only, refused before anything runs', async () => {
    const accountant = await member('ACCOUNTANT');
    const target = await member();
    const tried = await gql('mutation ($id: ID!) { grantRole(userId: $id, role: ADMIN) { roles } }', accountant.token, { id: target.id });
    expect(codesOf(tried)).toEqual(['FORBIDDEN']);
    expect((await gql('{ me { roles } }', target.token)).body).toEqual({ data: { me: { roles: ['USER'] } } });
  });

  it('the mutation gate refuses a role the caller lacks before any resolver runs', async () => {
    const support = await member('SUPPORT');
    const before = issued;
    const refused = await gql('mutation { a: issueInvoice(amount: 5) { id } }', support.token);
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    expect(issued).toBe(before);
    const accountant = await member('ACCOUNTANT');
    expect((await gql('mutation { issueInvoice(amount: 5) { amount } }', accountant.token)).body).toEqual({
      data: { issueInvoice: { amount: 5 } },
    });
  });

  it('introspection shows each caller the fields its roles reach', async () => {
    const fieldsFor = async (token: string) => {
      const response = await gql('{ __type(name: "Query") { fields { name } } }', token);
      return (response.body.data!['__type'] as { fields: { name: string }[] }).fields.map((f) => f.name);
    };
    const support = await fieldsFor((await member('SUPPORT')).token);
    expect(support).toEqual(expect.arrayContaining(['invoices', 'supportQueue']));
    expect(support).not.toContain('ledger');
    const lead = await fieldsFor((await member('BILLING_LEAD')).token);
    expect(lead).toEqual(expect.arrayContaining(['invoices', 'ledger']));
    expect(lead).not.toContain('supportQueue');
  });
});

describe('the auth map of a schema with roles of its own', () => {
  it('has a caller per declared role and says "ACCOUNTANT or SUPPORT" for anyOf', () => {
    const map = buildAuthMap(buildSourceSchema({ typeDefs: TEAM_SDL }));
    const entry = (coordinate: string) => map.entries.find((e) => e.coordinate === coordinate);
    expect(entry('Query.invoices')).toMatchObject({
      requires: 'role ACCOUNTANT or SUPPORT',
      from: '@hasRole(anyOf: [ACCOUNTANT, SUPPORT]) on field',
      reachableBy: ['SUPPORT', 'ACCOUNTANT', 'BILLING_LEAD', 'ADMIN'],
    });
    expect(entry('Query.ledger')).toMatchObject({ requires: 'role ACCOUNTANT', reachableBy: ['ACCOUNTANT', 'BILLING_LEAD', 'ADMIN'] });
    expect(entry('Query.me')?.reachableBy).toEqual(['USER', 'SUPPORT', 'ACCOUNTANT', 'BILLING_LEAD', 'ADMIN']);
    expect(map.warnings.filter((w) => w.includes('Role enum'))).toEqual([]);
  });
});

describe('createTestKit with roles of its own', () => {
  it('creates users holding one role or several, expanded as authentication would', async () => {
    const kit = await createTestKit({ typeDefs: TEAM_SDL, resolvers: teamResolvers });
    try {
      const lead = await kit.createUser({ roles: ['BILLING_LEAD'] });
      expect(lead.user.role).toBe('BILLING_LEAD');
      expect(lead.context.viewer?.roles).toEqual(['BILLING_LEAD', 'ACCOUNTANT', 'USER']);
      expect((await kit.execute('{ ledger supportQueue }', { as: lead })).codes).toEqual(['FORBIDDEN']);
      const both = await kit.createUser({ roles: ['SUPPORT', 'ACCOUNTANT'] });
      expect((await kit.execute('{ ledger supportQueue }', { as: both })).data).toEqual({ ledger: 1200, supportQueue: 3 });
      const key = await kit.createApiKey(both);
      expect((await kit.execute('{ invoices { id } }', { as: key })).data).toEqual({ invoices: [{ id: 'i1' }] });
      const admin = await kit.createUser({ role: 'ADMIN' });
      expect((await kit.execute('{ ledger supportQueue }', { as: admin })).data).toEqual({ ledger: 1200, supportQueue: 3 });
      await expect(kit.createUser({ roles: ['AUDITOR'] })).rejects.toThrow(
        "createUser: AUDITOR is not a role of the schema's enum Role (USER, SUPPORT, ACCOUNTANT, BILLING_LEAD, ADMIN)",
      );
    } finally {
      await kit.close();
    }
  });

  it('extend enum Role declares roles like enum Role: the former trap now works, for an ADMIN too', async () => {
    const kit = await createTestKit({
      typeDefs: 'extend enum Role { ACCOUNTANT @includes(roles: [USER]) } extend type Query { ledger: Int @hasRole(role: ACCOUNTANT) }',
      resolvers: { Query: { ledger: () => 7 } },
    });
    try {
      const admin = await kit.createUser({ role: 'ADMIN' });
      const accountant = await kit.createUser({ role: 'ACCOUNTANT' });
      const user = await kit.createUser();
      expect((await kit.execute('{ ledger }', { as: admin })).data).toEqual({ ledger: 7 });
      expect((await kit.execute('{ ledger }', { as: accountant })).data).toEqual({ ledger: 7 });
      expect((await kit.execute('{ ledger }', { as: user })).codes).toEqual(['FORBIDDEN']);
      const set = await kit.execute<{ setUserRole: { role: string } }>(
        `mutation { setUserRole(userId: "${user.user.id}", role: ACCOUNTANT) { role } }`,
        { as: admin },
      );
      expect(set).toMatchObject({ data: { setUserRole: { role: 'ACCOUNTANT' } }, errors: undefined });
    } finally {
      await kit.close();
    }
  });

  it.each([
    [
      'a cycle',
      'enum Role { USER @includes(roles: [ADMIN]) ADMIN @includes(roles: [USER]) }',
      /enum Role: @includes forms a cycle: USER includes ADMIN includes USER/,
    ],
    ['an unknown role', 'enum Role { USER ADMIN @includes(roles: [USERS]) }', /ADMIN @includes USERS, which is not a value of enum Role/],
    ['no ADMIN', 'enum Role { USER OWNER }', /enum Role must declare ADMIN/],
    [
      'a role above ADMIN',
      'enum Role { USER ADMIN ROOT @includes(roles: [ADMIN]) }',
      /ROOT @includes ADMIN, but ADMIN holds every declared role/,
    ],
  ])('stops start-up naming %s', async (_case, typeDefs, message) => {
    await expect(createTestKit({ typeDefs })).rejects.toThrow(message);
  });

  it('@hasRole takes exactly one of role and anyOf', async () => {
    await expect(createTestKit({ typeDefs: 'extend type Query { x: Int @hasRole(role: USER, anyOf: [ADMIN]) }' })).rejects.toThrow(
      'Query.x: @hasRole takes exactly one of role (one role) and anyOf (a non-empty list of roles).',
    );
    await expect(createTestKit({ typeDefs: 'extend type Query { x: Int @hasRole }' })).rejects.toThrow(/exactly one of role/);
  });
});
