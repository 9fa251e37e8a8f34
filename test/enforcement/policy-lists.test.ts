// A `{ batch }` policy on a type read through lists (src/enforcement/policy-verdicts.ts): a list's
// items find their verdicts by position, and whatever else asks about one of its objects (a second
// list with the same objects, a single field, a nested list) still gets that object's verdict, from
// at most one decision per object in a request. Synchronous and asynchronous batches alike.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import type { Viewer } from '../../src/auth/viewer';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import type { BatchPolicy, PolicyInput } from '../../src/enforcement/policies';

const typeDefs = /* GraphQL */ `
  enum Role { USER ADMIN }
  enum OrganizationRole { MEMBER OWNER }
  type Item @policy(policies: [["even"]]) { id: ID name: String }
  type Query {
    items: [Item] @public
    nested: [[Item]] @public
    item(id: ID!): Item @public
    "Fresh copies of the items from \`from\` on; with \`holes\`, a null before each."
    slice(from: Int!, holes: Boolean = false): [Item] @public
  }
`;

const items = Array.from({ length: 6 }, (_, i) => ({ id: `i${i}`, name: `item ${i}` }));
const viewer: Viewer = { id: 'u1', roles: ['USER'], via: 'jwt' };

function schemaWith(asynchronous: boolean) {
  const asked: string[] = [];
  const decide = (inputs: readonly PolicyInput[]) => {
    for (const input of inputs) asked.push(String(input.object.id));
    return inputs.map(({ object }) => Number(String(object.id).slice(1)) % 2 === 0);
  };
  const even: BatchPolicy = { batch: asynchronous ? async (inputs) => decide(inputs) : decide };
  const schema = applyAuthDirectives(
    makeExecutableSchema({
      typeDefs: [authDirectiveTypeDefs, typeDefs],
      resolvers: {
        Query: {
          items: () => items,
          nested: () => [items.slice(0, 3), items.slice(3)],
          item: (_: unknown, { id }: { id: string }) => items.find((item) => item.id === id) ?? null,
          slice: (_: unknown, { from, holes }: { from: number; holes: boolean }) =>
            items.slice(from).flatMap((item) => (holes ? [null, { ...item }] : [{ ...item }])),
        },
      },
    }),
    { policies: { even } },
  );
  return { schema, asked };
}

const names = (list: unknown) => (list as ({ name: string | null } | null)[]).map((item) => item?.name ?? null);
const expected = ['item 0', null, 'item 2', null, 'item 4', null];

describe.each([
  ['a synchronous batch', false],
  ['an asynchronous batch', true],
])('@policy { batch } over lists, %s', (_label, asynchronous) => {
  it('decides each object once: two lists of the same objects, a nested list and a single field agree', async () => {
    const { schema, asked } = schemaWith(asynchronous);
    const document = parse(
      '{ a: items { name } b: items { id name } one: item(id: "i3") { name } two: item(id: "i4") { name } nested { name } }',
    );
    const result = await execute({ schema, document, contextValue: { viewer } });
    const data = result.data as Record<string, unknown>;
    expect(names(data['a'])).toEqual(expected);
    expect(names(data['b'])).toEqual(expected);
    expect(data['one']).toEqual({ name: null });
    expect(data['two']).toEqual({ name: 'item 4' });
    expect((data['nested'] as unknown[]).map(names)).toEqual([expected.slice(0, 3), expected.slice(3)]);
    // Every object was decided exactly once, however many places asked about it.
    expect([...asked].sort()).toEqual(items.map((item) => item.id));
    const denied = (result.errors ?? []).map((error) => `${error.path?.join('.')} ${error.extensions['code']}`);
    expect(denied).toContain('a.1.name FORBIDDEN');
    expect(denied).toContain('b.5.id FORBIDDEN');
    expect(denied).toContain('one.name FORBIDDEN');
    expect(denied).toContain('nested.1.0.name FORBIDDEN');
  });

  it('keeps the lists of one field asked twice with other arguments apart, holes included', async () => {
    const { schema } = schemaWith(asynchronous);
    // The same positions hold other objects in each list: a verdict found by position must be its own list's.
    const document = parse('{ a: slice(from: 0) { name } b: slice(from: 1) { name } c: slice(from: 1, holes: true) { name } }');
    const result = await execute({ schema, document, contextValue: { viewer } });
    const data = result.data as Record<string, unknown>;
    expect(names(data['a'])).toEqual(expected);
    expect(names(data['b'])).toEqual(expected.slice(1));
    expect(names(data['c'])).toEqual(expected.slice(1).flatMap((name) => [null, name]));
  });

  it('a single field first, the list after: the list reuses that verdict and decides only the others', async () => {
    const { schema, asked } = schemaWith(asynchronous);
    const first = await execute({ schema, document: parse('{ item(id: "i2") { name } }'), contextValue: { viewer } });
    expect(first.data).toEqual({ item: { name: 'item 2' } });
    const context = { viewer };
    const document = parse('{ one: item(id: "i1") { name } items { name } }');
    const result = await execute({ schema, document, contextValue: context });
    expect(names((result.data as Record<string, unknown>)['items'])).toEqual(expected);
    // i2 was decided by the first request (its own context); in this one, i1 once, then the rest.
    expect(asked.filter((id) => id === 'i1')).toHaveLength(1);
    expect(asked.filter((id) => id === 'i2')).toHaveLength(2);
  });
});
