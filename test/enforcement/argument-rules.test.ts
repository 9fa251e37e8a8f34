import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import { applyAuthDirectives, AuthCoverageError } from '../../src/enforcement/apply-directives';
import { argumentRulePaths, readArgumentPlan } from '../../src/enforcement/argument-rules';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import type { Viewer } from '../../src/auth/viewer';
import { createTestKit, type TestKit, type TestUser } from '../../src/testkit';
import { resolvers, sideEffects, typeDefs } from '../helpers/argument-rules-app';

const ROLES = 'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }';
const schemaOf = (sdl: string, resolverMap: object = {}) =>
  makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, ROLES, sdl], resolvers: resolverMap as never });

describe('argument rules in plain graphql-js (applyAuthDirectives)', () => {
  const sdl = `
    input Filter { deleted: Boolean @hasRole(role: ADMIN) and: [Filter!] tenant: String @fromViewer(path: "id") }
    type Query { items(filter: Filter, limit: Int = 5 @auth): [String!] @public }
  `;
  const schema = applyAuthDirectives(
    schemaOf(sdl, {
      Query: { items: (_: unknown, args: { filter?: { tenant?: string; and?: { tenant?: string }[] } }) => [JSON.stringify(args)] },
    }),
  );
  const run = (query: string, viewer: Viewer | null, variableValues: Record<string, unknown> = {}) =>
    execute({ schema, document: parse(query), contextValue: { viewer }, variableValues });
  const user: Viewer = { id: 'u1', roles: ['USER'], via: 'jwt' };

  it('finds rules at any depth of a recursive input type, each once', () => {
    const plan = readArgumentPlan(schemaOf(sdl), 'Query', schemaOf(sdl).getQueryType()!.getFields()['items']!);
    expect(argumentRulePaths(plan!).map((r) => r.path)).toEqual(['filter.deleted', 'limit']);
  });

  it('denies a rule met at depth, through a recursive type and a variable’s object', async () => {
    const inline = await run('{ items(filter: { and: [{ and: [{ deleted: false }] }] }) }', user);
    expect(inline.errors?.map((e) => [e.path, e.extensions['code'], e.extensions['argument']])).toEqual([
      [['items'], 'FORBIDDEN', 'filter.and.and.deleted'],
    ]);
    const variable = await run('query ($f: Filter) { items(filter: $f) }', null, { f: { and: [{ deleted: null }] } });
    expect(variable.errors?.map((e) => e.extensions['code'])).toEqual(['UNAUTHENTICATED']);
    expect((await run('{ items(filter: { and: [{ and: [] }] }) }', null)).errors).toBeUndefined();
  });

  it('puts the viewer’s value into every input object that holds the @fromViewer field', async () => {
    const result = await run('{ items(filter: { and: [{}] }) }', user);
    expect(JSON.parse((result.data as { items: string[] }).items[0]!)).toEqual({
      filter: { and: [{ tenant: 'u1' }], tenant: 'u1' },
      limit: 5,
    });
  });

  it('leaves a field whose arguments carry no rule exactly as it was (no wrapper)', () => {
    const plain = schemaOf('type Query { a(x: Int): Int @public }', { Query: { a: () => 1 } });
    const resolve = plain.getQueryType()!.getFields()['a']!.resolve;
    expect(applyAuthDirectives(plain).getQueryType()!.getFields()['a']!.resolve).toBe(resolve);
  });
});

describe('start-up refusals', () => {
  it('strict mode: a rule on an argument does not close the root field it belongs to', () => {
    expect(() => applyAuthDirectives(schemaOf('type Query { items(all: Boolean @hasRole(role: ADMIN)): [String] }'))).toThrow(
      AuthCoverageError,
    );
  });

  it.each([
    ['an unknown path', 'id: ID @fromViewer(path: "userId")', /unknown path "userId"/],
    ['rules beside @fromViewer', 'id: ID @fromViewer(path: "id") @auth', /cannot carry rules/],
  ])('refuses %s, naming the argument', (_what, argument, message) => {
    expect(() => applyAuthDirectives(schemaOf(`type Query { a(${argument}): Int @public }`))).toThrow(message);
    expect(() => applyAuthDirectives(schemaOf(`type Query { a(${argument}): Int @public }`))).toThrow(/Query\.a\(/);
  });
});

describe('argument rules through the test kit', () => {
  let kit: TestKit;
  let user: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    kit = await createTestKit({ typeDefs, resolvers });
    user = await kit.createUser();
    admin = await kit.createUser({ role: 'ADMIN' });
  });
  afterAll(() => kit.close());

  it('answers an argument rule and @fromViewer as the server does', async () => {
    expect((await kit.execute('{ invoices(includeDeleted: true) { id } }', { as: user })).codes).toEqual(['FORBIDDEN']);
    expect((await kit.execute('{ invoices(includeDeleted: true) { id } }', { as: admin })).data).toEqual({ invoices: [{ id: 'deleted' }] });
    const who = await kit.execute<{ whoAmI: { id: string; email: string } }>('{ whoAmI { id email } }', { as: user });
    expect(who.data?.whoAmI).toEqual({ id: user.user.id, email: user.user.email });
    const key = await kit.createApiKey(user, { scopes: [] });
    const before = sideEffects.count;
    const refused = await kit.execute('mutation { createInvoice(input: { amount: 1, lines: [{ description: "d", note: "n" }] }) { id } }', {
      as: key,
    });
    expect(refused.codes).toEqual(['FORBIDDEN']);
    expect(sideEffects.count).toBe(before);
  });

  it('@fromViewer(path: "organizationIds") gives the organizations the caller is a member of, and no other', async () => {
    const member = await kit.createUser();
    const mine = await kit.createOrganization(admin, { name: 'mine', members: [{ user: member }] });
    await kit.createOrganization(admin, { name: 'not theirs' });
    const ids = await kit.execute<{ myOrganizationIds: string[] }>('{ myOrganizationIds }', { as: member });
    expect(ids.data?.myOrganizationIds).toEqual([mine.id]);
    expect((await kit.execute('{ myOrganizationIds(ids: ["x"]) }', { as: member })).codes).toEqual(['BAD_USER_INPUT']);
  });
});
