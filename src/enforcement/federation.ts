// What Apollo Federation's parts of a subgraph schema mean to gatehouse's rules. Federation's own root
// fields: `_entities` is open as a field, because every entity it returns passes its type's and
// fields' own rules (each field is guarded wherever its object comes from), and `_service` is open
// because the router reads `{ _service { sdl } }` to compose with no credential of its own
// (IntrospectAndCompose and rover send none by default); neither counts as an open root field in
// strict mode. Federation's directive names: `@authenticated` is gatehouse's `@auth`; its
// `@requiresScopes` and `@policy` take gatehouse's arguments and are read as gatehouse's
// (requirements.ts). A schema is a subgraph when its Query has federation's `_service: _Service!`.
import { type GraphQLSchema, getNamedType, getNullableType, isListType } from 'graphql';

/** Federation's root fields of a subgraph, by name. */
export const FEDERATION_ROOT_FIELDS: ReadonlySet<string> = new Set(['_service', '_entities']);

const subgraphs = new WeakMap<GraphQLSchema, boolean>();

/** True when `schema` is an Apollo Federation subgraph (its Query has `_service: _Service!`). */
export function isSubgraphSchema(schema: GraphQLSchema): boolean {
  let known = subgraphs.get(schema);
  if (known === undefined) {
    const service = schema.getQueryType()?.getFields()['_service'];
    known = service !== undefined && getNamedType(service.type).name === '_Service';
    subgraphs.set(schema, known);
  }
  return known;
}

/** True for `Query._service` and `Query._entities` of a subgraph: federation's, open by design (above). */
export function isFederationRootField(schema: GraphQLSchema, typeName: string, fieldName: string): boolean {
  if (!FEDERATION_ROOT_FIELDS.has(fieldName) || typeName !== schema.getQueryType()?.name || !isSubgraphSchema(schema)) return false;
  if (fieldName === '_service') return true;
  const entities = schema.getQueryType()?.getFields()['_entities'];
  return entities !== undefined && isListType(getNullableType(entities.type)) && getNamedType(entities.type).name === '_Entity';
}
