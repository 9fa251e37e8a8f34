/*
 * Rules on arguments and input fields, and @fromViewer, through the real HTTP server, as each kind of
 * caller: anonymous, a USER and an ADMIN with sessions, API keys with and without a scope, and an
 * identity provider's token (test/helpers/oidc-issuer.ts). The application is
 * test/helpers/argument-rules-app.ts; its createInvoice counts its runs, so a refusal "before
 * anything runs" is seen in the counter.
 */
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import type { Viewer } from '../../src/auth/viewer';
import { resolvers, sideEffects, typeDefs } from '../helpers/argument-rules-app';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

type Headers = Record<string, string>;

describe('argument rules and @fromViewer over HTTP', () => {
  let h: HttpHarness;
  let issuer: TestIssuer;
  let key: TestKey;
  const as: Record<'anonymous' | 'user' | 'admin' | 'userKey' | 'annotatingKey' | 'external' | 'externalNoTenant', Headers> = {
    anonymous: {},
    user: {},
    admin: {},
    userKey: {},
    annotatingKey: {},
    external: {},
    externalNoTenant: {},
  };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    issuer = await startTestIssuer();
    key = await issuer.newKey('RS256');
    issuer.publish(key);
    h = await startHttpServer({
      app: { typeDefs, resolvers },
      env: { OIDC_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api', jwksUri: issuer.jwksUri }]) },
    });
    const origin = { actorId: null, address: 'test', source: 'request' } as const;
    for (const role of ['USER', 'ADMIN'] as const) {
      const email = `${role.toLowerCase()}@arguments.test`;
      const user = await createUser(h.app, { email, password: 'argument password', role }, origin);
      ids[role] = user.id;
      const login = await h.gql('mutation ($e: String!) { login(email: $e, password: "argument password") { accessToken } }', {
        variables: { e: email },
      });
      as[role === 'USER' ? 'user' : 'admin'] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
      if (role === 'USER') {
        const maker: Viewer = { id: user.id, roles: ['USER'], via: 'jwt' };
        const schemaScopes = ['invoices:annotate'];
        as.userKey = { 'x-api-key': (await createApiKey(h.app, maker, { name: 'no scope', scopes: [] }, origin, schemaScopes)).secret };
        const annotating = await createApiKey(h.app, maker, { name: 'annotate', scopes: ['invoices:annotate'] }, origin, schemaScopes);
        as.annotatingKey = { 'x-api-key': annotating.secret };
      }
    }
    as.external = {
      authorization: `Bearer ${await issuer.sign(key, { sub: 'ext-1', tenant: 'acme', scope: 'invoices:annotate' })}`,
    };
    as.externalNoTenant = { authorization: `Bearer ${await issuer.sign(key, { sub: 'ext-2', scope: '' })}` };
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const denials = (errors: readonly WireError[] | undefined) =>
    (errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.['code'], argument: e.extensions?.['argument'] }));
  const gql = (query: string, headers: Headers, variables?: Record<string, unknown>) =>
    h.gql(query, { headers, ...(variables ? { variables } : {}) });

  describe('on a query: the field is null with the error at its path, the rest resolves', () => {
    it('@hasRole on an argument, per caller, inline and through a variable', async () => {
      const inline = '{ ok: publicMessage invoices(includeDeleted: true) { id } }';
      const anonymous = await gql(inline, as.anonymous);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body.data).toEqual({ ok: expect.any(String), invoices: null });
      expect(denials(anonymous.body.errors)).toEqual([{ path: ['invoices'], code: 'UNAUTHENTICATED', argument: 'includeDeleted' }]);
      for (const caller of [as.user, as.userKey, as.external]) {
        expect(denials((await gql(inline, caller)).body.errors)).toEqual([
          { path: ['invoices'], code: 'FORBIDDEN', argument: 'includeDeleted' },
        ]);
      }
      expect((await gql(inline, as.admin)).body.data).toEqual({ ok: expect.any(String), invoices: [{ id: 'deleted' }] });
      const variable = 'query ($d: Boolean) { invoices(includeDeleted: $d) { id } }';
      expect(denials((await gql(variable, as.user, { d: true })).body.errors)).toEqual([
        { path: ['invoices'], code: 'FORBIDDEN', argument: 'includeDeleted' },
      ]);
      // null is a value: supplying it is using the argument.
      expect(denials((await gql(variable, as.user, { d: null })).body.errors)).toEqual([
        { path: ['invoices'], code: 'FORBIDDEN', argument: 'includeDeleted' },
      ]);
      // A variable the request does not give supplies nothing.
      expect((await gql(variable, as.user)).body).toEqual({ data: { invoices: [] } });
    });

    it('a default alone does not count; a value equal to it does', async () => {
      expect((await gql('{ invoices { id } }', as.anonymous)).body).toEqual({ data: { invoices: [] } });
      expect(denials((await gql('{ invoices(first: 10) { id } }', as.anonymous)).body.errors)).toEqual([
        { path: ['invoices'], code: 'UNAUTHENTICATED', argument: 'first' },
      ]);
      expect((await gql('{ invoices(first: 5) { id } }', as.user)).body).toEqual({ data: { invoices: [] } });
    });

    it('aliases and fragments: only the selection that supplies the argument is denied', async () => {
      const query = `{ plain: invoices { id } ...F }
        fragment F on Query { ... on Query { withDeleted: invoices(includeDeleted: true) { id } } }`;
      const response = await gql(query, as.user);
      expect(response.body.data).toEqual({ plain: [], withDeleted: null });
      expect(denials(response.body.errors)).toEqual([{ path: ['withDeleted'], code: 'FORBIDDEN', argument: 'includeDeleted' }]);
    });

    it('@credentials on an argument: an API key may not supply it, a session and a provider token may', async () => {
      const query = '{ invoices(raw: true) { id } }';
      expect(denials((await gql(query, as.userKey)).body.errors)).toEqual([{ path: ['invoices'], code: 'FORBIDDEN', argument: 'raw' }]);
      for (const caller of [as.user, as.external]) expect((await gql(query, caller)).body).toEqual({ data: { invoices: [] } });
    });
  });

  describe('on a mutation: refused before anything runs', () => {
    const create = 'mutation ($input: InvoiceInput!) { createInvoice(input: $input) { id createdBy ownerId discount } }';

    it('@hasRole on an input field inside a list inside a variable, and inline with a variable inside', async () => {
      const before = sideEffects.count;
      const input = { amount: 5, lines: [{ description: 'a' }, { description: 'b', discount: 2 }] };
      const refused = await gql(create, as.user, { input });
      expect(refused.body.data ?? null).toBeNull();
      expect(denials(refused.body.errors)).toEqual([{ path: ['createInvoice'], code: 'FORBIDDEN', argument: 'input.lines.discount' }]);
      const inline = 'mutation ($d: Int) { createInvoice(input: { amount: 1, lines: [{ description: "a", discount: $d }] }) { id } }';
      expect(denials((await gql(inline, as.user, { d: 3 })).body.errors)).toEqual([
        { path: ['createInvoice'], code: 'FORBIDDEN', argument: 'input.lines.discount' },
      ]);
      expect(denials((await gql(create, as.anonymous, { input })).body.errors)).toEqual([
        { path: ['createInvoice'], code: 'UNAUTHENTICATED' },
      ]);
      expect(sideEffects.count).toBe(before);
      // Without the discount it runs; an ADMIN may give one.
      expect((await gql(inline, as.user)).body.errors).toBeUndefined();
      expect((await gql(create, as.admin, { input })).body.data?.['createInvoice']).toMatchObject({ createdBy: ids['ADMIN'] });
      expect(sideEffects.count).toBe(before + 2);
    });

    it('@requiresScopes on an input field: the key without the scope is refused, the key and the token holding it pass', async () => {
      const input = { amount: 1, lines: [{ description: 'a', note: 'n' }] };
      const before = sideEffects.count;
      const refused = await gql(create, as.userKey, { input });
      expect(refused.body.data ?? null).toBeNull();
      expect(denials(refused.body.errors)).toEqual([{ path: ['createInvoice'], code: 'FORBIDDEN', argument: 'input.lines.note' }]);
      expect(sideEffects.count).toBe(before);
      for (const caller of [as.annotatingKey, as.external, as.user])
        expect((await gql(create, caller, { input })).body.errors).toBeUndefined();
      expect(sideEffects.count).toBe(before + 3);
    });

    it('a denied argument in a nested selection, through aliases: one error per field, nothing run', async () => {
      const before = sideEffects.count;
      const response = await gql(
        `mutation { a: createInvoice(input: { amount: 1, discount: 1 }) { id } b: createInvoice(input: { amount: 1, priority: 2 }) { id } }`,
        as.user,
      );
      expect(response.body.data ?? null).toBeNull();
      expect(denials(response.body.errors)).toEqual([
        { path: ['a'], code: 'FORBIDDEN', argument: 'input.discount' },
        { path: ['b'], code: 'FORBIDDEN', argument: 'input.priority' },
      ]);
      expect(sideEffects.count).toBe(before);
    });
  });

  describe('@fromViewer', () => {
    it('gives the resolver the caller’s id, email, roles and scopes, and an external token’s claim', async () => {
      const query = '{ whoAmI { id email roles scopes tenant } }';
      const user = await gql(query, as.user);
      expect(user.body.data?.['whoAmI']).toEqual({
        id: ids['USER'],
        email: 'user@arguments.test',
        roles: ['USER'],
        scopes: ['invoices:annotate'],
        tenant: null,
      });
      expect((await gql(query, as.userKey)).body.data?.['whoAmI']).toMatchObject({ id: ids['USER'], scopes: [] });
      expect((await gql(query, as.external)).body.data?.['whoAmI']).toMatchObject({ tenant: 'acme', scopes: ['invoices:annotate'] });
      expect((await gql('{ tenantOnly }', as.external)).body).toEqual({ data: { tenantOnly: 'acme' } });
    });

    it('a non-null one the caller lacks is UNAUTHENTICATED', async () => {
      for (const caller of [as.anonymous, as.user, as.externalNoTenant]) {
        const response = await gql('{ tenantOnly }', caller);
        expect(response.body.data).toEqual({ tenantOnly: null });
        expect(denials(response.body.errors)).toEqual([{ path: ['tenantOnly'], code: 'UNAUTHENTICATED', argument: 'claims.tenant' }]);
      }
      expect(denials((await gql('{ whoAmI { id } }', as.anonymous)).body.errors)).toEqual([
        { path: ['whoAmI'], code: 'UNAUTHENTICATED', argument: 'id' },
      ]);
    });

    it('a request that supplies one is BAD_USER_INPUT; a mutation that does runs nothing', async () => {
      const query = await gql('{ whoAmI(id: "someone-else") { id } }', as.admin);
      expect(query.body.data).toEqual({ whoAmI: null });
      expect(denials(query.body.errors)).toEqual([{ path: ['whoAmI'], code: 'BAD_USER_INPUT', argument: 'id' }]);
      const before = sideEffects.count;
      const mutation = 'mutation ($input: InvoiceInput!) { createInvoice(input: $input, createdBy: "x") { id } }';
      const supplied = await gql(mutation, as.user, { input: { amount: 1 } });
      expect(supplied.body.data ?? null).toBeNull();
      expect(denials(supplied.body.errors)).toEqual([{ path: ['createInvoice'], code: 'BAD_USER_INPUT', argument: 'createdBy' }]);
      const ownerInVariable = 'mutation ($input: InvoiceInput!) { createInvoice(input: $input) { id } }';
      expect(denials((await gql(ownerInVariable, as.user, { input: { amount: 1, ownerId: ids['ADMIN'] } })).body.errors)).toEqual([
        { path: ['createInvoice'], code: 'BAD_USER_INPUT', argument: 'input.ownerId' },
      ]);
      expect(sideEffects.count).toBe(before);
      // Omitted, as every client must: validation passes and the resolver gets the caller's id.
      const created = await gql(ownerInVariable.replace('{ id }', '{ ownerId createdBy }'), as.user, { input: { amount: 1 } });
      expect(created.body).toEqual({ data: { createInvoice: { ownerId: ids['USER'], createdBy: ids['USER'] } } });
    });
  });

  describe('introspection per caller', () => {
    const introspect = `{ input: __type(name: "InvoiceInput") { inputFields { name } }
      line: __type(name: "LineInput") { inputFields { name } }
      query: __type(name: "Query") { fields { name args { name } } }
      mutation: __type(name: "Mutation") { fields { name args { name } } } }`;
    const names = (list: readonly { name: string }[] | undefined) => (list ?? []).map((x) => x.name);
    const argsOf = (data: Record<string, any>, type: 'query' | 'mutation', field: string) =>
      names(data[type]?.fields.find((f: { name: string }) => f.name === field)?.args);

    it('shows each caller only the arguments and input fields it may supply, and never a @fromViewer one', async () => {
      const seen = async (headers: Headers) => (await gql(introspect, headers)).body.data as Record<string, any>;
      const anonymous = await seen(as.anonymous);
      expect(argsOf(anonymous, 'query', 'invoices')).toEqual([]);
      expect(argsOf(anonymous, 'query', 'whoAmI')).toEqual([]);
      expect(anonymous['input']).toBeNull(); // createInvoice is @auth: its input type is not shown either
      const user = await seen(as.user);
      expect(argsOf(user, 'query', 'invoices')).toEqual(['first', 'raw']);
      expect(names(user['input']?.inputFields)).toEqual(['amount', 'lines']);
      expect(names(user['line']?.inputFields)).toEqual(['description', 'note']);
      expect(argsOf(user, 'mutation', 'createInvoice')).toEqual(['input']);
      const key = await seen(as.userKey);
      expect(argsOf(key, 'query', 'invoices')).toEqual(['first']);
      expect(names(key['line']?.inputFields)).toEqual(['description']);
      const admin = await seen(as.admin);
      expect(argsOf(admin, 'query', 'invoices')).toEqual(['includeDeleted', 'first', 'raw']);
      expect(names(admin['input']?.inputFields)).toEqual(['amount', 'discount', 'lines', 'priority']);
      expect(argsOf(admin, 'query', 'whoAmI')).toEqual([]);
    });

    it('no validation message or suggestion names an argument or input field the caller may not use', async () => {
      const misspelt = '{ invoices(includeDelete: true) { id } }';
      const user = await gql(misspelt, as.user);
      expect(user.status).toBe(400);
      expect(user.text).not.toContain('includeDeleted');
      expect((await gql(misspelt, as.admin)).text).toContain('includeDeleted');
      const inputField = 'mutation ($input: InvoiceInput!) { createInvoice(input: $input) { id } }';
      const coerced = await gql(inputField, as.user, { input: { amount: 1, discoun: 1 } });
      expect(coerced.text).not.toMatch(/"discount"|ownerId/);
      const fromViewer = await gql('{ whoAmI(idd: "x") { id } }', as.admin);
      expect(fromViewer.text).not.toMatch(/"id"\?|Did you mean/);
    });
  });
});
