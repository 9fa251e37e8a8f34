import {
  type ASTVisitor,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  isAbstractType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';

/** The limits an operation must stay within; each is configurable (see Config). */
export interface OperationLimits {
  /** Deepest field nesting, fragments followed; introspection fields not counted. */
  readonly maxDepth: number;
  /** Aliased fields per document, `__typename` aliases included. */
  readonly maxAliases: number;
  /** Directive uses per document. */
  readonly maxDirectives: number;
  /** Estimated cost: one per field, times the list sizes above it. */
  readonly maxCost: number;
}

/** Selections the cost count visits at most before it gives up and reports the cap exceeded. */
const MAX_COST_WORK = 100_000;

/** Size assumed for a list whose length no argument bounds. */
export const DEFAULT_LIST_SIZE = 10;
/** Arguments that bound how many items a field returns. */
const SLICING_ARGUMENTS = ['first', 'last', 'limit'];
/** List fields of a connection whose size the connection's slicing argument already counted. */
const SIZED_BY_PARENT = new Set(['edges', 'nodes']);

function limitError(message: string, node?: FieldNode | FragmentDefinitionNode | readonly FieldNode[]): GraphQLError {
  return new GraphQLError(message, { ...(node ? { nodes: node as never } : {}), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
}

function fragmentsOf(context: ValidationContext): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/**
 * Refuses operations nested deeper than `maxDepth` fields (fragments followed). Introspection
 * fields (`__schema`, `__type`) are not counted: tools send deep introspection queries, and
 * introspection is off in production anyway.
 */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context);
    // A fragment's depth does not depend on where it is spread: remember it, so that fragments
    // spreading each other many times cost one visit each, not one per path.
    const fragmentDepth = new Map<string, number>();
    const depthOf = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        let depth = 0;
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          depth = 1 + (selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet, visiting);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // A fragment cycle is reported by graphql's own NoFragmentCyclesRule.
          if (fragment === undefined || visiting.has(name)) continue;
          let known = fragmentDepth.get(name);
          if (known === undefined) {
            visiting.add(name);
            known = depthOf(fragment.selectionSet, visiting);
            visiting.delete(name);
            fragmentDepth.set(name, known);
          }
          depth = known;
        }
        if (depth > deepest) deepest = depth;
        if (deepest > maxDepth) return deepest;
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) context.reportError(limitError(`The operation is nested ${depth} levels deep; the limit is ${maxDepth}.`));
      },
    };
  };
}

/** Refuses documents with more than `maxAliases` aliases: each alias can run a field again. */
export function aliasLimitRule(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias !== undefined) aliases++;
      },
      Document: {
        leave() {
          if (aliases > maxAliases) context.reportError(limitError(`The document uses ${aliases} aliases; the limit is ${maxAliases}.`));
        },
      },
    };
  };
}

