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
