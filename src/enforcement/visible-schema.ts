// The schema each caller may see: introspection answers with the fields the caller can reach, so
// anonymous callers see the public API, a USER what a USER may use, an ADMIN everything, and a scoped
// key or a key-refusing field (@credentials) is left out for the credentials it refuses. Executing a
// field is unaffected: a hidden field that is asked for still answers UNAUTHENTICATED / FORBIDDEN
// (directives.ts). The decision per field is the directives' own (compileCheck); nothing is
// decided here.
import { type ApolloServerPlugin, type GraphQLRequestListener, HeaderMap } from '@apollo/server';
import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import {
  BREAK,
  type DocumentNode,
  execute,
  getNamedType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  isEnumType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  validate,
  visit,
} from 'graphql';
import type { Viewer } from '../auth/viewer';
import type { GraphQLContext } from '../graphql/context';
import { compileCheck, type FieldRequirement, guardedRequirement } from './directives';

/**
 * What decides which fields a caller can reach: roles, credential kind and scopes. Callers with the
 * same key see the same schema.
 */
export function visibilityKey(viewer: Viewer | null): string {
  if (viewer === null) return 'anonymous';
  const scopes = viewer.scopes === undefined ? '*' : [...viewer.scopes].sort().join(' ');
  return `${[...viewer.roles].sort().join(',')}|${viewer.via}|${scopes}`;
}

/**
 * `schema` without the fields `viewer` cannot reach (their requirement refuses the viewer), without
 * the object types left with no field (and the fields that return them), and without the types no
 * remaining field uses. Fields with an ownership rule stay: the caller may own the object. A field an
 * interface declares stays, since the interface would otherwise be unimplemented. Resolvers are kept,
 * so the result also executes what it shows.
 */
export function buildVisibleSchema(
  schema: GraphQLSchema,
  viewer: Viewer | null,
  requirementOf: (type: GraphQLObjectType, field: GraphQLField<unknown, unknown>) => FieldRequirement | undefined = (_type, field) =>
    guardedRequirement(field),
): GraphQLSchema {
  const hidden = new Set<string>();
  const objectTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__'));
  const declaredByInterface = (typeName: string, field: string): boolean => {
    const type = schema.getType(typeName);
    return isObjectType(type) && type.getInterfaces().some((i) => i.getFields()[field] !== undefined);
  };
  for (const type of objectTypes) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const requirement = requirementOf(type, field);
      const coordinate = `${type.name}.${field.name}`;
      if (
        requirement !== undefined &&
        compileCheck(requirement, coordinate)(viewer) !== null &&
        !declaredByInterface(type.name, field.name)
      )
        hidden.add(coordinate);
    }
  }
  // A type whose every field is hidden cannot be shown; nor can the fields that return it.
  const empty = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const type of objectTypes) {
      if (!isObjectType(type) || empty.has(type.name)) continue;
      const fields = Object.values(type.getFields());
      for (const field of fields) {
        const coordinate = `${type.name}.${field.name}`;
        if (!hidden.has(coordinate) && empty.has(getNamedType(field.type).name) && !declaredByInterface(type.name, field.name)) {
          hidden.add(coordinate);
          changed = true;
        }
      }
      if (fields.every((field) => hidden.has(`${type.name}.${field.name}`))) {
        empty.add(type.name);
        changed = true;
      }
    }
  }
  const query = schema.getQueryType()?.name;
  const mapped = mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => (empty.has(type.name) && type.name !== query ? null : type),
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => (hidden.has(`${typeName}.${fieldName}`) ? null : fieldConfig),
  });
  return pruneSchema(mapped);
}

/** Visible schemas by caller, built once per schema and visibility key; at most `max` kept per schema. */
export function createVisibleSchemas(max = 256): (schema: GraphQLSchema, viewer: Viewer | null) => GraphQLSchema {
  const bySchema = new WeakMap<GraphQLSchema, Map<string, GraphQLSchema>>();
  return (schema, viewer) => {
    let cache = bySchema.get(schema);
    if (cache === undefined) bySchema.set(schema, (cache = new Map()));
    const key = visibilityKey(viewer);
    let visible = cache.get(key);
    if (visible === undefined) {
      visible = buildVisibleSchema(schema, viewer);
      // Keys from external tokens' scope sets are not bounded by gatehouse: drop the oldest.
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(key, visible);
    }
    return visible;
  };
}

const introspecting = new WeakMap<DocumentNode, boolean>();

