import type { IResolvers } from '@graphql-tools/utils';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type App, createApp } from './app';
import { devSecretsFor } from './auth/dev-secret';
import { type Config, ConfigError, loadConfig, parseConfig } from './config';
import { buildSchema, readSchemaFiles } from './graphql/schema';
import { declaredRoles } from './enforcement/declared-roles';
import { createHttpServer, type HttpServer } from './http/server';
import type { OwnedObjectLoader } from './enforcement/ownership';
import type { Policies } from './enforcement/policies';
import { ensureAdmin } from './services/accounts';
import { migrateApplication, migrateToLatest, openStore, type Store } from './store/database';
import type { ApplicationMigrations } from './store/migrate';

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
   * The configuration variables (as in `.env.example`). Default: `process.env` plus a `.env` file
   * in the working directory.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface Gatehouse<Tables = any> {
  /** The schema served: gatehouse's account schema and yours, every directive enforced. */
  readonly schema: GraphQLSchema;
  /**
   * The database, migrated, for seeds and jobs: the same Kysely instance (and connection pool) as
   * `context.db` in resolvers, typed by `createGatehouse<Tables>`. Closed by `close()`.
   */
  readonly db: Kysely<Tables>;
  /** Listens on HOST:PORT (default 127.0.0.1:4000); resolves to the base URL. GraphQL is at `${url}/graphql`. */
  listen(): Promise<string>;
  /** Stops accepting requests, finishes those in flight, closes the database. */
  close(): Promise<void>;
}

/** The SDL and resolvers of `options`, for buildSchema. */
export function appSchemaOf(options: Pick<GatehouseOptions, 'typeDefs' | 'resolvers' | 'schemaFiles' | 'loaders' | 'policies'>) {
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
  };
}

/** What every form of gatehouse opens: its configuration, the enforced schema, the migrated store and the App. */
export interface OpenedApp<Attached> {
  readonly config: Config;
  readonly schema: GraphQLSchema;
  readonly store: Store;
  readonly app: App;
  /** What `attach` made (gatehouse's HTTP server, or the parts for a team's Apollo Server). */
  readonly attached: Attached;
}

/**
 * Opens gatehouse: configuration, schema (a mistake fails before the database opens), the database
 * migrated (gatehouse's tables, then the application's), the App; then `attach` builds what serves
 * it and gives the logger start-up reports to; then ADMIN_EMAIL is applied. The store is closed
 * again when any step fails. createGatehouse and gatehouseForApollo (src/apollo.ts) both open here.
 */
