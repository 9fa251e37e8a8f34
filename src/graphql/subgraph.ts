// gatehouse's schema as an Apollo Federation 2 subgraph (`{ subgraph: true }`): the same SDL and
// resolvers as buildSourceSchema, built by @apollo/subgraph's buildSubgraphSchema with a `@link` to
// federation v2.9, gatehouse's `User` as an entity (`@key(fields: "id")`, resolved through the
// request's user loader), and federation's `_service` and `_entities`. The rules are applied after
// (apply-directives.ts through schema.ts), so an entity fetched through `_entities` passes the same
// field guards as one reached from `me`; src/enforcement/federation.ts says how the two root fields and
// federation's own directive names count.
//
// The collision rule (SubgraphOptions.authDirectives): by default `@authenticated`, `@requiresScopes`
// and `@policy` are federation's (imported by the `@link` below, with federation's definitions);
// they take the same arguments as gatehouse's (an OR of AND lists), so gatehouse enforces them
// unchanged, and composition carries them into the supergraph, where Apollo Router enforces them
// too. Federation allows them on fields, objects, interfaces, scalars and enums only: on an
// argument or input field, a subgraph uses @auth, @hasRole or @credentials. @apollo/gateway refuses
// a supergraph that uses them (it cannot enforce them): with `authDirectives: 'gatehouse'` they are
// not imported, gatehouse's own `@requiresScopes` and `@policy` stay, private to the subgraph (not
// composed), and `@authenticated` does not exist (write `@auth`).
import { mergeResolvers } from '@graphql-tools/merge';
import { addResolversToSchema } from '@graphql-tools/schema';
import { type IResolvers, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  type DefinitionNode,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type GraphQLSchema,
  GraphQLInterfaceType,
  GraphQLObjectType,
  isObjectType,
  Kind,
  parse,
  print,
  visit,
} from 'graphql';
import { fieldRequirement, objectDependencies } from '../enforcement/requirements';
import { validId } from '../services/validation';
import type { GraphQLContext } from './context';
import { checkedEntities, rejectingReference } from './entity-representations';

/** The federation version gatehouse links: the first with @authenticated, @requiresScopes and @policy is 2.6. */
export const FEDERATION_URL = 'https://specs.apollo.dev/federation/v2.9';

/** How a subgraph is built; `subgraph: true` takes every default. */
export interface SubgraphOptions {
  /**
   * Whose `@authenticated`, `@requiresScopes` and `@policy` the SDL writes. `'federation'` (default):
   * federation's, composed into the supergraph and enforced by Apollo Router and again by gatehouse.
   * `'gatehouse'`: gatehouse's own, enforced by gatehouse only and not composed (what @apollo/gateway
   * needs: it refuses a supergraph that uses federation's); there is no `@authenticated`, write `@auth`.
   */
  readonly authDirectives?: 'federation' | 'gatehouse';
}

/** Federation's directives whose names gatehouse's rules share (see the collision rule above). */
const FEDERATION_AUTH_IMPORTS: readonly string[] = ['@authenticated', '@requiresScopes', '@policy'];

/** What the `@link` imports besides those: federation's directives under their own names. */
export const FEDERATION_IMPORTS: readonly string[] = [
  '@key',
  '@shareable',
  '@external',
  '@requires',
  '@provides',
  '@inaccessible',
  '@override',
  '@tag',
  '@interfaceObject',
  '@composeDirective',
];

/** gatehouse's directives that federation defines in a subgraph (see the collision rule above). */
const FEDERATION_DEFINED: ReadonlySet<string> = new Set(['requiresScopes', 'policy']);

/** gatehouse's account types that are entities, and their key. */
const ACCOUNT_ENTITIES: Readonly<Record<string, string>> = { User: 'id' };

/** A schema that cannot be a subgraph as written; thrown at build, before anything listens. */
export class SubgraphSchemaError extends Error {
  override readonly name = 'SubgraphSchemaError';
}

/** An SDL part as a document. */
function asDocument(part: string | DocumentNode): DocumentNode {
  return typeof part === 'string' ? parse(part) : part;
}

function isFederationLink(node: DefinitionNode): boolean {
  if (node.kind !== Kind.SCHEMA_DEFINITION && node.kind !== Kind.SCHEMA_EXTENSION) return false;
  return (node.directives ?? []).some(
    (d) =>
      d.name.value === 'link' &&
      (d.arguments ?? []).some((a) => a.name.value === 'url' && a.value.kind === Kind.STRING && a.value.value.includes('/federation/')),
  );
}

