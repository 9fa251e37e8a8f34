import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { applyAuthDirectives } from '../enforcement/apply-directives';
import { declaredRoles } from '../enforcement/declared-roles';
import type { Denial } from '../enforcement/denials';
import type { GraphQLContext } from './context';
import { authDirectiveTypeDefs } from '../enforcement/directive-sdl';
import type { OwnedObjectLoader } from '../enforcement/ownership';
import { accountLoaders } from './loaders';
import { accountPolicies, assertNoReservedPolicyNames } from './policies';
import { withoutDeclaredEnums } from './declared-enums';
import type { Policies } from '../enforcement/policies';
import { withPolicyDeadline } from '../enforcement/policy-deadline';
import { resolvers as accountResolvers } from './resolvers';
import { buildSubgraphSourceSchema, refuseForgeableEntities, type SubgraphOptions } from './subgraph';

/** `schema/` at the package root: two levels up from both `src/graphql` and `dist/graphql`. */
export const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

/** An application's part of the schema: its SDL and the resolvers for it. */
export interface AppSchema {
  /** SDL: a string, a parsed document, or an array of them. */
  readonly typeDefs?: string | DocumentNode | readonly (string | DocumentNode)[];
  /** One resolver map or several (merged in order). */
  readonly resolvers?: IResolvers<any, any> | readonly IResolvers<any, any>[];
  /** Loaders for the types named by root fields' `@owner(loads: …)`, by type name. */
  readonly loaders?: Readonly<Record<string, OwnedObjectLoader>>;
  /** The functions `@policy` names; a name without one stops the build (UnknownPolicyError). */
  readonly policies?: Policies;
  /**
   * Build an Apollo Federation 2 subgraph (src/graphql/subgraph.ts): federation's `@link`, `User`
   * as an entity, `_service` and `_entities`. Default false.
   */
  readonly subgraph?: boolean | SubgraphOptions;
}

/** The SDL of every `.graphql` file in `dir`, one string per file, in name order. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

/** The SDL of each path: a `.graphql` file, or every `.graphql` file in a folder. */
export function readSchemaFiles(paths: string | readonly string[]): string[] {
  return (typeof paths === 'string' ? [paths] : paths).flatMap((path) =>
    statSync(path).isDirectory() ? loadTypeDefs(path) : [readFileSync(path, 'utf8')],
  );
}

function asList<T>(value: T | readonly T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/**
 * gatehouse's account schema (schema/*.graphql with its resolvers) merged with the application's,
 * directives not yet enforced (the auth map reads this). The application's `enum Role`, when it
 * declares one, replaces gatehouse's default (USER, ADMIN); `extend enum Role` adds to whichever
 * applies. The roles are read (and a bad declaration refused, RoleDeclarationError) here, at build.
 */
export function buildSourceSchema(app: AppSchema = {}): GraphQLSchema {
  const appTypeDefs = asList<string | DocumentNode>(app.typeDefs);
  const typeDefs = [...withoutDeclaredEnums(loadTypeDefs(), appTypeDefs), ...appTypeDefs];
  const resolvers = [...accountResolvers, ...asList(app.resolvers)] as IResolvers[];
  const schema =
    app.subgraph !== undefined && app.subgraph !== false
      ? buildSubgraphSourceSchema(authDirectiveTypeDefs, typeDefs, resolvers, app.subgraph === true ? {} : app.subgraph)
      : makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, ...typeDefs], resolvers });
  declaredRoles(schema);
  return schema;
}

/** The executable schema with every directive enforced. Strict (the default) refuses open root fields. */
export function buildSchema(app: AppSchema = {}, options: { strict?: boolean; policyTimeoutMs?: number } = {}): GraphQLSchema {
  assertNoReservedPolicyNames(app.policies);
  const source = buildSourceSchema(app);
  if (app.subgraph !== undefined && app.subgraph !== false) refuseForgeableEntities(source);
  return applyAuthDirectives(source, {
    strict: options.strict ?? true,
    loaders: { ...accountLoaders, ...app.loaders },
    policies: withPolicyDeadline({ ...app.policies, ...accountPolicies(() => source) }, options.policyTimeoutMs),
    onWouldDeny: reportWouldDeny,
  });
}

/**
 * A `@reportOnly` rule would have refused this request: told to the instance's denial log and
 * counter (src/telemetry/denial-reports.ts), which the request's context leads to. A hand-built
 * context without `app` reports nowhere.
 */
function reportWouldDeny(denial: Denial, context: unknown): void {
  const request = context as Partial<GraphQLContext> | undefined;
  request?.app?.telemetry.denials.wouldDeny(denial, {
    requestId: request.requestId ?? 'none',
    viewer: request.viewer ?? null,
    log: request.log ?? request.app.log,
  });
}