export async function openApp<Attached>(
  options: GatehouseOptions,
  attach: (app: App, schema: GraphQLSchema) => Promise<{ readonly log: Logger; readonly attached: Attached }>,
): Promise<OpenedApp<Attached>> {
  const config = options.env === undefined ? loadConfig() : parseConfig(options.env);
  // Built before the database opens: a schema mistake (an unmarked root field) fails fast.
  const schema = buildSchema(appSchemaOf(options), { strict: config.authStrict });
  // The listener may connect before the logger exists: its last event waits for it.
  let logListener: ((event: 'lost' | 'listening', error?: unknown) => void) | undefined;
  let early: ['lost' | 'listening', unknown] | undefined;
  const store = openStore(config.database, {
    credentialCacheSize: config.credentialCacheSize,
    onListener: (event, error) => (logListener === undefined ? (early = [event, error]) : logListener(event, error)),
  });
  try {
    await migrateToLatest(store);
    if (options.migrations !== undefined) await migrateApplication(store, options.migrations);
    const app = createApp(config, store, { ...devSecretsFor(config), roles: declaredRoles(schema) });
    // ES256: loads the signing keys (making the first one); a SIGNING_KEYS_SECRET that does not open
    // them stops start-up here, with a message that names the key's id and nothing of the key.
    await app.accessTokens.ready();
    const { log, attached } = await attach(app, schema);
    logListener = (event, error) =>
      event === 'lost'
        ? log.warn({ err: error }, 'credential change listener lost: the credential cache is bypassed until it reconnects')
        : log.info('credential change listener connected: the credential cache is in use');
    if (early !== undefined) logListener(...early);
    // Providers' keys are fetched now, in the background: the first token of a provider does not
    // wait for them, and start-up does not wait for (or fail on) a provider that is down.
    if (app.externalTokens !== null) void app.externalTokens.prefetch();
    if (config.adminBootstrap !== null) {
      const { user, outcome } = await ensureAdmin(app, config.adminBootstrap.email, config.adminBootstrap.password);
      const said = {
        created: 'created the ADMIN from ADMIN_EMAIL',
        promoted: 'made the existing account named by ADMIN_EMAIL ADMIN (its password is ADMIN_PASSWORD); audited as user.role_changed',
        exists: 'the account named by ADMIN_EMAIL is ADMIN already; left as it is',
      } as const;
      log[outcome === 'exists' ? 'info' : 'warn']({ userId: user.id, outcome }, said[outcome]);
    }
    if (config.jwt.algorithm === 'HS256' && config.jwt.secret === null) {
      log.warn(`JWT_SECRET is not set: using a generated development secret kept in ${config.dataDir}`);
    }
    if (config.jwt.algorithm === 'ES256' && config.jwt.signingKeysSecret === null) {
      log.warn(`SIGNING_KEYS_SECRET is not set: using a generated development secret kept in ${config.dataDir}`);
    }
    return { config, schema, store, app, attached };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Builds the server gatehouse runs (logger included) without listening yet. */
async function open(options: GatehouseOptions): Promise<{ config: Config; server: HttpServer; schema: GraphQLSchema; store: Store }> {
  const {
    config,
    schema,
    store,
    attached: server,
  } = await openApp(options, async (app, schema) => {
    const server = await createHttpServer(app, { schema });
    return { log: server.fastify.log as unknown as Logger, attached: server };
  });
  return { config, server, schema, store };
}

/**
 * gatehouse serving your schema beside its own accounts: migrates the database (DATABASE_URL),
 * gatehouse's tables and then yours (`migrations`), and builds the server. Nothing listens until
 * `listen()`; `db` is usable at once.
 *
 *     const gatehouse = await createGatehouse({ typeDefs, resolvers });
 *     const url = await gatehouse.listen();   // GraphQL at `${url}/graphql`
 *     await gatehouse.close();
 *
 * Throws `ConfigError` for bad configuration and `AuthCoverageError` (strict mode) for a root field
 * that does not say who may call it.
 */
export async function createGatehouse<Tables = any>(options: GatehouseOptions = {}): Promise<Gatehouse<Tables>> {
  const { server, schema, store } = await open(options);
  return { schema, db: store.db as unknown as Kysely<Tables>, listen: () => server.listen(), close: () => server.close() };
}

/**
 * createGatehouse, listen, and stop cleanly on SIGTERM or SIGINT (requests in flight finish, the
 * database closes, exit code 0). A start-up failure is one line on stderr and exit code 1. This is
 * what `gatehouse start` runs.
 */
export function runGatehouse(options: GatehouseOptions = {}): void {
  void (async () => {
    const { config, server } = await open(options);
    const log = server.fastify.log;
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: finishing requests in flight');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    const url = await server.listen();
    log.info(`gatehouse is listening: GraphQL at ${url}/graphql (${config.database.dialect}, ${config.nodeEnv})`);
  })().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`gatehouse: configuration error: ${error.message}`);
    } else {
      // The message, and the driver's code when there is one (SQLITE_BUSY_SNAPSHOT tells more than
      // "database is locked"); never the stack.
      const driverCode = error instanceof Error ? (error as { code?: unknown }).code : undefined;
      const code = typeof driverCode === 'string' ? ` (${driverCode})` : '';
      console.error(`gatehouse: start-up failed: ${error instanceof Error ? error.message : String(error)}${code}`);
    }
    process.exit(1);
  });
}
