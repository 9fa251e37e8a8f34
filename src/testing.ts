/**
 * `gatehouse/testing`: test your schema and resolvers through gatehouse.
 *
 *     const kit = await createTestKit({ typeDefs, resolvers });
 *     const alice = await kit.createUser();
 *     const { data, codes } = await kit.execute('{ myInvoices { id } }', { as: alice });
 *
 * and `testContext(viewer)` for a resolver function called directly.
 */
import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Kysely } from 'kysely';
import type { Viewer } from './auth/viewer';
import type { GatehouseContext } from './context';
import type { GatehouseOptions } from './gatehouse';
import { createTestKit as createInternalTestKit } from './testkit';

export { type ManualClock, manualClock } from './manual-clock';

/** A signed-in caller made by the kit: a real user row, a real access token and a ready context. */
export interface TestUser {
  readonly user: { readonly id: string; readonly email: string; readonly name: string | null; readonly role: string };
  readonly password: string;
  /** A real JWT for `Authorization: Bearer …` in HTTP tests. */
  readonly accessToken: string;
  /** The context `execute` passes when acting as this user (`via: 'jwt'`). */
  readonly context: GatehouseContext;
}

/** An API key made by the kit for a user: the secret for `X-API-Key`, and the matching context. */
export interface TestApiKey {
  readonly id: string;
  readonly secret: string;
  readonly context: GatehouseContext;
}

export interface ExecuteResult<TData> {
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  /** Just the codes of `errors`, in order: handy in assertions. */
  readonly codes: readonly string[];
}

export interface TestKit {
  /** The kit's database (what `context.db` is in resolvers): for setting up rows and checking them. */
  readonly db: Kysely<any>;
  /** The Apollo server, for `executeOperation` with options `execute` does not take. */
  readonly server: ApolloServer<GatehouseContext>;
  /** The context of a caller with no credential. */
  anonymous(): GatehouseContext;
  /** The context for a viewer built by hand, e.g. `{ id, roles: ['ADMIN'], via: 'jwt' }`. */
  contextFor(viewer: Viewer | null): GatehouseContext;
  /** Creates a user in the database (USER unless said) and signs them in. */
  createUser(options?: { role?: 'USER' | 'ADMIN'; email?: string; password?: string; name?: string }): Promise<TestUser>;
  /** Makes an API key for `owner` through gatehouse's own service. */
  /** `scopes`: exactly the scopes the key holds (each named by a @requiresScopes of the schema); none given: every scope. */
  createApiKey(owner: TestUser, options?: { name?: string; expiresInDays?: number; scopes?: readonly string[] }): Promise<TestApiKey>;
  /** Runs an operation through the same Apollo server the HTTP layer uses, as `as` (anonymous by default). */
  execute<TData = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; as?: TestUser | TestApiKey | GatehouseContext | null },
  ): Promise<ExecuteResult<TData>>;
  close(): Promise<void>;
}

export interface TestKitOptions extends Pick<GatehouseOptions, 'typeDefs' | 'resolvers' | 'schemaFiles' | 'loaders'> {
  /** Configuration overrides, as the variables in `.env.example`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the clock (`context.now()` and every expiry), e.g. `manualClock().now`. */
  readonly now?: () => Date;
}

/**
 * gatehouse with your schema over a fresh, migrated database (SQLite in memory unless
 * `env.DATABASE_URL` says otherwise), with the directives, limits, mutation gate and error masking
 * of the real server. Passwords are hashed at a low cost (PASSWORD_HASH_COST=10) so suites stay
 * fast, and the per-address sign-up limit is lifted; `env` overrides both.
 */
export async function createTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  const kit = await createInternalTestKit(options);
  return {
    db: kit.db,
    server: kit.server as unknown as ApolloServer<GatehouseContext>,
    anonymous: () => kit.anonymous(),
    contextFor: (viewer) => kit.contextFor(viewer),
    createUser: (createOptions) => kit.createUser(createOptions),
    createApiKey: (owner, keyOptions) => kit.createApiKey(owner as Parameters<typeof kit.createApiKey>[0], keyOptions),
    execute: (query, executeOptions) => kit.execute(query, executeOptions as Parameters<typeof kit.execute>[1]),
    close: () => kit.close(),
  };
}

/**
 * A resolver context for a viewer built by hand, with no database and no server: for unit tests
 * that call a resolver function directly.
 *
 *     const context = testContext({ id: 'u1', roles: ['USER'], via: 'jwt' });
 *     expect(await resolvers.Query.greeting({}, {}, context)).toBe('hello, u1');
 *
 * `db` and `loadUser` throw: a resolver that reads the database wants `createTestKit`.
 */
export function testContext(
  viewer: Viewer | null,
  options: { now?: () => Date; requestId?: string; clientAddress?: string } = {},
): GatehouseContext {
  const noDatabase = () => new TypeError('testContext() has no database: test resolvers that read it with createTestKit()');
  return {
    viewer,
    requestId: options.requestId ?? randomUUID(),
    clientAddress: options.clientAddress ?? '127.0.0.1',
    now: options.now ?? (() => new Date()),
    get db(): Kysely<any> {
      throw noDatabase();
    },
    loadUser: () => Promise.reject(noDatabase()),
  };
}
