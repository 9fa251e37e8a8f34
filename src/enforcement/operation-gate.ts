// Decides, before any resolver runs, whether a whole operation may execute: a mutation (and, with
// REFUSE_DENIED_QUERIES, a query) that selects any field the viewer may not read is refused with one
// error per denied field and nothing changed. It makes no access decision of its own: each field's
// requirement comes from requirements.ts and its check from checks.ts. Uses only graphql's public API.
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  type GraphQLField,
  GraphQLError,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  type InlineFragmentNode,
  isAbstractType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { compileCheck, compileOwnerCheck } from './checks';
import { argumentRules, compileOrganizationCheck } from './organizations';
import { guardedRequirement, ownedObjectLoader } from './requirements';
import { loadOwned, type OwnedObjectLoader } from './ownership';
import { type PolicyCheck, policyCheckOf } from './policies';
import type { Viewer } from '../auth/viewer';
import { type ArgumentPlan, argumentPlan } from './argument-rules';
import { argumentDenial, withViewerValues } from './argument-values';

export type Conditional = FieldNode | InlineFragmentNode | FragmentSpreadNode;

/** One protected field an operation selects, on one possible parent type. */
interface Checkpoint {
  readonly path: readonly string[];
  readonly check: (viewer: Viewer | null) => GraphQLError | null;
  readonly node: FieldNode;
  /** Nodes on the way that carry @skip/@include: the field is selected only if all of them say so. */
  readonly conditions: readonly Conditional[];
  /** A field whose arguments carry rules or `@fromViewer`: what the request supplies is checked too. */
  readonly arguments?: { readonly plan: ArgumentPlan; readonly field: GraphQLField<unknown, unknown> };
  /** A root field with `@owner(loads: …)`: the object its id argument names is loaded and checked. */
  readonly owned?: {
    readonly field: GraphQLField<unknown, unknown>;
    readonly type: string;
    readonly idArgument: string;
    readonly loader: OwnedObjectLoader;
    readonly check: (viewer: Viewer | null, object: object) => GraphQLError | null;
  };
  /** `@inOrganization(argument: …)` (organizations.ts): decided from the field's arguments, before execution. */
  readonly organization?: {
    readonly field: GraphQLField<unknown, unknown>;
    readonly check: (viewer: Viewer | null, source: unknown, args: Readonly<Record<string, unknown>>) => GraphQLError | null;
  };
  /** A root field with `@policy`: decided on its arguments before anything runs. */
  readonly policy?: { readonly field: GraphQLField<unknown, unknown>; readonly check: PolicyCheck };
}

/** The `@inOrganization(argument: …)` decision of one checkpoint; null when the arguments do not coerce (execution refuses them). */
function organizationDenial(
  checkpoint: Checkpoint,
  viewer: Viewer | null,
  variables: Readonly<Record<string, unknown>>,
): GraphQLError | null {
  const organization = checkpoint.organization;
  if (organization === undefined) return null;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(organization.field, checkpoint.node, variables);
  } catch {
    return null;
  }
  return organization.check(viewer, undefined, args);
}

/** The types of `types` a fragment's type condition lets through (all of them without one). */
export function narrowTypes(
  schema: GraphQLSchema,
  types: readonly GraphQLObjectType[],
  condition: string | undefined,
): readonly GraphQLObjectType[] {
  if (condition === undefined) return types;
  const target = schema.getType(condition);
  if (isObjectType(target)) return types.filter((t) => t === target);
  if (isAbstractType(target)) return types.filter((t) => schema.isSubType(target, t));
  return [];
}

const nodeIds = new WeakMap<object, number>();
let nextNodeId = 0;

/** A stable identity for an AST node, for use in keys. */
function nodeId(node: object): number {
  let id = nodeIds.get(node);
  if (id === undefined) nodeIds.set(node, (id = nextNodeId++));
  return id;
}

function hasConditions(node: Conditional): boolean {
  return (node.directives ?? []).some((d) => d.name.value === 'skip' || d.name.value === 'include');
}

/** Is `node` selected once its @skip/@include are applied with `variables`? Also what the WebSocket transport asks of a subscription's root. */
export function included(node: Conditional, variables: Readonly<Record<string, unknown>>): boolean {
  try {
    const skip = getDirectiveValues(GraphQLSkipDirective, node, variables);
    if (skip?.['if'] === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, node, variables);
    return include?.['if'] !== false;
  } catch {
    return true; // A bad variable fails execution anyway; counting the field in is the safe side.
  }
}

/**
 * Lists every protected field an operation can reach, fragments expanded and every possible type
 * of an abstract field considered. Depends only on the schema and the document, so it is computed
 * once per document and cached; checking a viewer against it is then a loop over closures.
 */
function planOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Checkpoint[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return [];
  const checkpoints: Checkpoint[] = [];
  const checks = new Map<string, Checkpoint['check']>();
  // A fragment spread twice at the same place adds nothing the first spread did not: expanding it
  // once keeps a document whose fragments spread each other from costing 2^n.
  const expanded = new Set<string>();

  const narrow = (types: readonly GraphQLObjectType[], condition: string | undefined) => narrowTypes(schema, types, condition);

  const walk = (
    selectionSet: SelectionSetNode,
    types: readonly GraphQLObjectType[],
    path: readonly string[],
    conditions: readonly Conditional[],
    spreads: ReadonlySet<string>,
  ) => {
    for (const selection of selectionSet.selections) {
      const nextConditions = hasConditions(selection) ? [...conditions, selection] : conditions;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, narrow(types, selection.typeCondition?.name.value), path, nextConditions, spreads);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment === undefined || spreads.has(fragment.name.value)) continue;
        // Same fragment, same place, same types and the very same @skip/@include nodes on the way.
        const place = `${fragment.name.value}@${path.join('.')}:${types.map((t) => t.name).join(',')}:${nextConditions.map(nodeId).join(',')}`;
        if (expanded.has(place)) continue;
        expanded.add(place);
        walk(
          fragment.selectionSet,
          narrow(types, fragment.typeCondition.name.value),
          path,
          nextConditions,
          new Set([...spreads, fragment.name.value]),
        );
        continue;
      }
      if (selection.name.value.startsWith('__')) continue;
      const fieldPath = [...path, selection.alias?.value ?? selection.name.value];
      for (const type of types) {
        const field = type.getFields()[selection.name.value];
        if (field === undefined) continue;
        const requirement = guardedRequirement(field);
        if (requirement !== undefined) {
          const coordinate = `${type.name}.${field.name}`;
          let check = checks.get(coordinate);
          if (check === undefined) checks.set(coordinate, (check = compileCheck(requirement, coordinate)));
          const loader = path.length === 0 ? ownedObjectLoader(field) : undefined;
          const ownerCheck = compileOwnerCheck(requirement, coordinate);
          // Ownership on an object's field is decided on the object, during execution: its parent
          // does not exist before the operation runs. Root fields that take an id are decided here.
          const owned =
            loader !== undefined && ownerCheck !== null && requirement.owner?.loads
              ? { field, type: requirement.owner.loads, idArgument: requirement.owner.idArgument, loader, check: ownerCheck }
              : undefined;
          const organizationCheck = compileOrganizationCheck(argumentRules(requirement.organizations), coordinate, requirement.sources);
          const organization = organizationCheck === null ? undefined : { field, check: organizationCheck };
          const policyCheck = path.length === 0 ? policyCheckOf(field) : undefined;
          const policy = policyCheck === undefined ? undefined : { field, check: policyCheck };
          checkpoints.push({
            path: fieldPath,
            check,
            node: selection,
            conditions: nextConditions,
            ...(owned ? { owned } : {}),
            ...(organization ? { organization } : {}),
            ...(policy ? { policy } : {}),
          });
        }
        const plan = argumentPlan(field);
        if (plan !== undefined) {
          checkpoints.push({ path: fieldPath, check: allowed, node: selection, conditions: nextConditions, arguments: { plan, field } });
        }
        if (selection.selectionSet) {
          const named = getNamedType(field.type);
          const next = isObjectType(named) ? [named] : isAbstractType(named) ? schema.getPossibleTypes(named) : [];
          walk(selection.selectionSet, next, fieldPath, nextConditions, spreads);
        }
      }
    }
  };
  walk(operation.selectionSet, [root], [], [], new Set());
  return checkpoints;
}

export interface OperationGate {
  /**
   * One error (with path and code) per field of `operation` the viewer may not read, from what the
   * schema and the viewer alone decide; empty when it may run.
   */
  deniedFields(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    viewer: Viewer | null,
    variables: Readonly<Record<string, unknown>>,
  ): GraphQLError[];
  /**
   * One error per root field with `@owner(loads: …)` whose object the viewer may not use, or whose
   * `@policy` refuses the viewer on these arguments, for the fields deniedFields lets through. The
   * objects are loaded through `context` (the request's, so execution reuses them), every id of a
   * type in one batch; the policies' verdicts are remembered there too, so the resolver does not ask again.
   */
  deniedOwnership(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    viewer: Viewer | null,
    variables: Readonly<Record<string, unknown>>,
    context: object,
    /**
     * Which failed loads to throw rather than leave to execution: a subscribe passes the store's
     * isUnreachable, to answer a database outage SERVICE_UNAVAILABLE. Default: none.
     */
    options?: { readonly rethrow?: (error: unknown) => boolean },
  ): Promise<GraphQLError[]>;
}

/**
 * The ownership decision of a root field whose id argument names an object: null when the viewer
 * may go on, or when it cannot be decided here (arguments that do not coerce, an id that names
 * nothing, a loader that fails): execution then answers as it would, and the field's own check
 * still stands. A failed load that `rethrow` picks out is thrown instead.
 */
