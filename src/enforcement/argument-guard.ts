// Enforces argument rules and `@fromViewer` in the served schema (applyAuthDirectives calls it):
// a field whose arguments carry a rule gets a resolver (and, on a subscription field, a subscribe)
// that refuses what the request may not supply and puts the credential's values in; a `@fromViewer`
// argument or input field is served nullable and without a default, so a client that omits it (as
// every client must) passes validation, and it carries the marks the visible schema hides it by.
// Fields none of whose arguments carry either are left exactly as they were. Rules beside
// `@reportOnly` refuse nothing: the resolver tells what they would have refused to `onWouldDeny`.
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLInputFieldConfig,
  type GraphQLSchema,
  getNullableType,
  isInputObjectType,
} from 'graphql';
import type { AuthContext } from '../auth/viewer';
import {
  ARGUMENT_PLAN_EXTENSION,
  type ArgumentPlan,
  FROM_VIEWER_EXTENSION,
  fromViewerOf,
  SLOT_RULE_EXTENSION,
  slotRule,
} from './argument-rules';
import { argumentDenial, argumentWouldDeny, withViewerValues } from './argument-values';
import type { Denial } from './denials';

type Resolver = GraphQLFieldResolver<unknown, unknown>;

/** Told of each request a rule beside `@reportOnly` would have refused (applyAuthDirectives' option). */
export type WouldDenySink = (denial: Denial, context: unknown) => void;

/**
 * `resolve` with the field's argument denial and its credential values first. With `report`, what
 * the report-only rules would deny is told to it (a subscription's `subscribe` gets none: its
 * `resolve` reports, once per event, as a report-only rule on the field itself does).
 */
function guarded(plan: ArgumentPlan, resolve: Resolver, report?: WouldDenySink): Resolver {
  return (source, args, context, info) => {
    const node = info.fieldNodes[0]!;
    // The common case, a selection that writes no argument: nothing is supplied, nothing to put in.
    if (!plan.hasFromViewer && (node.arguments === undefined || node.arguments.length === 0)) return resolve(source, args, context, info);
    const viewer = (context as AuthContext | undefined)?.viewer ?? null;
    const denial = argumentDenial(plan, node, info.variableValues, viewer);
    if (denial !== null) throw denial;
    if (report !== undefined) {
      const wouldDeny = argumentWouldDeny(plan, node, info.variableValues, viewer);
      if (wouldDeny !== null) report(wouldDeny, context);
    }
    if (!plan.hasFromViewer) return resolve(source, args, context, info);
    const injected = withViewerValues(plan, args as Record<string, unknown>, viewer);
    if (injected instanceof Error) throw injected;
    return resolve(source, injected, context, info);
  };
}

/** The field as served: its arguments' marks, `@fromViewer` ones made optional, and the guard. */
export function withArgumentRules(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  plan: ArgumentPlan,
  onWouldDeny?: WouldDenySink,
): GraphQLFieldConfig<unknown, unknown> {
  const args = servedArguments(fieldConfig, plan);
  return {
    ...fieldConfig,
    args,
    extensions: { ...fieldConfig.extensions, [ARGUMENT_PLAN_EXTENSION]: plan },
    resolve: guarded(plan, fieldConfig.resolve ?? defaultFieldResolver, plan.hasReportOnly ? onWouldDeny : undefined),
    ...(fieldConfig.subscribe === undefined ? {} : { subscribe: guarded(plan, fieldConfig.subscribe) }),
  };
}

/** An input field as served: marked with its rule, or optional and marked when it is `@fromViewer`. */
export function servedInputField(
  schema: GraphQLSchema,
  fieldConfig: GraphQLInputFieldConfig,
  fieldName: string,
  typeName: string,
): GraphQLInputFieldConfig {
  const type = schema.getType(typeName);
  const field = isInputObjectType(type) ? type.getFields()[fieldName] : undefined;
  if (field === undefined) return fieldConfig;
  const coordinate = `${typeName}.${fieldName}`;
  const fromViewer = fromViewerOf(schema, field, coordinate);
  if (fromViewer !== null) {
    const { defaultValue: _dropped, ...rest } = fieldConfig;
    return {
      ...rest,
      type: getNullableType(fieldConfig.type),
      extensions: { ...fieldConfig.extensions, [FROM_VIEWER_EXTENSION]: fromViewer.path },
    };
  }
  const requirement = slotRule(schema, field, coordinate);
  return requirement === null
    ? fieldConfig
    : { ...fieldConfig, extensions: { ...fieldConfig.extensions, [SLOT_RULE_EXTENSION]: requirement } };
}

/**
 * The field's arguments as served: a `@fromViewer` one nullable, without a default and marked (the
 * client never sends it), one with a rule marked with it. Also for an interface's field, whose
 * arguments its implementations must match.
 */
export function servedArguments(
  fieldConfig: Pick<GraphQLFieldConfig<unknown, unknown>, 'args'>,
  plan: ArgumentPlan,
): NonNullable<GraphQLFieldConfig<unknown, unknown>['args']> {
  const args = { ...fieldConfig.args };
  for (const [name, slot] of plan.slots) {
    const argument = args[name];
    if (argument === undefined) continue;
    if (slot.fromViewer !== null) {
      const { defaultValue: _dropped, ...rest } = argument;
      args[name] = {
        ...rest,
        type: getNullableType(argument.type),
        extensions: { ...argument.extensions, [FROM_VIEWER_EXTENSION]: slot.fromViewer.path },
      };
    } else if (slot.requirement !== null) {
      args[name] = { ...argument, extensions: { ...argument.extensions, [SLOT_RULE_EXTENSION]: slot.requirement } };
    }
  }
  return args;
}
