// What a subgraph's `_entities` accepts as representations, before @apollo/subgraph's resolver reads
// them. Representations are `_Any`: any JSON the client (or the router) sends. @apollo/subgraph throws
// a plain Error for a `__typename` that names no object or interface type, and a representation of
// an object type that is no entity (`Query`, `__Schema`, a type without @key) fails later, in the
// `_Entity` union's type check; a string or a representation without `__typename` fails too. Each of
// those was answered INTERNAL_SERVER_ERROR and logged as a failure of ours (seen 2026-12-06), though
// the mistake is the caller's. Here every representation must be an object whose `__typename` names
// an entity (an object type of `_Entity`, or an interface with @key), else the field is refused
// with BAD_USER_INPUT naming the representation's position. The message is the same for a type that
// does not exist and one that is no entity: it tells nothing `_service { sdl }` does not.
// How many: each representation is an object to load and answer, which the operation's estimated
// cost (limits.ts, from the document alone) cannot see: it counts `_entities` as a list of 10. Behind
// a 50 MB body limit (Apollo's standalone server) a request could ask for 750,000 loads. Each
// representation counts 1 toward MAX_QUERY_COST, summed over the request's `_entities` fields (an
// alias each would multiply it): past that, the field is refused before any load.
// Also, a `__resolveReference` that throws (rather than rejects) made @apollo/subgraph's map throw,
// and the whole list was null: turned into a rejection, it nulls only its own entity (still masked,
// with the request id).
import { type GraphQLFieldResolver, type GraphQLSchema, isInterfaceType, isUnionType } from 'graphql';
import type { GraphQLContext } from './context';
import { withClosedEntitiesDenied } from './entity-access';
import { badUserInput } from './errors';

const entityNames = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
/** Representations asked for so far, by request context. */
const asked = new WeakMap<object, number>();

/** The names a representation's `__typename` may take in `schema`. */
function entitiesOf(schema: GraphQLSchema): ReadonlySet<string> {
  let names = entityNames.get(schema);
  if (names !== undefined) return names;
  const union = schema.getType('_Entity');
  const found = new Set<string>(isUnionType(union) ? union.getTypes().map((type) => type.name) : []);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isInterfaceType(type)) continue;
    const keyed = [type.astNode, ...type.extensionASTNodes].some((node) => (node?.directives ?? []).some((d) => d.name.value === 'key'));
    if (keyed) found.add(type.name);
  }
  entityNames.set(schema, (names = found));
  return names;
}

/** The position of the first representation that is not an entity's, or -1. */
export function firstForeignRepresentation(schema: GraphQLSchema, representations: unknown): number {
  if (!Array.isArray(representations)) return 0;
  const entities = entitiesOf(schema);
  return representations.findIndex((representation: unknown) => {
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) return true;
    const typename = (representation as { __typename?: unknown }).__typename;
    return typeof typename !== 'string' || !entities.has(typename);
  });
}

/** `_entities`'s resolver, refusing representations of no entity before federation's resolver reads them. */
export function checkedEntities(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => {
    const representations = (args as { representations?: unknown }).representations;
    const limit = (context as Partial<GraphQLContext> | null)?.app?.config.operationLimits.maxCost;
    if (limit !== undefined && Array.isArray(representations)) {
      const total = (asked.get(context as object) ?? 0) + representations.length;
      asked.set(context as object, total);
      if (total > limit)
        throw badUserInput(
          `This request asks _entities for ${total} representations; one request may ask for at most ${limit} (MAX_QUERY_COST).`,
          'representations',
        );
    }
    const foreign = firstForeignRepresentation(info.schema, representations);
    if (foreign !== -1)
      throw badUserInput(
        `Representation ${foreign} of _entities is not an entity's: each must be an object whose "__typename" names an entity type of this subgraph.`,
        'representations',
      );
    // Every representation is now an entity's object, with its __typename.
    const checked = representations as readonly { readonly __typename: string }[];
    const viewer = (context as Partial<GraphQLContext> | null)?.viewer ?? null;
    return withClosedEntitiesDenied(info.schema, checked, viewer, (open) =>
      resolve(source, { ...args, representations: open }, context, info),
    );
  };
}

/** A `__resolveReference` whose throw becomes a rejection: one failed reference nulls only its own entity. */
export function rejectingReference<Args extends unknown[]>(reference: (...args: Args) => unknown): (...args: Args) => unknown {
  return (...args) => {
    try {
      return reference(...args);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