function keyDirective(fields: string): ConstDirectiveNode {
  const value: ConstValueNode = { kind: Kind.STRING, value: fields };
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'key' },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'fields' }, value }],
  };
}

/**
 * The subgraph's SDL: the federation `@link`, then `parts` (gatehouse's directive SDL first) with
 * the directives federation defines left out and `@key` added to gatehouse's account entities. An
 * application's own federation `@link` is refused: there is one, and gatehouse writes it.
 */
export function subgraphTypeDefs(
  directiveSdl: string,
  parts: readonly (string | DocumentNode)[],
  options: SubgraphOptions = {},
): DocumentNode {
  const federationAuth = (options.authDirectives ?? 'federation') === 'federation';
  const imports = [...FEDERATION_IMPORTS, ...(federationAuth ? FEDERATION_AUTH_IMPORTS : [])];
  const link = `extend schema @link(url: "${FEDERATION_URL}", import: [${imports.map((i) => `"${i}"`).join(', ')}])`;
  const directives = asDocument(directiveSdl).definitions.filter(
    (node) => !(federationAuth && node.kind === Kind.DIRECTIVE_DEFINITION && FEDERATION_DEFINED.has(node.name.value)),
  );
  const rest = parts.flatMap((part) => asDocument(part).definitions);
  if (rest.some(isFederationLink)) {
    throw new SubgraphSchemaError(
      `gatehouse links Apollo Federation itself (${FEDERATION_URL}, importing ${imports.join(', ')}): remove the schema's own federation @link.`,
    );
  }
  const keyed = new Set<string>();
  const definitions = rest.map((node) => {
    const key = node.kind === Kind.OBJECT_TYPE_DEFINITION ? ACCOUNT_ENTITIES[node.name.value] : undefined;
    if (key === undefined || node.kind !== Kind.OBJECT_TYPE_DEFINITION || keyed.has(node.name.value)) return node;
    keyed.add(node.name.value);
    return { ...node, directives: [...(node.directives ?? []), keyDirective(key)] };
  });
  return { kind: Kind.DOCUMENT, definitions: [...parse(link).definitions, ...directives, ...definitions] };
}

/** A valid id in its stored form, or null (a reference with a malformed id names no user). */
function storedId(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  try {
    return validId(raw);
  } catch {
    return null;
  }
}

/** gatehouse's entities resolved from a reference: the stored row, through the request's loader. */
const accountReferences: Readonly<Record<string, (reference: Record<string, unknown>, context: GraphQLContext) => unknown>> = {
  User: (reference, context) => {
    const id = storedId(reference['id']);
    return id === null ? null : context.loaders.userById.load(id);
  },
};

