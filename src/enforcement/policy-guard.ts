// Puts a field's `@policy` decision (policies.ts) in front of its resolver. On an object's field the
// policy gets the parent; on a root field it gets the arguments and no object, and its verdict is
// remembered under the field's response key, so a mutation the gate let through does not ask again.
import { defaultFieldResolver, type GraphQLFieldConfig } from 'graphql';
import type { AuthContext } from '../auth/viewer';
import { assertPolicyAlternatives, compilePolicyCheck, POLICY_EXTENSION, type Policies } from './policies';
import type { FieldRequirement } from './requirements';

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
  const check = compilePolicyCheck(requirement.policies, coordinate, policies);
  const inner = fieldConfig.resolve ?? defaultFieldResolver;
  return {
    ...fieldConfig,
    extensions: { ...fieldConfig.extensions, [POLICY_EXTENSION]: check },
    resolve(source, args, context, info) {
      const viewer = (context as AuthContext | undefined)?.viewer ?? null;
      const object = onRoot || typeof source !== 'object' || source === null ? undefined : source;
      const verdict = check(viewer, object, args as Record<string, unknown>, context, onRoot ? String(info.path.key) : '');
      if (verdict === null) return inner(source, args, context, info);
      if (!(verdict instanceof Promise)) throw verdict;
      return verdict.then((denial) => {
        if (denial !== null) throw denial;
        return inner(source, args, context, info);
      });
    },
  };
}
