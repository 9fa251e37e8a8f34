// The operations the generated authorization matrices send (test/http/auth-matrix*.test.ts): the
// cheapest path from a root to a field, and one minimal operation along it, with the smallest
// well-formed literal for each required argument. Derived from the SDL alone, so a field added
// tomorrow gets an operation without anyone writing one.
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

/** An id no row has: the literal every required `ID` argument gets. */
export const MATRIX_ID = '00000000-0000-4000-8000-000000000000';

export interface Step {
  readonly type: GraphQLObjectType;
  readonly field: GraphQLField<unknown, unknown>;
}

/** A literal for an argument of this type: the smallest well-formed value. */
export function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return JSON.stringify(MATRIX_ID);
      case 'Int':
        return '1';
      case 'Float':
        return '1.5';
      case 'Boolean':
        return 'true';
      case 'DateTime':
        return '"2026-01-01T00:00:00Z"';
      default:
        return '"matrix"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

/**
 * The required arguments, plus (for an argument rule's case) the one at `supplied`, a path such as
 * `input.lines.discount`: the value written there, inside the smallest well-formed objects around it.
 * `values`: GraphQL literals written instead, by argument name (supplied whether required or not).
 */
function requiredArgs(
  args: readonly GraphQLArgument[],
  supplied: readonly string[] = [],
  values: Readonly<Record<string, string>> = {},
): string {
  const withValue = (type: GraphQLInputType, rest: readonly string[]): string => {
    if (rest.length === 0) return literal(type);
    const named = getNamedType(type);
    if (!isInputObjectType(named)) throw new Error(`no input field ${rest.join('.')} in ${String(type)}`);
    const fields = Object.values(named.getFields()).filter(
      (f) => f.name === rest[0] || (isNonNullType(f.type) && f.defaultValue === undefined),
    );
    return `{ ${fields.map((f) => `${f.name}: ${f.name === rest[0] ? withValue(f.type, rest.slice(1)) : literal(f.type)}`).join(', ')} }`;
  };
  const written = args.filter((a) => a.name === supplied[0] || a.name in values || (isNonNullType(a.type) && a.defaultValue === undefined));
  return written.length === 0
    ? ''
    : `(${written.map((a) => `${a.name}: ${values[a.name] ?? (a.name === supplied[0] ? withValue(a.type, supplied.slice(1)) : literal(a.type))}`).join(', ')})`;
}

/**
 * The cheapest path from a root to `target`: fewest fields, and a required argument costs like
 * three more fields (arguments with made-up values tend to find nothing to return).
 */
export function pathTo(
  schema: GraphQLSchema,
  target: { type: GraphQLObjectType; field: string },
  /** Only through fields this accepts (the target itself excepted). */
  passable: (type: GraphQLObjectType, field: string) => boolean = () => true,
): Step[] | undefined {
  const roots = [schema.getQueryType(), schema.getMutationType()].filter((t): t is GraphQLObjectType => !!t);
  const best = new Map<string, { cost: number; path: Step[] }>();
  let frontier: Array<{ type: GraphQLObjectType; cost: number; path: Step[] }> = roots.map((type) => ({ type, cost: 0, path: [] }));
  let found: { cost: number; path: Step[] } | undefined;
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const { type, cost, path } of frontier) {
      for (const field of Object.values(type.getFields())) {
        const stepCost = cost + 1 + 3 * field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined).length;
        const steps = [...path, { type, field }];
        if (type === target.type && field.name === target.field) {
          if (found === undefined || stepCost < found.cost) found = { cost: stepCost, path: steps };
          continue;
        }
        if (!passable(type, field.name)) continue;
        const named = getNamedType(field.type);
        const types = isObjectType(named) ? [named] : isAbstractType(named) ? schema.getPossibleTypes(named) : [];
        for (const child of types) {
          const seen = best.get(child.name);
          if (seen !== undefined && seen.cost <= stepCost) continue;
          best.set(child.name, { cost: stepCost, path: steps });
          next.push({ type: child, cost: stepCost, path: steps });
        }
      }
    }
    frontier = next;
  }
  return found?.path;
}

/**
 * The operation that selects the last field of `path` (`__typename` below it when composite);
 * `supplied` concerns the last field's arguments and `values` those of the step `valuesAt` (by
 * default the last), as for requiredArgs.
 */
export function operationFor(
  schema: GraphQLSchema,
  path: readonly Step[],
  supplied: readonly string[] = [],
  values: Readonly<Record<string, string>> = {},
  /** The step of `path` whose arguments `values` are for. */
  valuesAt: number = path.length - 1,
): string {
  let body = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const { field } = path[i]!;
    const childType = path[i + 1]?.type;
    const named = getNamedType(field.type);
    let selection = '';
    if (i === path.length - 1) selection = isCompositeType(named) ? ' { __typename }' : '';
    else selection = isAbstractType(named) ? ` { ... on ${childType!.name} { ${body} } }` : ` { ${body} }`;
    const last = i === path.length - 1;
    body = `${field.name}${requiredArgs(field.args, last ? supplied : [], i === valuesAt ? values : {})}${selection}`;
  }
  const root = path[0]!.type;
  return `${root === schema.getMutationType() ? 'mutation' : root === schema.getSubscriptionType() ? 'subscription' : 'query'} { ${body} }`;
}
