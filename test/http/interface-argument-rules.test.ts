/*
 * A rule on an interface field's argument applies in every implementation, as a rule on the
 * interface field does (docs/protecting-fields.md). Before: `Doc.secret(reveal: Boolean)` without
 * the rule its interface declares served `secret(reveal: true)` to any caller, through the interface
 * as through the type, and per-caller introspection showed the argument.
 */
import { createUser } from '../../src/services/accounts';
import { signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';

const typeDefs = /* GraphQL */ `
  interface Revealable {
    secret(reveal: Boolean @hasRole(role: ADMIN)): String
  }
  type Vault implements Revealable @public {
    secret(reveal: Boolean): String
  }
  extend type Query {
    vault: Vault @public
    revealable: Revealable @public
  }
`;
const resolvers = {
  Query: { vault: () => ({}), revealable: () => ({}) },
  Revealable: { __resolveType: () => 'Vault' },
  Vault: { secret: (_: unknown, { reveal }: { reveal?: boolean }) => (reveal === true ? 'the combination' : 'locked') },
};

describe("a rule on an interface field's argument", () => {
  let h: HttpHarness;
  let user: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    h = await startHttpServer({ app: { typeDefs, resolvers } });
    user = { authorization: `Bearer ${(await signUp(h)).accessToken}` };
    const origin = { actorId: null, address: 'test', source: 'request' } as const;
    await createUser(h.app, { email: 'admin@interface-arguments.test', password: 'interface password', role: 'ADMIN' }, origin);
    const login = await h.gql(
      'mutation { login(email: "admin@interface-arguments.test", password: "interface password") { accessToken } }',
    );
    admin = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
  });
  afterAll(() => h?.close());

  const query = '{ vault { secret(reveal: true) } revealable { secret(reveal: true) } plain: vault { secret } }';

  it('refuses the argument in the implementation, through the type and through the interface', async () => {
    const response = await h.gql(query, { headers: user });
    expect(response.body.data).toEqual({ vault: { secret: null }, revealable: { secret: null }, plain: { secret: 'locked' } });
    expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['argument']])).toEqual([
      [['vault', 'secret'], 'FORBIDDEN', 'reveal'],
      [['revealable', 'secret'], 'FORBIDDEN', 'reveal'],
    ]);
    const anonymous = await h.gql('{ vault { secret(reveal: true) } }');
    expect(anonymous.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
  });

  it('lets the role the interface names use it', async () => {
    const response = await h.gql(query, { headers: admin });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      vault: { secret: 'the combination' },
      revealable: { secret: 'the combination' },
      plain: { secret: 'locked' },
    });
  });

  it('hides the argument from a caller it refuses in introspection, on the type and the interface', async () => {
    const introspect =
      '{ a: __type(name: "Vault") { fields { name args { name } } } b: __type(name: "Revealable") { fields { name args { name } } } }';
    const argsOf = (response: Awaited<ReturnType<HttpHarness['gql']>>) =>
      ['a', 'b'].map((key) =>
        (response.body.data?.[key] as { fields: { args: { name: string }[] }[] } | undefined)?.fields[0]?.args.map((a) => a.name),
      );
    expect(argsOf(await h.gql(introspect, { headers: user }))).toEqual([[], []]);
    expect(argsOf(await h.gql(introspect, { headers: admin }))).toEqual([['reveal'], ['reveal']]);
  });
});

/*
 * The same for @fromViewer: an implementation that did not repeat its interface's @fromViewer
 * handed the resolver whatever the client wrote (`items(ownerId: "someone else")`), through the type
 * and through the interface; and a non-null @fromViewer argument on an interface stopped start-up
 * (the implementation's was served optional, the interface's not).
 */
const fromViewerTypeDefs = /* GraphQL */ `
  interface Owned {
    items(ownerId: ID! @fromViewer(path: "id")): String
  }
  type Shelf implements Owned @auth {
    items(ownerId: ID!): String
  }
  type Drawer implements Owned @auth {
    items(ownerId: ID! @fromViewer(path: "id")): String
  }
  extend type Query {
    shelf: Shelf @auth
    owned: Owned @auth
    drawer: Drawer @auth
  }
`;
const fromViewerResolvers = {
  Query: { shelf: () => ({}), owned: () => ({}), drawer: () => ({}) },
  Owned: { __resolveType: () => 'Shelf' },
  Shelf: { items: (_: unknown, { ownerId }: { ownerId: string }) => `items of ${ownerId}` },
  Drawer: { items: (_: unknown, { ownerId }: { ownerId: string }) => `items of ${ownerId}` },
};

describe("@fromViewer on an interface field's argument", () => {
  let h: HttpHarness;
  let user: Record<string, string>;
  let userId: string;

  beforeAll(async () => {
    h = await startHttpServer({ app: { typeDefs: fromViewerTypeDefs, resolvers: fromViewerResolvers } });
    const signedUp = await signUp(h);
    user = { authorization: `Bearer ${signedUp.accessToken}` };
    userId = signedUp.id;
  });
  afterAll(() => h?.close());

  it("gives every implementation the caller's value, whether or not it repeats the directive", async () => {
    const response = await h.gql('{ shelf { items } owned { items } drawer { items } }', { headers: user });
    expect(response.body.errors).toBeUndefined();
    const expected = `items of ${userId}`;
    expect(response.body.data).toEqual({ shelf: { items: expected }, owned: { items: expected }, drawer: { items: expected } });
  });

  it('refuses a value the client writes, through the type and through the interface', async () => {
    for (const query of ['{ shelf { items(ownerId: "someone-else") } }', '{ owned { items(ownerId: "someone-else") } }']) {
      const response = await h.gql(query, { headers: user });
      expect(JSON.stringify(response.body.data)).not.toContain('someone-else');
      expect(response.body.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['argument']])).toEqual([
        ['BAD_USER_INPUT', 'ownerId'],
      ]);
    }
  });

  it('shows the argument to no one in introspection, on the types and the interface', async () => {
    const response = await h.gql(
      '{ a: __type(name: "Shelf") { fields { args { name } } } b: __type(name: "Owned") { fields { args { name } } } c: __type(name: "Drawer") { fields { args { name } } } }',
      { headers: user },
    );
    const args = ['a', 'b', 'c'].map(
      (key) => (response.body.data?.[key] as { fields: { args: unknown[] }[] } | undefined)?.fields[0]?.args,
    );
    expect(args).toEqual([[], [], []]);
  });
});
