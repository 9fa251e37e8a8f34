import type { GraphQLSchema } from 'graphql';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Config, ConfigError } from './config';
import type { GatehouseOptions } from './gatehouse-options';
import { createHttpServer, type HttpServer } from './http/server';
import { openApp } from './open-app';
import type { Store } from './store/database';

export { appSchemaOf, type GatehouseOptions } from './gatehouse-options';

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
