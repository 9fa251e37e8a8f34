// The test kit with gatehouse's internals exposed (app, store), for gatehouse's own tests. Users get
// `gatehouse/testing` (src/testing.ts), the same kit behind types that reach nothing internal.
import { randomUUID } from 'node:crypto';
import assert from 'node:assert';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import pino from 'pino';
import { type App, createApp } from './app';
import { rolesOf } from './auth/roles';
import type { Viewer } from './auth/viewer';
import { parseConfig } from './config';
import { createApolloServer, createContext } from './graphql/apollo';
import type { GraphQLContext } from './graphql/context';
import { appSchemaOf, type GatehouseOptions } from './gatehouse';
import { buildSchema } from './graphql/schema';
import type { Kysely } from 'kysely';
import { createApiKey } from './services/api-keys';
import { knownScopes } from './enforcement/scopes';
import { migrateToLatest, openStore, type Store } from './store/database';
import { newId } from './store/ids';
import type { StoredRole } from './store/schema';
import { insertUser, type UserRecord } from './store/users';

export { type ManualClock, manualClock } from './manual-clock';

/** A signed-in caller made by the kit: a real user row, a real access token and a ready context. */
export interface TestUser {
  readonly user: UserRecord;
  readonly password: string;
  /** A real JWT for `Authorization: Bearer …` in HTTP tests. */
  readonly accessToken: string;
  /** The context `executeOperation` gets when acting as this user (`via: 'jwt'`). */
  readonly context: GraphQLContext;
}

/** An API key made by the kit for a user: the secret for `X-API-Key`, and the matching context. */
export interface TestApiKey {
  readonly id: string;
  readonly secret: string;
  readonly context: GraphQLContext;
}

export interface ExecuteResult<TData> {
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  /** Just the codes of `errors`, in order: handy in assertions. */
  readonly codes: readonly string[];
}

export interface TestKit {
  /** The kit's database (the same one `context.db` is in resolvers): for setting up rows and checking them. */
  readonly db: Kysely<any>;
  /** The Apollo server, for `executeOperation` with options `execute` does not take. */
  readonly server: ApolloServer<GraphQLContext>;
  /** gatehouse's internals, for gatehouse's own tests; not part of the public API. @internal */
  readonly app: App;
  /** @internal */
  readonly store: Store;
  /** The context of a caller with no credential. */
  anonymous(): GraphQLContext;
  /** The context for a viewer built by hand, e.g. `{ id, roles: ['ADMIN'], via: 'jwt' }`. */
  contextFor(viewer: Viewer | null): GraphQLContext;
  /** Creates a user in the database (USER unless said) and signs them in. */
  createUser(options?: { role?: StoredRole; email?: string; password?: string; name?: string }): Promise<TestUser>;
  /** Makes an API key for `owner` through the real service. */
  /** `scopes`: exactly the scopes the key holds (each named by a @requiresScopes of the schema); none given: every scope. */
  createApiKey(owner: TestUser, options?: { name?: string; expiresInDays?: number; scopes?: readonly string[] }): Promise<TestApiKey>;
  /** Runs an operation through the same Apollo server the HTTP layer uses, as `as` (anonymous by default). */
  execute<TData = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; as?: TestUser | TestApiKey | GraphQLContext | null },
  ): Promise<ExecuteResult<TData>>;
  close(): Promise<void>;
}

export interface TestKitOptions extends Pick<GatehouseOptions, 'typeDefs' | 'resolvers' | 'schemaFiles' | 'loaders'> {
  /** Environment overrides, as the variables in `.env.example`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the clock, e.g. to move past expiries. */
  readonly now?: () => Date;
}

/** A secret for tests only; never used outside a kit. */
const TEST_JWT_SECRET = randomUUID() + randomUUID();

/**
 * gatehouse with your schema over a fresh, migrated database (SQLite in memory unless
 * `env.DATABASE_URL` says otherwise), for resolver tests through the real directives, limits and
 * error masking:
 *
 *     const kit = await createTestKit({ typeDefs, resolvers });
 *     const alice = await kit.createUser();
 *     const { data } = await kit.execute('{ me { id } }', { as: alice });
 *
 * Passwords are hashed with a low scrypt cost (PASSWORD_HASH_COST=10) so suites stay fast, and the
 * per-address sign-up limit is lifted (SIGNUPS_PER_ADDRESS); `env` overrides both.
 */
export async function createTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'file::memory:',
    JWT_SECRET: TEST_JWT_SECRET,
    PASSWORD_HASH_COST: '10',
    // Tests sign many accounts up from one address; the limit itself has its own tests.
    SIGNUPS_PER_ADDRESS: '100000',
    ...options.env,
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  await migrateToLatest(store);
  let app: App;
  let server: ApolloServer<GraphQLContext>;
  let schema: GraphQLSchema;
  try {
    schema = buildSchema(appSchemaOf(options), { strict: config.authStrict });
    app = createApp(config, store, options.now ? { now: options.now } : {});
    server = createApolloServer(app, { log: pino({ level: config.logLevel }), schema });
  } catch (error) {
    await store.close();
    throw error;
  }
  await server.start();

  const contextFor = (viewer: Viewer | null, user: UserRecord | null = null): GraphQLContext =>
    createContext(app, { viewer, user, clientAddress: '127.0.0.1', requestId: randomUUID() });

  const kit: TestKit = {
    db: store.db,
    app,
    store,
    server,
    anonymous: () => contextFor(null),
    contextFor: (viewer) => contextFor(viewer),
    async createUser({ role = 'USER', email = `user-${randomUUID()}@example.test`, password = 'correct horse battery staple', name } = {}) {
      const user = await insertUser(store.db, {
        id: newId(),
        email,
        name: name ?? null,
        passwordHash: await app.passwords.hash(password),
        role,
        now: app.now(),
      });
      return {
        user,
        password,
        accessToken: app.accessTokens.issue(user.id, app.now()).token,
        context: contextFor({ id: user.id, roles: rolesOf(user.role), via: 'jwt' }, user),
      };
    },
    async createApiKey(owner, { name = 'test key', expiresInDays, scopes } = {}) {
      const maker: Viewer = { id: owner.user.id, roles: rolesOf(owner.user.role), via: 'jwt' };
      const created = await createApiKey(
        app,
        maker,
        { name, expiresInDays: expiresInDays ?? null, scopes: scopes ?? null },
        { actorId: maker.id, address: '127.0.0.1', source: 'request' },
        knownScopes(schema),
      );
      const held = created.apiKey.scopes;
      const viewer: Viewer = { ...maker, via: 'api-key', ...(held === null ? {} : { scopes: held }) };
      return { id: created.apiKey.id, secret: created.secret, context: contextFor(viewer, owner.user) };
    },
    async execute(query, { variables, as = null } = {}) {
      const contextValue = as === null ? contextFor(null) : 'context' in as ? as.context : as;
      const response = await server.executeOperation({ query, ...(variables ? { variables } : {}) }, { contextValue });
      assert(response.body.kind === 'single', 'gatehouse does not stream responses');
      const { data, errors } = response.body.singleResult;
      return {
        data: data as never,
        errors,
        codes: (errors ?? []).map((error) => String(error.extensions?.['code'])),
      };
    },
    async close() {
      await server.stop();
      await store.close();
    },
  };
  return kit;
}
