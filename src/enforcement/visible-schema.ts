// The schema each caller may see: the fields the caller can reach and the types they use, so that
// introspection (visible-introspection.ts) and `auth-map --as` show anonymous callers the public
// API, a USER what a USER may use, an ADMIN everything, and an API key or a scoped credential
// nothing it would be refused. Whether a viewer may reach a field is the field guard's own static
// check (compileCheck in checks.ts: signed in, roles, credential kind, scopes); nothing is
// decided here. An @owner rule is decided on the object at run time, so a field whose other
// requirements pass stays visible: the caller may own the object (User.email for anyone, since the
// user signUp returns may read its own; deleteNote for a signed-in caller with notes:write).
import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import {
  getNamedType,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';
import type { Viewer } from '../auth/viewer';
import { compileCheck } from './checks';
import { type FieldRequirement, guardedRequirement } from './requirements';
import { knownScopes } from './scopes';
import { hiddenArgumentsAndInputFields } from './visible-arguments';

/** Reads a field's requirement; by default the one the field guard stored (an enforced schema). */
export type RequirementOf = (type: GraphQLObjectType, field: GraphQLField<unknown, unknown>) => FieldRequirement | undefined;

const guarded: RequirementOf = (_type, field) => guardedRequirement(field);

/**
 * What decides which fields a caller can reach: roles, credential kind, and the scopes it holds among
 * those the schema names (others change nothing). Callers with the same key see the same schema.
 */
export function visibilityKey(schema: GraphQLSchema, viewer: Viewer | null): string {
  if (viewer === null) return 'anonymous';
  const scopes =
    viewer.scopes === undefined
      ? '*'
      : knownScopes(schema)
          .filter((scope) => viewer.scopes?.includes(scope))
          .join(' ');
  return `${[...new Set(viewer.roles)].sort().join(',')}|${viewer.via}|${scopes}`;
}

/**
 * `schema` as `viewer` may see it: without the fields whose requirement refuses the viewer, without
 * the object and interface types left with no field (and the fields that return them, and unions
 * left with no member), and without the types no remaining field uses. An interface loses a field
 * that one of its implementations hides, so no implementation has to show it. Resolvers are kept.
 */
export function buildVisibleSchema(schema: GraphQLSchema, viewer: Viewer | null, requirementOf: RequirementOf = guarded): GraphQLSchema {
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  const withFields = types.filter((t): t is GraphQLObjectType | GraphQLInterfaceType => isObjectType(t) || isInterfaceType(t));
  const hidden = new Set<string>();
  for (const type of withFields) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const requirement = requirementOf(type, field);
      const coordinate = `${type.name}.${field.name}`;
      if (requirement !== undefined && compileCheck(requirement, coordinate)(viewer) !== null) hidden.add(coordinate);
    }
  }
  // Arguments and input fields the viewer may not supply, and every @fromViewer one (argument-slots.ts).
  const hiddenSlots = hiddenArgumentsAndInputFields(schema, viewer, hidden);
  // Hiding spreads until nothing changes: a type with no field left is gone, and so is every field
  // that returns it; an interface field goes when an implementation's goes.
  const empty = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    const hide = (coordinate: string) => {
      if (hidden.has(coordinate)) return;
      hidden.add(coordinate);
      changed = true;
    };
    for (const type of withFields) {
      if (empty.has(type.name)) continue;
      const fields = Object.values(type.getFields());
      for (const field of fields) if (empty.has(getNamedType(field.type).name)) hide(`${type.name}.${field.name}`);
      if (isObjectType(type)) {
        for (const iface of type.getInterfaces()) {
          for (const name of Object.keys(iface.getFields())) if (hidden.has(`${type.name}.${name}`)) hide(`${iface.name}.${name}`);
        }
      }
      if (fields.every((field) => hidden.has(`${type.name}.${field.name}`))) {
        empty.add(type.name);
        changed = true;
      }
    }
    for (const union of types) {
      if (isUnionType(union) && !empty.has(union.name) && union.getTypes().every((member) => empty.has(member.name))) {
        empty.add(union.name);
        changed = true;
      }
    }
  }
  const query = schema.getQueryType()?.name;
  const dropEmpty = <T extends { name: string }>(type: T): T | null => (empty.has(type.name) && type.name !== query ? null : type);
  const dropHidden = <F extends { args?: Record<string, unknown> | null }>(field: F, name: string, typeName: string): F | null => {
    const coordinate = `${typeName}.${name}`;
    if (hidden.has(coordinate)) return null;
    const args = Object.keys(field.args ?? {});
    if (!args.some((arg) => hiddenSlots.has(`${coordinate}(${arg})`))) return field;
    return {
      ...field,
      args: Object.fromEntries(Object.entries(field.args ?? {}).filter(([arg]) => !hiddenSlots.has(`${coordinate}(${arg})`))),
    };
  };
  return pruneSchema(
    mapSchema(schema, {
      [MapperKind.OBJECT_TYPE]: dropEmpty,
      [MapperKind.INTERFACE_TYPE]: dropEmpty,
      [MapperKind.UNION_TYPE]: dropEmpty,
      [MapperKind.OBJECT_FIELD]: dropHidden,
      [MapperKind.INTERFACE_FIELD]: dropHidden,
      [MapperKind.INPUT_OBJECT_FIELD]: (field, fieldName, typeName) => (hiddenSlots.has(`${typeName}.${fieldName}`) ? null : field),
      [MapperKind.INPUT_OBJECT_TYPE]: (type) => (hiddenSlots.has(type.name) ? null : type),
    }),
  );
}

/** At most this many visible schemas are kept per schema; scope sets from external tokens are not bounded by gatehouse. */
export const VISIBLE_SCHEMAS_KEPT = 256;

interface VisibleSchemaCache {
  readonly byKey: Map<string, GraphQLSchema>;
  builds: number;
}

const caches = new WeakMap<GraphQLSchema, VisibleSchemaCache>();

function cacheOf(schema: GraphQLSchema): VisibleSchemaCache {
  let cache = caches.get(schema);
  if (cache === undefined) caches.set(schema, (cache = { byKey: new Map(), builds: 0 }));
  return cache;
}

/**
 * The schema `viewer` may see of the enforced `schema`, built once per visibility key and kept (the
 * least recently used is dropped beyond VISIBLE_SCHEMAS_KEPT). A visible schema depends only on the
 * schema and the key, so one cache serves every server built on the same schema.
 */
export function visibleSchemaFor(schema: GraphQLSchema, viewer: Viewer | null): GraphQLSchema {
  const cache = cacheOf(schema);
  const key = visibilityKey(schema, viewer);
  let visible = cache.byKey.get(key);
  if (visible !== undefined) {
    cache.byKey.delete(key);
  } else {
    visible = buildVisibleSchema(schema, viewer);
    cache.builds++;
    if (cache.byKey.size >= VISIBLE_SCHEMAS_KEPT) cache.byKey.delete(cache.byKey.keys().next().value as string);
  }
  cache.byKey.set(key, visible);
  return visible;
}

/** How many visible schemas have been built for `schema` so far (each build costs milliseconds). */
export function visibleSchemaBuilds(schema: GraphQLSchema): number {
  return caches.get(schema)?.builds ?? 0;
}
