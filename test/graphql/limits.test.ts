import { buildDemoSchema } from '../helpers/demo';
import { type OperationDefinitionNode, parse, validate } from 'graphql';
import { aliasLimitRule, costLimitRule, depthLimitRule, directiveLimitRule, operationCost } from '../../src/graphql/limits';

const schema = buildDemoSchema();
const errorsOf = (query: string, rule: ReturnType<typeof costLimitRule>) => validate(schema, parse(query), [rule]).map((e) => e.message);

describe('depth limit', () => {
  it('counts fields through fragments and ignores introspection', () => {
    const deep = '{ notes { edges { node { author { apiKeys { id } } } } } }'; // 6 levels
    expect(errorsOf(deep, depthLimitRule(6))).toEqual([]);
    expect(errorsOf(deep, depthLimitRule(5))).toEqual(['The operation is nested 6 levels deep; the limit is 5.']);
    expect(errorsOf('{ notes { ...E } } fragment E on NoteConnection { edges { node { id } } }', depthLimitRule(2))).toHaveLength(1);
    expect(errorsOf('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }', depthLimitRule(2))).toEqual([]);
  });
});

describe('alias limit', () => {
  it('counts every alias, __typename too', () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect(errorsOf(aliases(15), aliasLimitRule(15))).toEqual([]);
    expect(errorsOf(aliases(16), aliasLimitRule(15))).toEqual(['The document uses 16 aliases; the limit is 15.']);
  });
});

describe('directive limit', () => {
  it('counts directive uses in the document', () => {
    const directives = (n: number) => `{ publicMessage ${'@include(if: true) '.repeat(n)} }`;
    expect(errorsOf(directives(5), directiveLimitRule(5))).toEqual([]);
    expect(errorsOf(directives(6), directiveLimitRule(5))).toEqual(['The document uses 6 directives; the limit is 5.']);
  });
});

describe('cost limit', () => {
  const cost = (query: string): number => {
    const document = parse(query);
    return operationCost(schema, document, document.definitions[0] as OperationDefinitionNode);
  };

  it('charges one per field, times the list sizes above it', () => {
    expect(cost('{ publicMessage me { id } }')).toBe(3);
    // first: 100 pages of users, each with apiKeys (an unbounded list: 10)
    expect(cost('{ users(first: 100) { edges { node { apiKeys { id } } } } }')).toBe(1 + 100 * (1 + 1 + (1 + 10 * 1)));
    // the argument's default (20) when none is written; a variable counts as 100
    expect(cost('{ notes { edges { node { id } } } }')).toBe(1 + 20 * (1 + 1 + 1));
    expect(cost('query ($n: Int) { notes(first: $n) { edges { node { id } } } }')).toBe(1 + 100 * 3);
  });

  it('stops counting at the cap, so exploding fragments cost little to refuse', () => {
    const fragments = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const document = parse(`{ ...F0 }\n${fragments}\nfragment F30 on Query { publicMessage }`);
    const started = Date.now();
    expect(operationCost(schema, document, document.definitions[0] as OperationDefinitionNode, 5000)).toBeGreaterThan(5000);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('refuses an operation over the limit and lets one under it through', () => {
    const heavy =
      '{ users(first: 100) { edges { node { apiKeys { id name prefix createdAt } } } } notes(first: 100) { edges { node { author { apiKeys { id } } } } } }';
    expect(errorsOf(heavy, costLimitRule(5000))).toEqual([
      "The operation's estimated cost is over 5000, the limit. Ask for fewer items (first) or fewer nested lists.",
    ]);
    expect(errorsOf('{ notes(first: 10) { edges { node { title author { name } } } } }', costLimitRule(5000))).toEqual([]);
  });
});

describe('cost limit under fragment bombs', () => {
  it('counts fragments that spread each other twice, with only __typename at the bottom, in linear time', () => {
    const levels = 40;
    const fragments = [
      `fragment F0 on Query { __typename }`,
      ...Array.from({ length: levels }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`),
    ];
    const document = parse(`query { ...F${levels} }\n${fragments.join('\n')}`);
    const started = Date.now();
    expect(operationCost(schema, document, document.definitions[0] as OperationDefinitionNode, 5000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(200);
  });
});
