// `@policy` through the real HTTP server (contract: Authorization › Policies): as anonymous, a USER,
// an ADMIN and a scoped API key; a root mutation policy decided by the gate before anything runs
// (a counter of side effects); at most one run per (policy, object) and one batch per tick (counters
// of calls and loads); a policy that throws or rejects denies, and its error is never sent.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import pino from 'pino';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { UnknownPolicyError } from '../../src/enforcement/policies';
import { createTestKit } from '../../src/testing';
import { createUser } from '../../src/services/accounts';
import { createApiKey } from '../../src/services/api-keys';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import * as app from '../helpers/policies-app';

const { counters, invoices } = app;
const authErrors = (errors: readonly WireError[] | undefined) =>
  (errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.['code'] }));

describe('@policy over HTTP', () => {
  let h: HttpHarness;
  const as: Record<'alice' | 'bob' | 'admin' | 'readKey' | 'writeKey' | 'anonymous', Record<string, string>> = {
    alice: {},
    bob: {},
    admin: {},
    readKey: {},
    writeKey: {},
    anonymous: {},
  };
  let aliceId = '';

  beforeAll(async () => {
    h = await startHttpServer({ app, env: { LOG_LEVEL: 'silent' } });
    const origin = { actorId: null, address: 'policies', source: 'request' } as const;
    for (const who of ['alice', 'bob', 'admin'] as const) {
      const user = await createUser(
        h.app,
        { email: `${who}@policies.test`, password: 'policy password', role: who === 'admin' ? 'ADMIN' : 'USER' },
        origin,
      );
      if (who === 'alice') {
        aliceId = user.id;
        const viewer = { id: user.id, roles: ['USER'], via: 'jwt' } as const;
        as.readKey = {
          'x-api-key': (
            await createApiKey(h.app, viewer, { name: 'read', scopes: ['invoices:read'] }, origin, ['invoices:read', 'invoices:write'])
          ).secret,
        };
        as.writeKey = {
          'x-api-key': (
            await createApiKey(h.app, viewer, { name: 'write', scopes: ['invoices:write'] }, origin, ['invoices:read', 'invoices:write'])
          ).secret,
        };
      }
      const login = await h.gql('mutation ($e: String!) { login(email: $e, password: "policy password") { accessToken } }', {
        variables: { e: `${who}@policies.test` },
      });
      as[who] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
  });
  afterAll(() => h.close());
  beforeEach(() => {
    invoices.clear();
    invoices.set('draft', { id: 'draft', createdBy: aliceId, status: 'DRAFT', total: 10 });
    invoices.set('sent', { id: 'sent', createdBy: aliceId, status: 'SENT', total: 20 });
    for (const key of Object.keys(counters) as (keyof typeof counters)[]) counters[key] = 0;
  });

  it('an object field: the creator and an ADMIN read it; another USER gets FORBIDDEN, anonymous UNAUTHENTICATED, the rest resolves', async () => {
    const read = (headers: Record<string, string>) => h.gql('{ invoice(id: "draft") { id total } }', { headers });
    expect((await read(as.alice)).body).toEqual({ data: { invoice: { id: 'draft', total: 10 } } });
    expect((await read(as.admin)).body).toEqual({ data: { invoice: { id: 'draft', total: 10 } } });
    expect((await read(as.readKey)).body).toEqual({ data: { invoice: { id: 'draft', total: 10 } } });
    const bob = await read(as.bob);
    expect(bob.body.data).toEqual({ invoice: { id: 'draft', total: null } });
    expect(authErrors(bob.body.errors)).toEqual([{ path: ['invoice', 'total'], code: 'FORBIDDEN' }]);
    const anonymous = await read(as.anonymous);
    expect(anonymous.body.data).toEqual({ invoice: { id: 'draft', total: null } });
    expect(authErrors(anonymous.body.errors)).toEqual([{ path: ['invoice', 'total'], code: 'UNAUTHENTICATED' }]);
  });

  it('runs at most once per (policy, object) in a request: aliases and fragments of the same object ask once', async () => {
    const response = await h.gql(
      '{ a: invoice(id: "draft") { total ...T } b: invoice(id: "draft") { t: total } } fragment T on Invoice { again: total }',
      { headers: as.alice },
    );
    expect(response.body).toEqual({ data: { a: { total: 10, again: 10 }, b: { t: 10 } } });
    expect(counters.ownerCalls).toBe(1);
  });

  it('a root mutation policy is decided before anything runs: refused callers change nothing', async () => {
    const edit = (id: string, headers: Record<string, string>) =>
      h.gql('mutation ($id: ID!) { editInvoice(id: $id, total: 99) { id total } }', { variables: { id }, headers });
    for (const [who, id, code] of [
      ['bob', 'draft', 'FORBIDDEN'],
      ['alice', 'sent', 'FORBIDDEN'], // not a DRAFT any more
      ['readKey', 'draft', 'FORBIDDEN'], // alice's key without invoices:write
      ['anonymous', 'draft', 'UNAUTHENTICATED'], // @auth first: the policy does not even run
    ] as const) {
      const refused = await edit(id, as[who]);
      expect({ who, data: refused.body.data ?? null, errors: authErrors(refused.body.errors) }).toEqual({
        who,
        data: null,
        errors: [{ path: ['editInvoice'], code }],
      });
    }
    expect(counters.edits).toBe(0);
    expect(invoices.get('draft')?.total).toBe(10);
    expect(counters.editableLoads).toBe(3);
    // Allowed: the gate's verdict is the resolver's (the policy ran once), and the edit happens once.
    counters.editableLoads = 0;
    expect((await edit('draft', as.writeKey)).body).toEqual({ data: { editInvoice: { id: 'draft', total: 99 } } });
    expect(counters.editableLoads).toBe(1);
    expect((await edit('sent', as.admin)).body).toEqual({ data: { editInvoice: { id: 'sent', total: 99 } } });
    expect(counters.edits).toBe(2);
  });

  it('the object a mutation returns is decided when read: the creator reads the total of the invoice she edited', async () => {
    // Bob may not edit; alice may, and then reads the total of her own invoice.
    const response = await h.gql('mutation { first: editInvoice(id: "draft", total: 5) { total } }', { headers: as.alice });
    expect(response.body).toEqual({ data: { first: { total: 5 } } });
  });

  it('a batched policy over a 10,000-item list is called once, with every item', async () => {
    const response = await h.gql('{ ledgers(count: 10000) { id amount } }', { headers: as.admin });
    const ledgers = response.body.data?.['ledgers'] as Array<{ id: string | null }>;
    expect(ledgers).toHaveLength(10000);
    expect(ledgers[9999]).toEqual({ id: 'l9999', amount: 9999 });
    expect(response.body.errors).toBeUndefined();
    expect(counters.batchCalls).toBe(1);
    expect(counters.batchedInputs).toBe(10000); // two fields per item, one verdict per item
    // A USER sees the even ids; the odd ones are FORBIDDEN field by field.
    const bob = await h.gql('{ ledgers(count: 4) { id amount } }', { headers: as.bob });
    expect(bob.body.data).toEqual({
      ledgers: [
        { id: 'l0', amount: 0 },
        { id: null, amount: null },
        { id: 'l2', amount: 2 },
        { id: null, amount: null },
      ],
    });
    expect(authErrors(bob.body.errors)).toEqual(
      [1, 3].flatMap((i) => ['id', 'amount'].map((field) => ({ path: ['ledgers', i, field], code: 'FORBIDDEN' }))),
    );
    expect(counters.batchCalls).toBe(2);
    // Anonymous: every item denied, UNAUTHENTICATED.
    const anonymous = await h.gql('{ ledgers(count: 3) { id } }');
    expect(anonymous.body.data).toEqual({ ledgers: [{ id: null }, { id: null }, { id: null }] });
    expect(new Set(anonymous.body.errors?.map((e) => e.extensions?.['code']))).toEqual(new Set(['UNAUTHENTICATED']));
  });

  it('a policy that throws or rejects denies with FORBIDDEN, and its error is not sent', async () => {
    for (const field of ['boom', 'rejected']) {
      for (const headers of [as.alice, as.anonymous]) {
        const response = await h.gql(`{ ${field} publicMessage }`, { headers });
        expect(response.status).toBe(200);
        expect(response.body.data?.[field]).toBeNull();
        expect(typeof response.body.data?.['publicMessage']).toBe('string');
        expect(authErrors(response.body.errors)).toEqual([{ path: [field], code: 'FORBIDDEN' }]);
        expect(response.text).not.toMatch(/internals|SELECT|vault/);
      }
    }
  });
});

describe('@policy: what is logged and what introspection shows', () => {
  it('a throwing policy is logged with the request id and the policy name, on the request logger', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const schema = applyAuthDirectives(
      makeExecutableSchema({
        typeDefs: [
          authDirectiveTypeDefs,
          'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Query { a: String @policy(policies: [["boom"]]) }',
        ],
      }),
      { policies: { boom: app.policies['throws']! } },
    );
    const result = await execute({
      schema,
      document: parse('{ a }'),
      contextValue: { viewer: { id: 'u1', roles: ['USER'], via: 'jwt' }, requestId: 'request-42', log },
    });
    expect(result.errors?.map((e) => e.extensions['code'])).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.message).not.toContain('SELECT');
    expect(lines).toEqual([
      expect.objectContaining({
        policy: 'boom',
        coordinate: 'Query.a',
        requestId: 'request-42',
        err: expect.objectContaining({ message: 'policy internals: SELECT secret FROM vault' }),
      }),
    ]);
  });

  it('introspection shows a policy field to every caller who passes its other rules (the policy may pass)', async () => {
    const kit = await createTestKit({ typeDefs: app.typeDefs, resolvers: app.resolvers, policies: app.policies });
    try {
      const fields = async (as: Parameters<typeof kit.execute>[1]) => {
        const data = (await kit.execute('{ __type(name: "Invoice") { fields { name } } }', as)).data as any;
        return ((data?.['__type']?.fields ?? []) as { name: string }[]).map((f) => f.name);
      };
      expect(await fields({ as: null })).toContain('total');
      const editable = async (as: Parameters<typeof kit.execute>[1]) =>
        (
          ((await kit.execute('{ __schema { mutationType { fields { name } } } }', as)).data as any)?.['__schema']?.mutationType?.fields ??
          []
        ).map((f: { name: string }) => f.name);
      expect(await editable({ as: null })).not.toContain('editInvoice'); // @auth hides it from anonymous callers
      expect(await editable({ as: await kit.createUser() })).toContain('editInvoice');
    } finally {
      await kit.close();
    }
  });
});

