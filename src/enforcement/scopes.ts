/**
 * What holding a scope means, in one place: the test `@requiresScopes` runs, the set of scopes a
 * schema knows, and the scopes a new API key may be given. Pure functions; the directive, the
 * mutation gate, the auth map and the API-key service all ask these.
 */
import { getDirective } from '@graphql-tools/utils';
import { type GraphQLSchema, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';

/**
 * `@requiresScopes(scopes: [[String!]!]!)`: the caller passes when its credential holds every scope
 * of at least one inner list (an OR of AND groups, as in Apollo Router and envelop).
 */
export type ScopeRequirement = readonly (readonly string[])[];

/**
 * True when `held` satisfies `required`. `held` undefined means every scope (gatehouse's own
 * sessions, unrestricted API keys); an empty requirement asks for nothing.
 */
export function holdsScopes(held: readonly string[] | undefined, required: ScopeRequirement): boolean {
  if (held === undefined || required.length === 0) return true;
  return required.some((group) => group.every((scope) => held.includes(scope)));
}

/** Combines the requirements of a type and its field: both must pass (every AND of one with every AND of the other). */
export function combineScopeRequirements(requirements: readonly ScopeRequirement[]): ScopeRequirement {
  let combined: (readonly string[])[] = [[]];
  let any = false;
  for (const requirement of requirements) {
    if (requirement.length === 0) continue;
    any = true;
    combined = combined.flatMap((left) => requirement.map((right) => [...new Set([...left, ...right])]));
  }
  return any ? combined : [];
}

const known = new WeakMap<GraphQLSchema, readonly string[]>();

/** Every scope named by a `@requiresScopes` in `schema` (on object and interface types, their fields and arguments, and input fields), sorted. */
export function knownScopes(schema: GraphQLSchema): readonly string[] {
  let scopes = known.get(schema);
  if (scopes !== undefined) return scopes;
  const found = new Set<string>();
  const read = (node: Parameters<typeof getDirective>[1]) => {
    for (const args of getDirective(schema, node, 'requiresScopes') ?? []) {
      for (const group of (args['scopes'] ?? []) as string[][]) for (const scope of group) found.add(scope);
    }
  };
  if (schema.getDirective('requiresScopes') !== undefined) {
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isInputObjectType(type)) for (const field of Object.values(type.getFields())) read(field);
      if (!(isObjectType(type) || isInterfaceType(type))) continue;
      read(type);
      for (const field of Object.values(type.getFields())) {
        read(field);
        for (const argument of field.args) read(argument);
      }
    }
  }
  scopes = Object.freeze([...found].sort());
  known.set(schema, scopes);
  return scopes;
}

/** The outcome of choosing a new key's scopes: what to store (null: every scope), or why not. */
export type KeyScopes =
  | { readonly ok: true; readonly scopes: readonly string[] | null }
  | { readonly ok: false; readonly problem: 'unknown'; readonly scopes: readonly string[] }
  | { readonly ok: false; readonly problem: 'not-held'; readonly scopes: readonly string[] };

/**
 * The scopes a key made by a caller holding `creator` gets. Asked for (`requested`): exactly those,
 * each one known to the schema and held by the creator. Not asked for: whatever the creator holds
 * (every scope for a caller that holds every scope, so such a key is as it was before scopes).
 */
export function scopesForNewKey(
  requested: readonly string[] | null | undefined,
  creator: readonly string[] | undefined,
  schemaScopes: readonly string[],
): KeyScopes {
  if (requested === null || requested === undefined) {
    return { ok: true, scopes: creator === undefined ? null : Object.freeze(schemaScopes.filter((s) => creator.includes(s))) };
  }
  const wanted = [...new Set(requested)];
  const unknown = wanted.filter((s) => !schemaScopes.includes(s));
  if (unknown.length > 0) return { ok: false, problem: 'unknown', scopes: unknown };
  const notHeld = creator === undefined ? [] : wanted.filter((s) => !creator.includes(s));
  if (notHeld.length > 0) return { ok: false, problem: 'not-held', scopes: notHeld };
  return { ok: true, scopes: Object.freeze(wanted.sort()) };
}