async function ownershipOf(
  checkpoint: Checkpoint,
  owned: NonNullable<Checkpoint['owned']>,
  viewer: Viewer | null,
  variables: Readonly<Record<string, unknown>>,
  context: object,
  rethrow: (error: unknown) => boolean,
): Promise<GraphQLError | null> {
  let id: unknown;
  try {
    id = getArgumentValues(owned.field, checkpoint.node, variables)[owned.idArgument];
  } catch {
    return null;
  }
  if (typeof id !== 'string') return null;
  let object: object | null;
  try {
    object = await loadOwned(context, owned.type, owned.loader, id);
  } catch (error) {
    if (rethrow(error)) throw error;
    return null;
  }
  return object === null ? null : owned.check(viewer, object);
}

/** The root policy decision of a checkpoint; null when its arguments do not coerce (execution answers that). */
async function policyOf(
  checkpoint: Checkpoint,
  policy: NonNullable<Checkpoint['policy']>,
  viewer: Viewer | null,
  variables: Readonly<Record<string, unknown>>,
  context: object,
): Promise<GraphQLError | null> {
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(policy.field, checkpoint.node, variables);
  } catch {
    return null;
  }
  return policy.check(viewer, undefined, args, context, checkpoint.path[0] ?? '');
}

const never = (): boolean => false;
const allowed = (): null => null;

/**
 * What a field's arguments deny: a supplied one the viewer may not use or must not supply, or a
 * non-null `@fromViewer` value the viewer lacks (arguments that do not coerce fail execution anyway).
 */
function argumentsDenial(
  { plan, field }: NonNullable<Checkpoint['arguments']>,
  node: FieldNode,
  variables: Readonly<Record<string, unknown>>,
  viewer: Viewer | null,
): GraphQLError | null {
  const denial = argumentDenial(plan, node, variables, viewer);
  if (denial !== null || !plan.hasFromViewer) return denial;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, variables);
  } catch {
    return null;
  }
  const injected = withViewerValues(plan, args, viewer);
  return injected instanceof GraphQLError ? injected : null;
}

/** Checks a whole operation against the viewer before it executes, with plans cached per document. */
export function createOperationGate(): OperationGate {
  const plans = new WeakMap<DocumentNode, Map<OperationDefinitionNode, Checkpoint[]>>();
  const planOf = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Checkpoint[] => {
    let byOperation = plans.get(document);
    if (byOperation === undefined) plans.set(document, (byOperation = new Map()));
    let plan = byOperation.get(operation);
    if (plan === undefined) byOperation.set(operation, (plan = planOperation(schema, document, operation)));
    return plan;
  };
  // The denial stays the located error's originalError: its rule and coordinate go on to the edge.
  const located = (checkpoint: Checkpoint, error: GraphQLError) =>
    new GraphQLError(error.message, { nodes: checkpoint.node, path: checkpoint.path, extensions: error.extensions, originalError: error });
  return {
    deniedFields(schema, document, operation, viewer, variables) {
      const denied = new Map<string, GraphQLError>();
      for (const checkpoint of planOf(schema, document, operation)) {
        const error =
          checkpoint.arguments === undefined
            ? (checkpoint.check(viewer) ?? organizationDenial(checkpoint, viewer, variables))
            : argumentsDenial(checkpoint.arguments, checkpoint.node, variables, viewer);
        if (error === null || !checkpoint.conditions.every((node) => included(node, variables))) continue;
        const key = checkpoint.path.join('.');
        if (!denied.has(key)) denied.set(key, located(checkpoint, error));
      }
      return [...denied.values()];
    },
    async deniedOwnership(schema, document, operation, viewer, variables, context, options) {
      const owned: Promise<{ checkpoint: Checkpoint; error: GraphQLError | null }>[] = [];
      for (const checkpoint of planOf(schema, document, operation)) {
        if ((checkpoint.owned === undefined && checkpoint.policy === undefined) || checkpoint.check(viewer) !== null) continue;
        if (!checkpoint.conditions.every((node) => included(node, variables))) continue;
        // Started together: ids of one type asked for in this tick go to the loader as one batch.
        if (checkpoint.owned !== undefined)
          owned.push(
            ownershipOf(checkpoint, checkpoint.owned, viewer, variables, context, options?.rethrow ?? never).then((error) => ({
              checkpoint,
              error,
            })),
          );
        if (checkpoint.policy !== undefined)
          owned.push(policyOf(checkpoint, checkpoint.policy, viewer, variables, context).then((error) => ({ checkpoint, error })));
      }
      const denied = new Map<string, GraphQLError>();
      for (const { checkpoint, error } of await Promise.all(owned)) {
        const key = checkpoint.path.join('.');
        if (error !== null && !denied.has(key)) denied.set(key, located(checkpoint, error));
      }
      return [...denied.values()];
    },
  };
}
