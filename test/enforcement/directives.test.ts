import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type ExecutionResult, getIntrospectionQuery, graphqlSync, parse } from 'graphql';
import { applyAuthDirectives, AuthCoverageError } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { combineRequirements } from '../../src/enforcement/requirements';
import type { Viewer } from '../../src/auth/viewer';
import { defaultRoleCatalog } from '../../src/auth/roles';

// A schema of the user's own, as a library user would write it.
const typeDefs = /* GraphQL */ `
  enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
  type Query {
    hello: String @public
    secret: String @auth
    adminOnly: String @hasRole(role: ADMIN)
    account: Account @auth
    board: Board @public
    asyncSecret: String @auth
    openAccount: Account @public
    ticket: Ticket @public
  }
  type Ticket @public {
    seat: String
    holder: String @auth
  }
  type Account @auth {
    id: ID!
    balance: Int @hasRole(role: ADMIN)
    motto: String @public
  }
  type Board {
    title: String
    members: [Member!]
  }
  type Member @hasRole(role: USER) {
    name: String
  }
`;

const resolvers = {
  Query: {
    hello: () => 'hi',
    secret: () => 's3cret',
    adminOnly: () => 'admin stuff',
    account: () => ({ id: 'a1', balance: 100, motto: 'carpe diem' }),
    board: () => ({ title: 'Board', members: [{ name: 'ann' }, { name: 'bob' }] }),
    asyncSecret: async () => 'later',
    openAccount: () => ({ id: 'a2', balance: 5, motto: 'open motto' }),
    ticket: () => ({ seat: '12A', holder: 'ann' }),
  },
};

const schema = applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, typeDefs], resolvers }));

const user: Viewer = { id: 'u1', roles: ['USER'], via: 'jwt' };
const admin: Viewer = { id: 'a1', roles: ['ADMIN'], via: 'api-key' };

function run(query: string, viewer: Viewer | null): ExecutionResult {
  const result = execute({ schema, document: parse(query), contextValue: { viewer } });
  if (result instanceof Promise) throw new Error('expected a synchronous result');
  return result;
}

function codes(result: ExecutionResult): Record<string, string> {
  return Object.fromEntries((result.errors ?? []).map((e) => [e.path?.join('.') ?? '', String(e.extensions['code'])]));
}