describe('@policy at start-up and in the test kit', () => {
  it('a policy name without a function stops the build, naming it and where it is used', () => {
    const build = () =>
      applyAuthDirectives(
        makeExecutableSchema({
          typeDefs: [
            authDirectiveTypeDefs,
            'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Query { a: String @policy(policies: [["known"], ["missing.one"]]) }',
          ],
        }),
        { policies: { known: () => true } },
      );
    expect(build).toThrow(UnknownPolicyError);
    expect(build).toThrow('"missing.one" (on Query.a)');
  });

  it('refuses an empty list, which would pass everyone', () => {
    expect(() =>
      applyAuthDirectives(
        makeExecutableSchema({
          typeDefs: [
            authDirectiveTypeDefs,
            'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Query { a: String @policy(policies: [[]]) }',
          ],
        }),
        { policies: {} },
      ),
    ).toThrow('no list may be empty');
  });

  it('strict mode counts @policy as a rule on a root field', () => {
    expect(() =>
      applyAuthDirectives(
        makeExecutableSchema({
          typeDefs: [
            authDirectiveTypeDefs,
            'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Query { a: String @policy(policies: [["p"]]) }',
          ],
        }),
        { policies: { p: () => true } },
      ),
    ).not.toThrow();
  });

  it('createTestKit takes the same policies', async () => {
    const kit = await createTestKit({ typeDefs: app.typeDefs, resolvers: app.resolvers, policies: app.policies });
    try {
      const alice = await kit.createUser();
      invoices.set('kit', { id: 'kit', createdBy: (alice.user as { id: string }).id, status: 'DRAFT', total: 7 });
      expect((await kit.execute('{ invoice(id: "kit") { total } }', { as: alice })).data).toEqual({ invoice: { total: 7 } });
      const bob = await kit.createUser();
      expect((await kit.execute('{ invoice(id: "kit") { total } }', { as: bob })).codes).toEqual(['FORBIDDEN']);
      await expect(createTestKit({ typeDefs: app.typeDefs, resolvers: app.resolvers })).rejects.toThrow(UnknownPolicyError);
    } finally {
      await kit.close();
    }
  });
});
