/*
 * `@reportOnly` on arguments and input fields, in process: the rules written after it never refuse
 * (queries, the mutation gate, per-caller introspection) and each request that supplies the value
 * and would have been refused is told to onWouldDeny as the enforced rule's Denial (the field's
 * coordinate, the rule, the argument's path). A default alone is not supplied. `@reportOnly` with no
 * rule after it, or beside `@fromViewer`, stops start-up. Through the test kit the counter counts it.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type GraphQLError, parse } from 'graphql';
import type { Viewer } from '../../src/auth/viewer';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { type Denial, denialOf } from '../../src/enforcement/denials';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { createOperationGate } from '../../src/enforcement/operation-gate';
import { hiddenArgumentsAndInputFields } from '../../src/enforcement/visible-arguments';
import { createTestKit } from '../../src/testkit';

const ROLES = 'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }';
const SDL = /* GraphQL */ `
  input LineInput {
    text: String
    discount: Int @reportOnly @hasRole(role: ADMIN)
  }
  input OrderInput {
    amount: Int!
    "Signed in is enforced; ADMIN is tried out."
    rush: Boolean @auth @reportOnly @hasRole(role: ADMIN)
    priority: Int = 1 @reportOnly @hasRole(role: ADMIN)
    lines: [LineInput!]
  }
  type Query {
    items(all: Boolean @reportOnly @hasRole(role: ADMIN), limit: Int = 5 @reportOnly @hasRole(role: ADMIN)): [String!] @public
    enforced(all: Boolean @hasRole(role: ADMIN)): [String!] @public
  }
  type Mutation {
    order(input: OrderInput!): Boolean @public
  }
`;
const calls = { order: 0 };
const source = () =>
  makeExecutableSchema({
    typeDefs: [authDirectiveTypeDefs, ROLES, SDL],
    resolvers: { Query: { items: () => ['a'], enforced: () => ['a'] }, Mutation: { order: () => ++calls.order > 0 } },
  });
const reported: Denial[] = [];
const schema = applyAuthDirectives(source(), { onWouldDeny: (denial) => reported.push(denial) });
const user: Viewer = { id: 'u1', roles: ['USER'], via: 'jwt' };
const admin: Viewer = { id: 'a1', roles: ['ADMIN', 'USER'], via: 'jwt' };

async function run(query: string, viewer: Viewer | null, variableValues: Record<string, unknown> = {}) {
  reported.length = 0;
  const result = await execute({ schema, document: parse(query), contextValue: { viewer }, variableValues });
  return {
    errors: result.errors?.map((e: GraphQLError) => e.extensions['code']),
    data: result.data,
    reported: reported.map((d) => [d.coordinate, d.rule, d.extensions['argument'], d.extensions['code']]),
  };
}

