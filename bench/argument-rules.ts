// An argument rule on a query that does not supply the argument must cost (almost) nothing: the
// target is at most 2 % more CPU per request. Two schemas, both enforced by applyAuthDirectives, that
// differ only in `@hasRole(role: ADMIN)` on an argument: `items(first, includeDeleted)` and, on each
// of 1,000 items, `label(upper)`. The query supplies `first` but neither ruled argument. Measured
// with graphql's `execute` in this process (no HTTP, so the ratio is of the execution alone, a
// stricter bound than per request), CPU time from process.cpuUsage, in interleaved rounds (the
// order reversed every other round); each ratio is with-rule ÷ without in the same round, and the
// median is printed. `npm run bench:arguments`; ROUNDS and N (executions per variant and round).
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type GraphQLSchema, parse } from 'graphql';
import type { Viewer } from '../src/auth/viewer';
import { applyAuthDirectives } from '../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../src/enforcement/directive-sdl';

const ITEMS = 1_000;
const items = Array.from({ length: ITEMS }, (_, i) => ({ id: String(i), name: `item ${i}` }));

function schema(rule: string): GraphQLSchema {
  const typeDefs = /* GraphQL */ `
    enum Role { USER ADMIN }
    enum OrganizationRole { MEMBER OWNER }
    type Item { id: ID! name: String! label(upper: Boolean ${rule}): String! }
    type Query { items(first: Int = 10, includeDeleted: Boolean ${rule}): [Item!] @auth }
  `;
  const resolvers = {
    Query: { items: (_: unknown, args: { first: number }) => items.slice(0, args.first) },
    Item: { label: (item: { name: string }, args: { upper?: boolean }) => (args.upper ? item.name.toUpperCase() : item.name) },
  };
  return applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, typeDefs], resolvers }));
}

const variants = { without: schema(''), 'with rule': schema('@hasRole(role: ADMIN)') } as const;
const viewer: Viewer = { id: 'u1', roles: ['USER'], via: 'jwt' };
const queries = {
  'items(first: 10) { id name }': parse('{ items(first: 10) { id name } }'),
  [`items(first: ${ITEMS}) { id label }`]: parse(`{ items(first: ${ITEMS}) { id label } }`),
};

function cpuPerExecution(schema: GraphQLSchema, document: ReturnType<typeof parse>, n: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const result = execute({ schema, document, contextValue: { viewer } });
    if ('errors' in result && result.errors !== undefined) throw new Error(String(result.errors[0]));
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function main(): void {
  const rounds = Number(process.env['ROUNDS'] ?? 15);
  for (const [name, document] of Object.entries(queries)) {
    const n = Number(process.env['N'] ?? (name.includes(String(ITEMS)) ? 100 : 5_000));
    for (const schema of Object.values(variants)) cpuPerExecution(schema, document, n); // warm-up
    const ratios: number[] = [];
    const times: Record<string, number[]> = { without: [], 'with rule': [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['without', 'with rule'] as const) : (['with rule', 'without'] as const);
      const seen: Record<string, number> = {};
      for (const variant of order) seen[variant] = cpuPerExecution(variants[variant], document, n);
      times['without']!.push(seen['without']!);
      times['with rule']!.push(seen['with rule']!);
      ratios.push(seen['with rule']! / seen['without']!);
    }
    console.log(
      `{ ${name} }: without ${median(times['without']!).toFixed(1)} µs, with an unsupplied argument rule ` +
        `${median(times['with rule']!).toFixed(1)} µs per execution; median ratio ${median(ratios).toFixed(3)} over ${rounds} rounds`,
    );
  }
}

main();
