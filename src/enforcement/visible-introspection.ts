// How introspection is answered per caller: with the schema that caller may see (visible-schema.ts),
// never the whole one. Valid operations are still validated and executed against the whole schema;
// only the values of the root `__schema` and `__type` fields are replaced, by running them again on
// the caller's visible schema (introspectionPlan cuts the operation down to those fields, once per
// document; visibleIntrospectionData runs it). That second run costs what an introspection costs
// (about 1.9 ms for a USER's full introspection query on the demo schema, measured with tsx);
// operations that do not introspect pay a lookup. Introspection below the root cannot be answered
// this way and is refused. Plain graphql-js: the Apollo plugin that applies it over HTTP is
// src/graphql/plugins/visible-introspection.ts; the WebSocket transport uses readsIntrospection.
import {
  type DocumentNode,
  execute,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import type { Viewer } from '../auth/viewer';
import { visibleSchemaFor } from './visible-schema';

const INTROSPECTION_FIELDS: ReadonlySet<string> = new Set(['__schema', '__type']);

/**
 * How to answer one operation's introspection on another schema: the operation cut down to its
 * root introspection fields (and the fragments spread at the root cut down alike; variables it no
 * longer uses dropped), the response keys those fields fill, and whether an introspection field sits
 * below the root (possible only in a schema where some field returns the Query type), which cannot
 * be answered this way and is refused (400) before anything runs.
 */
export interface IntrospectionPlan {
  readonly document: DocumentNode;
  readonly keys: readonly string[];
  readonly nested: boolean;
}

/** Plans by document and operation: Apollo hands repeated queries the same parsed document. */
const plans = new WeakMap<DocumentNode, Map<OperationDefinitionNode, IntrospectionPlan | null>>();

/** The plan for `operation`, or null when it reads no `__schema` / `__type` anywhere. */
export function introspectionPlan(document: DocumentNode, operation: OperationDefinitionNode): IntrospectionPlan | null {
  let byOperation = plans.get(document);
  if (byOperation === undefined) plans.set(document, (byOperation = new Map()));
  let plan = byOperation.get(operation);
  if (plan === undefined) byOperation.set(operation, (plan = makePlan(document, operation)));
  return plan;
}

const selectionSetOf = (selections: readonly SelectionNode[]): SelectionSetNode => ({ kind: Kind.SELECTION_SET, selections });

function makePlan(document: DocumentNode, operation: OperationDefinitionNode): IntrospectionPlan | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const keys: string[] = [];
  let nested = false;
  // Below the root, each fragment is searched once (validation has refused cycles).
  const searched = new Set<string>();
  const searchBelow = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (INTROSPECTION_FIELDS.has(selection.name.value)) nested = true;
        else searchBelow(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        searchBelow(selection.selectionSet);
      } else if (!searched.has(selection.name.value)) {
        searched.add(selection.name.value);
        searchBelow(fragments.get(selection.name.value)?.selectionSet);
      }
    }
  };
  // At the root: keep the introspection fields and __typename, drop the rest. A fragment spread at
  // the root stays a spread, of a cut-down copy made once per fragment, so graphql still collects
  // each fragment once per selection set (a fragment bomb stays as cheap as it was).
  const cutFragments = new Map<string, FragmentDefinitionNode | null>();
  const cutFragment = (name: string): FragmentDefinitionNode | null => {
    if (cutFragments.has(name)) return cutFragments.get(name) ?? null;
    cutFragments.set(name, null);
    const fragment = fragments.get(name);
    const kept = fragment === undefined ? [] : atRoot(fragment.selectionSet);
    const cut = fragment === undefined || kept.length === 0 ? null : { ...fragment, selectionSet: selectionSetOf(kept) };
    cutFragments.set(name, cut);
    return cut;
  };
  const atRoot = (selectionSet: SelectionSetNode): SelectionNode[] =>
    selectionSet.selections.flatMap((selection): SelectionNode[] => {
      if (selection.kind === Kind.FRAGMENT_SPREAD) return cutFragment(selection.name.value) === null ? [] : [selection];
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const kept = atRoot(selection.selectionSet);
        return kept.length === 0 ? [] : [{ ...selection, selectionSet: selectionSetOf(kept) }];
      }
      if (INTROSPECTION_FIELDS.has(selection.name.value)) {
        keys.push(selection.alias?.value ?? selection.name.value);
        return [selection];
      }
      if (selection.name.value === '__typename') return [selection];
      searchBelow(selection.selectionSet);
      return [];
    });
  const selections = atRoot(operation.selectionSet);
  if (keys.length === 0 && !nested) return null;
  // The fields kept may spread fragments (a full introspection query does); their variables count.
  const cut: OperationDefinitionNode = { ...operation, selectionSet: selectionSetOf(selections) };
  const used = new Set<string>();
  const spread: FragmentDefinitionNode[] = [];
  const collect = (node: OperationDefinitionNode | FragmentDefinitionNode): void => {
    visit(node, {
      Variable(variable) {
        used.add(variable.name.value);
      },
      FragmentSpread(fragmentSpread) {
        const name = fragmentSpread.name.value;
        const fragment = cutFragments.has(name) ? cutFragments.get(name) : fragments.get(name);
        if (fragment === undefined || fragment === null || spread.includes(fragment)) return;
        spread.push(fragment);
        collect(fragment);
      },
    });
  };
  collect(cut);
  const variableDefinitions = (operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value));
  return { document: { kind: Kind.DOCUMENT, definitions: [{ ...cut, variableDefinitions }, ...spread] }, keys, nested };
}

/**
 * True when `operation` reads `__schema` or `__type` anywhere. A subscription can only do so below
 * its root (through a field returning the Query type), where no visible schema answers it: the
 * WebSocket transport refuses such an operation, as HTTP refuses nested introspection.
 */
export function readsIntrospection(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  return introspectionPlan(document, operation) !== null;
}

/**
 * The values of the root introspection fields `plan` keeps, run on the schema `viewer` may see, by
 * response key; undefined when that run fails. Introspection fields cannot fail; should the run fail
 * anyway (graphql refuses to run on a schema whose Query type was left with no field, possible in an
 * application where a caller can reach no query at all), the caller must answer null, never the
 * whole schema's values.
 */
export async function visibleIntrospectionData(
  schema: GraphQLSchema,
  viewer: Viewer | null,
  plan: IntrospectionPlan,
  variableValues: Readonly<Record<string, unknown>>,
  contextValue: unknown,
): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    const answer = await execute({ schema: visibleSchemaFor(schema, viewer), document: plan.document, variableValues, contextValue });
    return answer.errors === undefined ? ((answer.data ?? undefined) as Record<string, unknown> | undefined) : undefined;
  } catch {
    return undefined;
  }
}