describe('a report-only rule on an argument or input field', () => {
  it('serves a query whose argument it would refuse, and reports it: inline, through a variable, and null', async () => {
    for (const [query, variables] of [
      ['{ items(all: true) }', {}],
      ['query ($all: Boolean) { items(all: $all) }', { all: false }],
      ['{ items(all: null) }', {}],
    ] as const) {
      expect(await run(query, user, variables)).toEqual({
        errors: undefined,
        data: { items: ['a'] },
        reported: [['Query.items', '@hasRole(role: ADMIN) on Query.items(all)', 'all', 'FORBIDDEN']],
      });
    }
  });

  it('reports nothing when the value is not supplied (a default alone), or the caller passes the rule', async () => {
    expect((await run('{ items }', user)).reported).toEqual([]);
    expect((await run('query ($all: Boolean) { items(all: $all) }', user)).reported).toEqual([]);
    expect((await run('{ items(all: true, limit: 3) }', admin)).reported).toEqual([]);
  });

  it('refuses with the enforced rule beside it, and then reports nothing', async () => {
    const anonymous = await run('mutation { order(input: { amount: 1, rush: true }) }', null);
    expect([anonymous.errors, anonymous.reported]).toEqual([['UNAUTHENTICATED'], []]);
    const signedIn = await run('mutation { order(input: { amount: 1, rush: true }) }', user);
    expect(signedIn).toEqual({
      errors: undefined,
      data: { order: true },
      reported: [['Mutation.order', '@hasRole(role: ADMIN) on OrderInput.rush', 'input.rush', 'FORBIDDEN']],
    });
  });

  it('reports an input field met at depth, in a list and in a variable’s object, but not one holding the default', async () => {
    const nested = await run('mutation ($o: OrderInput!) { order(input: $o) }', user, {
      o: { amount: 1, lines: [{ text: 'x', discount: 5 }] },
    });
    expect(nested.reported).toEqual([
      ['Mutation.order', '@hasRole(role: ADMIN) on LineInput.discount', 'input.lines.discount', 'FORBIDDEN'],
    ]);
    expect((await run('mutation ($o: OrderInput!) { order(input: $o) }', user, { o: { amount: 1, priority: 1 } })).reported).toEqual([]);
    expect((await run('mutation { order(input: { amount: 1, priority: 2 }) }', user)).reported).toEqual([
      ['Mutation.order', '@hasRole(role: ADMIN) on OrderInput.priority', 'input.priority', 'FORBIDDEN'],
    ]);
  });

  it('passes the mutation gate, which refuses the enforced rule as before', () => {
    const gate = createOperationGate();
    const denied = (query: string, viewer: Viewer | null) => {
      const document = parse(query);
      const operation = document.definitions[0] as Parameters<typeof gate.deniedFields>[2];
      return gate.deniedFields(schema, document, operation, viewer, {}).map((e) => denialOf(e)?.rule ?? e.message);
    };
    expect(denied('mutation { order(input: { amount: 1, rush: true, lines: [{ discount: 1 }] }) }', user)).toEqual([]);
    expect(denied('mutation { order(input: { amount: 1, rush: true }) }', null)).toEqual(['@auth on OrderInput.rush']);
  });

  it('leaves the argument and input field in the caller’s introspection (they refuse nobody)', () => {
    const hidden = hiddenArgumentsAndInputFields(schema, user, new Set());
    expect([...hidden].sort()).toEqual(['Query.enforced(all)']);
    expect([...hiddenArgumentsAndInputFields(schema, null, new Set())].sort()).toEqual(['OrderInput.rush', 'Query.enforced(all)']);
  });
});

describe('start-up refusals', () => {
  const build = (sdl: string) => () =>
    applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, ROLES, sdl, 'type Query { x: Int @public }'] }));

  it.each([
    ['an argument', 'extend type Query { a(x: Int @reportOnly): Int @public }', 'Query.a(x)'],
    ['an input field', 'input In { x: Int @hasRole(role: ADMIN) @reportOnly } extend type Query { a(i: In): Int @public }', 'In.x'],
  ])('@reportOnly with no rule after it on %s, naming it', (_what, sdl, coordinate) => {
    expect(build(sdl)).toThrow(`${coordinate}: @reportOnly has no rule written after it`);
  });

  it.each([
    ['alone', '@fromViewer(path: "id") @reportOnly'],
    ['with a rule after it', '@fromViewer(path: "id") @reportOnly @hasRole(role: ADMIN)'],
  ])('@reportOnly beside @fromViewer (%s), naming the argument', (_what, directives) => {
    expect(build(`extend type Query { a(id: ID ${directives}): Int @public }`)).toThrow(
      'Query.a(id): @reportOnly cannot be used beside @fromViewer',
    );
  });
});

it('through the test kit: the field is served to a USER who supplies the argument, and the counter counts it', async () => {
  const kit = await createTestKit({
    typeDefs: 'extend type Query { trial(all: Boolean @reportOnly @hasRole(role: ADMIN)): String @auth }',
    resolvers: { Query: { trial: () => 'served' } },
  });
  try {
    const user = await kit.createUser();
    const count = async () =>
      (await kit.app.telemetry.metrics.registry.getSingleMetric('gatehouse_report_only_denials_total')?.get())?.values.find(
        (v) => v.labels['coordinate'] === 'Query.trial',
      )?.value ?? 0;
    const result = await kit.execute('{ trial(all: true) }', { as: user });
    expect([result.data, result.codes]).toEqual([{ trial: 'served' }, []]);
    expect(await count()).toBe(1);
  } finally {
    await kit.close();
  }
});
