// What createGatehouse, gatehouseForApollo and the test kit take (src/gatehouse.ts, src/apollo.ts,
// src/testkit.ts), and the schema sources it names. Types and one pure function only: the
// declarations of the package's entry points reach nothing else through it.
import type { IResolvers } from '@graphql-tools/utils';
import type { DocumentNode } from 'graphql';
import { readSchemaFiles } from './graphql/schema';
import type { OwnedObjectLoader } from './enforcement/ownership';
import type { Policies } from './enforcement/policies';
import type { ApplicationMigrations } from './store/migrate';
import type { SubgraphOptions } from './graphql/subgraph';

export interface GatehouseOptions {
  /**
   * Your SDL: a string, a parsed document, or an array of them. It may use gatehouse's directives
   * (`@public`, `@auth`, `@hasRole`, `@requiresScopes`, `@credentials`, `@owner`) and `Role` enum,
   * and extend `Query` and `Mutation`; every root field must carry one of those directives (strict
   * mode, unless AUTH_STRICT=false).
   */
  readonly typeDefs?: string | DocumentNode | readonly (string | DocumentNode)[];
  /** Your resolvers: one map or several. They get a `GatehouseContext` as `context`. */
  readonly resolvers?: IResolvers<any, any> | readonly IResolvers<any, any>[];
  /** `.graphql` files, or folders of them, read as more type definitions (added after `typeDefs`). */
  readonly schemaFiles?: string | readonly string[];
  /**
   * Loaders for the types your root fields' `@owner(loads: "Type")` name: given ids (and the
   * request's context), one object or null per id, in order. The mutation gate and the field use
   * them to find an object's owner before anything runs; one call per type and request tick.
   */
  readonly loaders?: Readonly<Record<string, OwnedObjectLoader>>;
  /**
   * The functions your `@policy(policies: …)` names, by name: `({ viewer, object, args, context })
   * => boolean | Promise<boolean>`, or `{ batch(inputs) }` deciding every object of a request tick in
   * one call. A name the schema uses without a function here stops start-up (UnknownPolicyError).
   */
  readonly policies?: Policies;
  /**
   * Your Kysely migrations, for tables of your own: by name (run in name order), a Kysely
   * `MigrationProvider`, or a function of the dialect (`'sqlite'` or `'postgres'`) giving either.
   * They run after gatehouse's, under the same migration lock, at start and by `gatehouse migrate
   * MODULE`; Kysely records them in their own table, `app_migrations`.
   */
  readonly migrations?: ApplicationMigrations;
  /**
   * Serve an Apollo Federation 2 subgraph (docs/federation.md): federation's `@link`, gatehouse's `User`
   * as an entity (`@key(fields: "id")`), `_service` and `_entities`, whose entities obey their types'
   * and fields' rules. Your types may be entities too (`@key`, with a `__resolveReference`), and
   * `@authenticated`, `@requiresScopes` and `@policy` are federation's, enforced as gatehouse's
   * (`{ authDirectives: 'gatehouse' }` keeps gatehouse's own, for @apollo/gateway). Default false.
   */
  readonly subgraph?: boolean | SubgraphOptions;
  /**
   * The configuration variables (as in `.env.example`). Default: `process.env` plus a `.env` file
   * in the working directory.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The SDL and resolvers of `options`, for buildSchema. */
export function appSchemaOf(
  options: Pick<GatehouseOptions, 'typeDefs' | 'resolvers' | 'schemaFiles' | 'loaders' | 'policies' | 'subgraph'>,
) {
  const typeDefs =
    options.typeDefs === undefined
      ? []
      : Array.isArray(options.typeDefs)
        ? [...options.typeDefs]
        : [options.typeDefs as string | DocumentNode];
  return {
    typeDefs: [...typeDefs, ...(options.schemaFiles === undefined ? [] : readSchemaFiles(options.schemaFiles))],
    ...(options.resolvers === undefined ? {} : { resolvers: options.resolvers }),
    ...(options.loaders === undefined ? {} : { loaders: options.loaders }),
    ...(options.policies === undefined ? {} : { policies: options.policies }),
    ...(options.subgraph === undefined || options.subgraph === false ? {} : { subgraph: options.subgraph }),
  };
}
