// Introspection answers with the schema the caller may see (visible-schema.ts), "Did you mean"
// suggests only what it may see (hidden-suggestions.ts), and a document that fails validation gets
// the errors it would get were the hidden parts absent (hidden-validation.ts). Everything else is as
// without this plugin: valid operations are validated and executed against the whole schema by
// Apollo, so a hidden field asked for by name still answers null and UNAUTHENTICATED / FORBIDDEN at
// its path, its errors are masked and logged like any other, and an operation that introspects and
// also reads such a field gets both answers. Only the introspection fields' values are replaced: the
// root `__schema` and `__type` fields are run again on the caller's visible schema and their answers
// put in place of the whole schema's before the response leaves. That second run costs what an
// introspection costs (about 1.9 ms for a USER's full introspection query on the demo schema,
// measured with tsx); operations that do not introspect pay a lookup.
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  type DocumentNode,
  execute,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  specifiedRules,
  type ValidationRule,
  visit,
} from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { hasSuggestion, withoutHiddenSuggestions } from './hidden-suggestions';
import { validationErrorsSeenBy } from './hidden-validation';
import { visibleSchemaFor } from './visible-schema';

const INTROSPECTION_FIELDS: ReadonlySet<string> = new Set(['__schema', '__type']);

/**
 * How to answer one operation's introspection on another schema: the operation cut down to its
 * root introspection fields (and the fragments spread at the root cut down alike; variables it no
 * longer uses dropped), the response keys those fields fill, and whether an introspection field sits
 * below the root (possible only in a schema where some field returns the Query type), which cannot
 * be answered this way and is refused (400) before anything runs.
 */
interface IntrospectionPlan {
  readonly document: DocumentNode;
  readonly keys: readonly string[];
  readonly nested: boolean;
}

/** Plans by document and operation: Apollo hands repeated queries the same parsed document. */
const plans = new WeakMap<DocumentNode, Map<OperationDefinitionNode, IntrospectionPlan | null>>();

/** The plan for `operation`, or null when it reads no `__schema` / `__type` anywhere. */
function planFor(document: DocumentNode, operation: OperationDefinitionNode): IntrospectionPlan | null {
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
  return planFor(document, operation) !== null;
}

/**
 * The Apollo plugin; `validationRules` are the rules Apollo is given besides graphql's own. Asks for
 * nothing on operations that do not introspect and carry no suggestion (one WeakMap lookup per
 * document and operation), nor on a document that passes validation.
 */
export function visibleIntrospectionPlugin(validationRules: readonly ValidationRule[] = []): ApolloServerPlugin<GraphQLContext> {
  const rules = [...specifiedRules, ...validationRules];
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async validationDidStart({ document, schema, contextValue }) {
      return async (errors) => {
        if (errors === undefined || errors.length === 0) return;
        const seen = validationErrorsSeenBy(errors, document, visibleSchemaFor(schema, contextValue.viewer), rules);
        // Apollo answers with the very array it hands this hook (requestPipeline: validationDidEnd,
        // then sendErrorResponse over the same array), as its own suggestion-hiding plugin relies on
        // when it edits those errors. src/graphql/apollo.ts installs that plugin before this one, so
        // that, end hooks running in reverse, it also sees the errors put here.
        if (seen !== errors) (errors as Error[]).splice(0, errors.length, ...seen);
      };
    },
    async didResolveOperation({ document, operation }) {
      if (operation === undefined || !planFor(document, operation)?.nested) return;
      throw new GraphQLError('Introspection (__schema, __type) is answered at the root of a query only.', {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    },
    async willSendResponse({ response, document, operation, schema, contextValue, request }) {
      if (response.body.kind !== 'single') return;
      const result = response.body.singleResult;
      const plan = document !== undefined && operation !== undefined ? planFor(document, operation) : null;
      if (plan !== null && result.data !== null && result.data !== undefined) {
        const visible = visibleSchemaFor(schema, contextValue.viewer);
        const data = result.data as Record<string, unknown>;
        // Introspection fields cannot fail; should the visible run fail anyway (graphql refuses to
        // run on a schema whose Query type was left with no field, possible in an application where
        // a caller can reach no query at all), the whole schema's answer must not go out instead.
        let answered: Record<string, unknown> | null | undefined;
        try {
          const answer = await execute({ schema: visible, document: plan.document, variableValues: request.variables ?? {}, contextValue });
          if (answer.errors === undefined) answered = answer.data as Record<string, unknown> | null | undefined;
        } catch {
          answered = undefined;
        }
        for (const key of plan.keys) if (Object.hasOwn(data, key)) data[key] = answered?.[key] ?? null;
      }
      if (result.errors?.some((error) => hasSuggestion(error.message))) {
        const visible = visibleSchemaFor(schema, contextValue.viewer);
        result.errors = result.errors.map((error) =>
          hasSuggestion(error.message) ? { ...error, message: withoutHiddenSuggestions(error.message, visible) } : error,
        );
      }
    },
  };
  return { requestDidStart: async () => listeners };
}