type ReferenceResolver = (reference: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/**
 * The resolver maps without their `__resolveReference` entries, and those entries by type. graphql-tools
 * would store them where a later mapSchema drops them; federation reads them from the type's
 * `extensions.apollo.subgraph`, which every mapSchema keeps.
 */
function splitReferences(resolvers: readonly IResolvers[]): { maps: IResolvers[]; references: Map<string, ReferenceResolver> } {
  const references = new Map<string, ReferenceResolver>();
  for (const [type, resolve] of Object.entries(accountReferences)) references.set(type, (ref, ctx) => resolve(ref, ctx as GraphQLContext));
  const maps = resolvers.map((map) => {
    const copy: Record<string, unknown> = {};
    for (const [type, entry] of Object.entries(map)) {
      const fields = entry as Record<string, unknown> | undefined;
      const reference = typeof fields === 'object' && fields !== null ? fields['__resolveReference'] : undefined;
      if (typeof reference !== 'function') {
        copy[type] = entry;
        continue;
      }
      references.set(type, rejectingReference(reference as ReferenceResolver));
      const { __resolveReference: _dropped, ...others } = fields as Record<string, unknown>;
      copy[type] = others;
    }
    return copy as IResolvers;
  });
  return { maps, references };
}

/** The SDL without the arguments and input fields a `@fromViewer` fills: no client supplies them. */
export function withoutViewerValues(sdl: string): string {
  const fromViewer = (node: { directives?: readonly { name: { value: string } }[] }) =>
    (node.directives ?? []).some((d) => d.name.value === 'fromViewer');
  return print(
    visit(parse(sdl), {
      FieldDefinition: (node) =>
        node.arguments?.some(fromViewer) ? { ...node, arguments: node.arguments.filter((a) => !fromViewer(a)) } : undefined,
      InputObjectTypeDefinition: (node) =>
        node.fields?.some(fromViewer) ? { ...node, fields: node.fields.filter((f) => !fromViewer(f)) } : undefined,
    }),
  );
}

/**
 * `_service { sdl }` as the router should compose it: federation's SDL without the values
 * `@fromViewer` fills, so the supergraph offers clients no argument gatehouse would refuse (and
 * the router never sends one); gatehouse fills them from the forwarded credential.
 */
function withRouterSdl(schema: GraphQLSchema): void {
  const service = schema.getQueryType()?.getFields()['_service'];
  const resolve = service?.resolve;
  if (service === undefined || resolve === undefined) return;
  const sdl = withoutViewerValues(String((resolve(null, {}, null, undefined as never) as { sdl: string }).sdl));
  service.resolve = () => ({ sdl });
}

/** True when the type carries `@key` (on its definition or an extension). */
function isEntity(type: GraphQLObjectType): boolean {
  return [type.astNode, ...type.extensionASTNodes].some((node) => (node?.directives ?? []).some((d) => d.name.value === 'key'));
}

/**
 * Without a `__resolveReference`, an entity's object is the representation the caller sent: a rule
 * decided on the object (@owner, @inOrganization on the object, @policy) would read what the caller
 * wrote. Such an entity is refused when the schema is enforced (buildSchema), naming the type and the
 * field; the source schema (the auth map, explain) has no resolvers to judge by.
 */
export function refuseForgeableEntities(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !isEntity(type)) continue;
    const extensions = type.extensions as { apollo?: { subgraph?: { resolveReference?: unknown } } };
    if (extensions.apollo?.subgraph?.resolveReference !== undefined) continue;
    for (const name of Object.keys(type.getFields())) {
      const depends = objectDependencies(fieldRequirement(schema, type, name));
      if (depends.length === 0) continue;
      throw new SubgraphSchemaError(
        `${type.name}.${name} is decided on its object (${depends.join(', ')}), and ${type.name} is an entity without __resolveReference: ` +
          `its object would be the representation the caller sends. Give ${type.name} a __resolveReference that loads it.`,
      );
    }
  }
}

/**
 * The subgraph schema of `typeDefs` (gatehouse's directive SDL first) with `resolvers`, directives not yet
 * enforced. Throws SubgraphSchemaError, or federation's own error naming what it refused.
 */
export function buildSubgraphSourceSchema(
  directiveSdl: string,
  typeDefs: readonly (string | DocumentNode)[],
  resolvers: readonly IResolvers[],
  options: SubgraphOptions = {},
): GraphQLSchema {
  // Loaded here, not at the top: it adds 290–410 ms to every start (measured 2026-12-06, load ~14),
  // which servers and commands that build no subgraph should not pay.
  const { buildSubgraphSchema } = require('@apollo/subgraph') as typeof import('@apollo/subgraph');
  const federated = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(directiveSdl, typeDefs, options) });
  const { maps, references } = splitReferences(resolvers);
  // makeExecutableSchema's resolver handling (scalars, enums, interfaces) on federation's schema,
  // whose `_service` and `_entities` resolvers it keeps.
  const withResolvers = addResolversToSchema({ schema: federated, resolvers: mergeResolvers(maps) });
  withRouterSdl(withResolvers);
  const entities = withResolvers.getQueryType()?.getFields()['_entities'];
  if (entities?.resolve !== undefined) entities.resolve = checkedEntities(entities.resolve);
  const withReference = <Config extends { extensions?: unknown }>(config: Config, reference: ReferenceResolver): Config => {
    const extensions = (config.extensions ?? {}) as { apollo?: { subgraph?: Record<string, unknown> } };
    return {
      ...config,
      extensions: {
        ...extensions,
        apollo: { ...extensions.apollo, subgraph: { ...extensions.apollo?.subgraph, resolveReference: reference } },
      },
    };
  };
  return mapSchema(withResolvers, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      const reference = references.get(type.name);
      return reference === undefined ? type : new GraphQLObjectType(withReference(type.toConfig(), reference));
    },
    // An entity interface's (`interface Media @key(…)`): federation resolves `__typename: "Media"` through it.
    [MapperKind.INTERFACE_TYPE]: (type) => {
      const reference = references.get(type.name);
      return reference === undefined ? type : new GraphQLInterfaceType(withReference(type.toConfig(), reference));
    },
  });
}