/**
 * True when the operation reads `__schema` or `__type` anywhere (fragments included). Asked on every
 * query; Apollo hands repeated queries the same parsed document, so each is walked once.
 */
function introspects(document: DocumentNode): boolean {
  let known = introspecting.get(document);
  if (known === undefined) introspecting.set(document, (known = walkForIntrospection(document)));
  return known;
}

function walkForIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Runs every operation that introspects against the caller's visible schema, validated there first:
 * an operation that also names a field hidden from the caller is refused as invalid (for that
 * caller the field does not exist), which names nothing hidden. Other operations are untouched.
 * And "Did you mean …?" in validation errors is recomputed on the caller's visible schema, so it
 * suggests only what the caller can see (Apollo drops suggestions altogether in production).
 */
export function visibleSchemaPlugin(): ApolloServerPlugin<GraphQLContext> {
  const visibleFor = createVisibleSchemas();
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async willSendResponse({ response, document, schema, contextValue }) {
      if (document === undefined || response.body.kind !== 'single') return;
      const errors = response.body.singleResult.errors;
      if (!errors?.some((e) => e.message.includes(' Did you mean '))) return;
      const visible = visibleFor(schema, contextValue.viewer);
      const again = validate(visible, document).map((e) => e.message);
      response.body.singleResult.errors = errors.map((error) => {
        const at = error.message.indexOf(' Did you mean ');
        if (at === -1) return error;
        const statement = error.message.slice(0, at);
        // The same complaint on the visible schema suggests from what the caller sees; when it does
        // not arise there (the mistake sits under a field hidden from the caller), only suggested
        // names the visible schema has anywhere are kept.
        return { ...error, message: again.find((m) => m.startsWith(statement)) ?? suggestOnly(error.message, namesIn(visible)) };
      });
    },
    async responseForOperation({ operation, document, schema, contextValue, request }) {
      if (operation.operation !== 'query' || !introspects(document)) return null;
      const visible = visibleFor(schema, contextValue.viewer);
      const single = {
        ...document,
        definitions: document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation),
      };
      const invalid = validate(visible, single);
      if (invalid.length > 0) {
        return {
          http: { status: 400, headers: new HeaderMap() },
          body: {
            kind: 'single',
            singleResult: {
              errors: invalid.map((error) => ({
                message: error.message, // suggestions drawn from the visible schema
                ...(error.locations ? { locations: error.locations } : {}),
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              })),
            },
          },
        };
      }
      const result = await execute({
        schema: visible,
        document: single,
        operationName: (operation as OperationDefinitionNode).name?.value ?? null,
        variableValues: request.variables ?? {},
        contextValue,
      });
      return {
        http: { status: 200, headers: new HeaderMap() },
        body: {
          kind: 'single',
          singleResult: { data: result.data ?? null, ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}) },
        },
      };
    },
  };
  return { requestDidStart: async () => listeners };
}

const names = new WeakMap<GraphQLSchema, ReadonlySet<string>>();

/** Every type, field, argument and enum value name in `schema`. */
function namesIn(schema: GraphQLSchema): ReadonlySet<string> {
  let found = names.get(schema);
  if (found !== undefined) return found;
  const all = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    all.add(type.name);
    if ('getFields' in type) {
      for (const field of Object.values(type.getFields())) {
        all.add(field.name);
        for (const arg of 'args' in field ? field.args : []) all.add(arg.name);
      }
    }
    if (isEnumType(type)) for (const value of type.getValues()) all.add(value.name);
  }
  names.set(schema, (found = all));
  return found;
}

/**
 * A validation message whose "Did you mean …?" keeps only the suggested names in `allowed`
 * (graphql's wording: "X", "X" or "Y", "X", "Y", or "Z"); none left, no suggestion.
 */
export function suggestOnly(message: string, allowed: ReadonlySet<string>): string {
  const at = message.indexOf(' Did you mean ');
  if (at === -1) return message;
  const kept = [...message.slice(at).matchAll(/"([^"]*)"/g)].map((m) => m[1] as string).filter((name) => allowed.has(name));
  if (kept.length === 0) return message.slice(0, at);
  const quoted = kept.map((name) => `"${name}"`);
  const list =
    quoted.length === 1
      ? quoted[0]
      : quoted.length === 2
        ? `${quoted[0]} or ${quoted[1]}`
        : `${quoted.slice(0, -1).join(', ')}, or ${quoted.at(-1)}`;
  return `${message.slice(0, at)} Did you mean ${list}?`;
}