/** Refuses documents with more than `maxDirectives` directive uses. */
export function directiveLimitRule(maxDirectives: number) {
  return (context: ValidationContext): ASTVisitor => {
    let directives = 0;
    return {
      Directive() {
        directives++;
      },
      Document: {
        leave() {
          if (directives > maxDirectives)
            context.reportError(limitError(`The document uses ${directives} directives; the limit is ${maxDirectives}.`));
        },
      },
    };
  };
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/**
 * Size assumed for a slicing argument given as a variable. Validation results are cached per
 * document, so the variable's value is not known here: assume the largest page gatehouse serves.
 */
export const VARIABLE_LIST_SIZE = 100;

function intValue(node: ValueNode | undefined): number | undefined {
  if (node === undefined) return undefined;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return VARIABLE_LIST_SIZE;
  return undefined;
}

/**
 * The number of items a field may return, from its slicing argument (as written, as a variable, or
 * its default), or DEFAULT_LIST_SIZE for an unbounded list; 1 for a single value.
 */
function multiplier(field: GraphQLField<unknown, unknown>, node: FieldNode, sizedByParent: boolean): number {
  for (const name of SLICING_ARGUMENTS) {
    const definition = field.args.find((a) => a.name === name);
    if (definition === undefined) continue;
    const written = intValue(node.arguments?.find((a) => a.name.value === name)?.value);
    const size = written ?? (typeof definition.defaultValue === 'number' ? definition.defaultValue : undefined);
    if (size !== undefined) return Math.max(1, size);
  }
  if (!isList(field.type)) return 1;
  return sizedByParent && SIZED_BY_PARENT.has(field.name) ? 1 : DEFAULT_LIST_SIZE;
}

/**
 * The estimated cost of an operation: each field costs 1, and what is selected under a list costs
 * once per item (the `first` argument, its default, or DEFAULT_LIST_SIZE; a variable counts as
 * VARIABLE_LIST_SIZE). `users(first: 100) { edges { node { apiKeys { id } } } }` costs
 * 1 + 100 × (1 + 1 + (1 + 10 × 1)) = 1301. Counting stops once it passes `cap`, so a document
 * built to explode through nested fragments costs no more than that to refuse.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  cap = Number.MAX_SAFE_INTEGER,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // A fragment costs the same wherever it is spread on the same type: remember it, so fragments
  // spreading each other cost one count each rather than 2^n. `work` bounds what is left (fields
  // that cost nothing, like __typename, still take time to visit).
  const fragmentCost = new Map<string, number>();
  let work = 0;
  const costOf = (selectionSet: SelectionSetNode, type: GraphQLNamedType, sizedByParent: boolean, visiting: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (++work > MAX_COST_WORK) return cap + 1;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const candidates = isObjectType(type) || isInterfaceType(type) ? [type] : isAbstractType(type) ? schema.getPossibleTypes(type) : [];
        let most = 0;
        for (const candidate of candidates) {
          const field = candidate.getFields()[selection.name.value];
          if (field === undefined) continue;
          const times = multiplier(field, selection, sizedByParent);
          const child = selection.selectionSet ? costOf(selection.selectionSet, getNamedType(field.type), times > 1, visiting) : 0;
          most = Math.max(most, 1 + times * child);
        }
        total += most;
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
        if (selection.kind === Kind.FRAGMENT_SPREAD && (fragment === undefined || visiting.has(fragment.name.value))) continue;
        const condition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragment?.typeCondition;
        const narrowed = condition ? (schema.getType(condition.name.value) ?? type) : type;
        const set = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : (fragment as FragmentDefinitionNode).selectionSet;
        if (fragment === undefined) {
          total += costOf(set, narrowed, sizedByParent, visiting);
        } else {
          const key = `${fragment.name.value}|${narrowed.name}|${sizedByParent}`;
          let known = fragmentCost.get(key);
          if (known === undefined) {
            visiting.add(fragment.name.value);
            known = costOf(set, narrowed, sizedByParent, visiting);
            visiting.delete(fragment.name.value);
            fragmentCost.set(key, known);
          }
          total += known;
        }
      }
      if (total > cap) return total;
    }
    return total;
  };
  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root, false, new Set()) : 0;
}

/** Refuses operations whose estimated cost (operationCost) exceeds `maxCost`. */
export function costLimitRule(maxCost: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      if (operationCost(context.getSchema(), context.getDocument(), node, maxCost) > maxCost) {
        context.reportError(
          limitError(`The operation's estimated cost is over ${maxCost}, the limit. Ask for fewer items (first) or fewer nested lists.`),
        );
      }
    },
  });
}

/** The validation rules for these limits, in the order their errors read best. */
export function limitRules(limits: OperationLimits) {
  return [
    depthLimitRule(limits.maxDepth),
    aliasLimitRule(limits.maxAliases),
    directiveLimitRule(limits.maxDirectives),
    costLimitRule(limits.maxCost),
  ];
}
