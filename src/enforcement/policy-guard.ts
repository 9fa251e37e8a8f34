// Puts a field's `@policy` decision (policies.ts) in front of its resolver. On an object's field the
// policy gets the parent; on a root field it gets the arguments and no object, and its verdict is
// remembered under the field's response key, so a mutation the gate let through does not ask again.
// A field returning a list of objects whose fields carry `{ batch }` policies decides them for the
// whole list before graphql descends into it (withListPriming): one call, and no promise per field.
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
} from 'graphql';
import type { AuthContext } from '../auth/viewer';
import { assertPolicyAlternatives, compilePolicyCheck, POLICY_EXTENSION, type Policies, primeObjects } from './policies';
import { type FieldRequirement, fieldRequirement } from './requirements';

/** `fieldConfig` with its policies decided before its resolver; unchanged when it has none. */
export function guardPolicies(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  requirement: FieldRequirement,
  coordinate: string,
  onRoot: boolean,
  policies: Policies | undefined,
): GraphQLFieldConfig<unknown, unknown> {
  if (requirement.policies.length === 0) return fieldConfig;
  for (const rule of requirement.policies) assertPolicyAlternatives(rule, coordinate);
  const written = requirement.sources.flatMap((source) =>
    source.policies !== undefined && source.rule !== undefined && source.reportOnly !== true ? [source.rule] : [],
  );
  // On an object's field with arguments, a verdict holds for those arguments only (policies.ts).
  const withArguments = !onRoot && Object.keys(fieldConfig.args ?? {}).length > 0;
  const check = compilePolicyCheck(
    requirement.policies,
    coordinate,
    policies,
    written.length === 0 ? null : written.join(' and '),
    withArguments,
  );
  const inner = fieldConfig.resolve ?? defaultFieldResolver;
  return {
    ...fieldConfig,
    extensions: { ...fieldConfig.extensions, [POLICY_EXTENSION]: check },
    resolve(source, args, context, info) {
      const viewer = (context as AuthContext | undefined)?.viewer ?? null;
      const object = onRoot || typeof source !== 'object' || source === null ? undefined : source;
      const verdict = check(viewer, object, args as Record<string, unknown>, context, onRoot ? String(info.path.key) : '', info.path.prev);
      if (verdict === null) return inner(source, args, context, info);
      if (!(verdict instanceof Promise)) throw verdict;
      return verdict.then((denial) => {
        if (denial !== null) throw denial;
        return inner(source, args, context, info);
      });
    },
  };
}

/** Per object type: the `{ batch }` policies its fields name, each with the first coordinate naming it. */
export type PolicyPrimingPlan = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** Which object types' lists are worth deciding ahead: those whose fields name `{ batch }` policies. */
export function policyPrimingPlan(schema: GraphQLSchema, policies: Policies | undefined): PolicyPrimingPlan {
  const plan = new Map<string, Map<string, string>>();
  if (policies === undefined) return plan;
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || roots.has(type.name)) continue;
    const names = new Map<string, string>();
    for (const field of Object.keys(type.getFields())) {
      for (const name of fieldRequirement(schema, type, field).policies.flat(2)) {
        const policy = policies[name];
        if (policy !== undefined && typeof policy !== 'function' && !names.has(name)) names.set(name, `${type.name}.${field}`);
      }
    }
    if (names.size > 0) plan.set(type.name, names);
  }
  return plan;
}

function collectObjects(value: unknown, into: object[]): void {
  if (Array.isArray(value)) for (const item of value) collectObjects(item, into);
  else if (typeof value === 'object' && value !== null && !(value instanceof Promise)) into.push(value);
}

/** A list field of a planned type: its value's objects are decided by the batch policies before it is returned. */
export function withListPriming(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  plan: PolicyPrimingPlan,
  policies: Policies | undefined,
): GraphQLFieldConfig<unknown, unknown> {
  const names = plan.get(getNamedType(fieldConfig.type).name);
  if (names === undefined || !isListType(getNullableType(fieldConfig.type))) return fieldConfig;
  const inner = fieldConfig.resolve ?? defaultFieldResolver;
  return {
    ...fieldConfig,
    resolve(source, args, context, info) {
      const prime = (list: unknown) => {
        const objects: object[] = [];
        collectObjects(list, objects);
        const viewer = (context as AuthContext | undefined)?.viewer ?? null;
        const primed = primeObjects(policies, names, objects, info.path, viewer, context);
        return primed === undefined ? list : primed.then(() => list);
      };
      const value = inner(source, args, context, info);
      return value instanceof Promise ? value.then(prime) : prime(value);
    },
  };
}