describe('applyAuthDirectives', () => {
  it('lets anyone read @public fields', () => {
    expect(run('{ hello }', null)).toEqual({ data: { hello: 'hi' } });
  });

  it('answers UNAUTHENTICATED for an anonymous caller and FORBIDDEN for a signed-in one without the role', () => {
    const anonymous = run('{ hello secret adminOnly }', null);
    expect(anonymous.data).toEqual({ hello: 'hi', secret: null, adminOnly: null });
    expect(codes(anonymous)).toEqual({ secret: 'UNAUTHENTICATED', adminOnly: 'UNAUTHENTICATED' });

    const asUser = run('{ secret adminOnly }', user);
    expect(asUser.data).toEqual({ secret: 's3cret', adminOnly: null });
    expect(codes(asUser)).toEqual({ adminOnly: 'FORBIDDEN' });
  });

  it('lets an ADMIN pass @hasRole(role: USER), even with roles built by hand as ["ADMIN"]', () => {
    const result = run('{ board { members { name } } }', admin);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ board: { members: [{ name: 'ann' }, { name: 'bob' }] } });
  });

  it('guards fields that use the default resolver, through a type directive', () => {
    const result = run('{ board { title members { name } } }', null);
    expect(result.data).toEqual({ board: { title: 'Board', members: [{ name: null }, { name: null }] } });
    expect(codes(result)).toEqual({ 'board.members.0.name': 'UNAUTHENTICATED', 'board.members.1.name': 'UNAUTHENTICATED' });
  });

  it('combines type and field requirements, and lets @public on a field open it inside a protected type', () => {
    const asUser = run('{ account { id balance motto } }', user);
    expect(asUser.data).toEqual({ account: { id: 'a1', balance: null, motto: 'carpe diem' } });
    expect(codes(asUser)).toEqual({ 'account.balance': 'FORBIDDEN' });
    expect(run('{ account { id balance } }', admin).data).toEqual({ account: { id: 'a1', balance: 100 } });
  });

  it("runs a @public field inside an @auth type for an anonymous caller; the type's other fields stay closed", () => {
    const anonymous = run('{ openAccount { motto balance } }', null);
    expect(anonymous.data).toEqual({ openAccount: { motto: 'open motto', balance: null } });
    expect(codes(anonymous)).toEqual({ 'openAccount.balance': 'UNAUTHENTICATED' });
    // `id` is non-null and closed: its refusal nulls the whole account, as GraphQL requires.
    const withId = run('{ openAccount { id motto } }', null);
    expect(withId.data).toEqual({ openAccount: null });
    expect(codes(withId)).toEqual({ 'openAccount.id': 'UNAUTHENTICATED' });
  });

  it('keeps @auth on a field of a @public type: anonymous gets UNAUTHENTICATED there and the public fields', () => {
    const anonymous = run('{ ticket { seat holder } }', null);
    expect(anonymous.data).toEqual({ ticket: { seat: '12A', holder: null } });
    expect(codes(anonymous)).toEqual({ 'ticket.holder': 'UNAUTHENTICATED' });
    const signedIn = run('{ ticket { seat holder } }', user);
    expect(signedIn.data).toEqual({ ticket: { seat: '12A', holder: 'ann' } });
    expect(signedIn.errors).toBeUndefined();
  });

  it('keeps protection on aliases and fragments', () => {
    const result = run('{ a: secret ... on Query { b: adminOnly } ...F } fragment F on Query { c: secret }', user);
    expect(result.data).toEqual({ a: 's3cret', b: null, c: 's3cret' });
    expect(codes(result)).toEqual({ b: 'FORBIDDEN' });
  });

  it('keeps a synchronous resolver synchronous and passes promises through untouched', async () => {
    expect(execute({ schema, document: parse('{ secret }'), contextValue: { viewer: user } })).not.toBeInstanceOf(Promise);
    const pending = execute({ schema, document: parse('{ asyncSecret }'), contextValue: { viewer: user } });
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toEqual({ data: { asyncSecret: 'later' } });
  });

  it('treats a missing context or viewer as anonymous', () => {
    const result = execute({ schema, document: parse('{ secret }') }) as ExecutionResult;
    expect(codes(result)).toEqual({ secret: 'UNAUTHENTICATED' });
  });

  it('never blocks introspection', () => {
    const result = graphqlSync({ schema, source: getIntrospectionQuery(), contextValue: { viewer: null } });
    expect(result.errors).toBeUndefined();
    expect(JSON.stringify(result.data)).toContain('"name":"adminOnly"');
    expect(run('{ __typename account { __typename } }', null).data).toEqual({ __typename: 'Query', account: null });
  });

  it('is idempotent: applying twice does not wrap twice', () => {
    const twice = applyAuthDirectives(schema);
    expect(twice.getQueryType()?.getFields()['adminOnly']?.resolve).toBe(schema.getQueryType()?.getFields()['adminOnly']?.resolve);
    const result = execute({ schema: twice, document: parse('{ adminOnly }'), contextValue: { viewer: user } }) as ExecutionResult;
    expect(result.errors).toHaveLength(1);
  });

  describe('strict mode', () => {
    const open = /* GraphQL */ `
      enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
      type Query { fine: String @public leaky: String }
      type Mutation { doIt: Boolean wrapped: Boolean @auth }
    `;

    it('refuses a schema whose root fields carry no directive, naming each', () => {
      const build = () => applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, open] }));
      expect(build).toThrow(AuthCoverageError);
      expect(build).toThrow(/Query\.leaky.*Mutation\.doIt|Mutation\.doIt.*Query\.leaky/);
    });

    it('does not count a rule written after @reportOnly, and refuses an @reportOnly with no rule after it', () => {
      const reportOnly = /* GraphQL */ `
        enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
        type Query { fine: String @public trial: String @reportOnly @hasRole(role: ADMIN) tried: String @auth @reportOnly @hasRole(role: ADMIN) }
      `;
      const build = () => applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, reportOnly] }));
      expect(build).toThrow(new AuthCoverageError(['Query.trial']));
      const dangling =
        'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Query { x: String @hasRole(role: ADMIN) @reportOnly }';
      expect(() => applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, dangling] }))).toThrow(
        'Query.x: @reportOnly has no rule written after it. Write the rules to try out after it, e.g. @reportOnly @hasRole(role: ADMIN).',
      );
    });

    it('can be switched off, and then a field without a directive is public', () => {
      const lenient = applyAuthDirectives(
        makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, open], resolvers: { Query: { leaky: () => 'x' } } }),
        {
          strict: false,
        },
      );
      expect(execute({ schema: lenient, document: parse('{ leaky }'), contextValue: { viewer: null } })).toEqual({ data: { leaky: 'x' } });
    });
  });
});

describe('combineRequirements', () => {
  it('needs every role named on the type and the field', () => {
    expect(
      combineRequirements(
        [
          { directive: 'hasRole', on: 'type', coordinate: 'T', role: ['USER'] },
          { directive: 'hasRole', on: 'field', coordinate: 'T.f', role: ['ADMIN'] },
        ],
        defaultRoleCatalog(),
      ),
    ).toMatchObject({ signedIn: true, roles: [['USER'], ['ADMIN']] });
  });

  it('opens a field marked @public whatever its type demands; @public on a type adds nothing', () => {
    expect(
      combineRequirements(
        [
          { directive: 'auth', on: 'type', coordinate: 'T' },
          { directive: 'public', on: 'field', coordinate: 'T.f' },
        ],
        defaultRoleCatalog(),
      ),
    ).toMatchObject({
      signedIn: false,
    });
    expect(
      combineRequirements(
        [
          { directive: 'public', on: 'type', coordinate: 'T' },
          { directive: 'auth', on: 'field', coordinate: 'T.f' },
        ],
        defaultRoleCatalog(),
      ),
    ).toMatchObject({
      signedIn: true,
      roles: [],
    });
  });
});
