// Entities of a type the caller can read nothing of, by the rules that need no object (roles,
// signed in, scopes, credential kinds): refused before their `__resolveReference` runs. A root field
// with such a rule refuses before loading anything; `_entities` loaded first and denied each field
// after, which told the caller which ids exist: an existing `Vault` (`@hasRole(role: ADMIN)` on the
// type) answered a denial at its fields, or `{ __typename: "Vault" }`, and a missing one answered
// null with no error (seen 2026-12-06). Now both answer the same denial at the entity's position,
// and nothing is loaded for them. A type with one field the caller may read (a `@public` field, no
// rule, or a rule decided on the object: @owner, @inOrganization, @policy) is loaded as before.
import type { GraphQLError, GraphQLField, GraphQLSchema } from 'graphql';
import { isInterfaceType, isObjectType } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { compileCheck } from '../enforcement/checks';
import { guardedRequirement } from '../enforcement/requirements';

type StaticCheck = (viewer: Viewer | null) => GraphQLError | null;

/** Per field of an enforced schema: its rules that need no object, or null when it has none. */
const checks = new WeakMap<GraphQLField<unknown, unknown>, StaticCheck | null>();

function staticCheckOf(typeName: string, field: GraphQLField<unknown, unknown>): StaticCheck | null {
  let check = checks.get(field);
  if (check === undefined) {
    const requirement = guardedRequirement(field);
    check = requirement === undefined || !requirement.signedIn ? null : compileCheck(requirement, `${typeName}.${field.name}`);
    checks.set(field, check);
  }
  return check;
}

/**
 * The denial of an entity of `typeName` for `viewer` when no field of the type (of every type
 * an entity interface may resolve to) is open to the viewer by its object-free rules (the first
 * field's denial), else null.
 */
export function closedEntity(schema: GraphQLSchema, typeName: string, viewer: Viewer | null): GraphQLError | null {
  const type = schema.getType(typeName);
  // An entity interface's reference may resolve to any of its types: closed when each of them is
  // (else `{ __typename: "Hoard" }` told which ids of a closed Vault exist, as the type itself did).
  if (isInterfaceType(type)) {
    let first: GraphQLError | null = null;
    for (const possible of schema.getPossibleTypes(type)) {
      const denial = closedEntity(schema, possible.name, viewer);
      if (denial === null) return null;
      first ??= denial;
    }
    return first;
  }
  if (!isObjectType(type)) return null;
  let first: GraphQLError | null = null;
  for (const field of Object.values(type.getFields())) {
    const check = staticCheckOf(type.name, field);
    const denial = check === null ? null : check(viewer);
    if (denial === null) return null;
    first ??= denial;
  }
  return first;
}

/**
 * Runs `resolve` (federation's `_entities`) on the representations of types open to the viewer, and
 * puts each closed one's denial at its position: graphql answers an Error in a list as that item's
 * error, with its path.
 */
export function withClosedEntitiesDenied(
  schema: GraphQLSchema,
  representations: readonly { readonly __typename: string }[],
  viewer: Viewer | null,
  resolve: (open: readonly unknown[]) => unknown,
): unknown {
  // Decided once per type: a batch holds hundreds of one type, and a closed type's denial is made per field.
  const byType = new Map<string, GraphQLError | null>();
  const denials = representations.map(({ __typename: typename }) => {
    let denial = byType.get(typename);
    if (denial === undefined) byType.set(typename, (denial = closedEntity(schema, typename, viewer)));
    return denial;
  });
  if (denials.every((denial) => denial === null)) return resolve(representations);
  const resolved = resolve(representations.filter((_, i) => denials[i] === null));
  const merge = (open: unknown) => {
    const items = open as readonly unknown[];
    let next = 0;
    return denials.map((denial) => denial ?? items[next++]);
  };
  return resolved instanceof Promise ? resolved.then(merge) : merge(resolved);
}
