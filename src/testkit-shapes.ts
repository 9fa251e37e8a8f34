/**
 * The shape of the test kit, written once and filled in twice: `gatehouse/testing` (src/testing.ts)
 * with the public context and user, src/testkit.ts with gatehouse's internal ones. Imports only
 * public types, so the package's declarations reach nothing internal through it.
 */
import type { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Kysely } from 'kysely';
import type { Viewer } from './auth/viewer';
import type { GatehouseContext } from './context';
import type { GatehouseOptions } from './gatehouse';

/** A signed-in caller made by the kit: a real user row, a real access token and a ready context. */
export interface KitUser<Context, User> {
  readonly user: User;
  readonly password: string;
  /** A real JWT for `Authorization: Bearer …` in HTTP tests. */
  readonly accessToken: string;
  /** The context `execute` passes when acting as this user (`via: 'jwt'`), with a request id of its own each time. */
  readonly context: Context;
}

/** An API key made by the kit for a user: the secret for `X-API-Key`, and the matching context. */
export interface KitApiKey<Context> {
  readonly id: string;
  readonly secret: string;
  readonly context: Context;
}

export interface ExecuteResult<TData> {
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  /** Just the codes of `errors`, in order: handy in assertions. */
  readonly codes: readonly string[];
  /** The request's id, which every error carries as `extensions.requestId` (over HTTP: the `x-request-id` header). */
  readonly requestId: string;
}

/** An organization the kit created. */
export interface KitOrganization {
  readonly id: string;
  readonly name: string;
}

/** The kit's operations; `TestUser` and `TestApiKey` are what `createUser` and `createApiKey` return. */
export interface Kit<
  Context extends GatehouseContext,
  TestUser extends KitUser<Context, unknown>,
  TestApiKey extends KitApiKey<Context>,
  Role,
  Tables = any,
> {
  /**
   * The kit's database, migrated (gatehouse's tables and your `migrations`): the same Kysely
   * instance as `context.db` in resolvers, typed by `createTestKit<Tables>`. For setting up rows
   * and checking them.
   */
  readonly db: Kysely<Tables>;
  /** The Apollo server, for `executeOperation` with options `execute` does not take. */
  readonly server: ApolloServer<Context>;
  /** The context of a caller with no credential. */
  anonymous(): Context;
  /** The context for a viewer built by hand, e.g. `{ id, roles: ['ADMIN'], via: 'jwt' }`. */
  contextFor(viewer: Viewer | null): Context;
  /**
   * Creates a user in the database and signs them in. It holds `role`, or every one of `roles` (give
   * one of the two; USER when neither), which must be values of your `enum Role`; its context's
   * viewer holds them expanded through `@includes`, as authentication would.
   */
  createUser(options?: { role?: Role; roles?: readonly Role[]; email?: string; password?: string; name?: string }): Promise<TestUser>;
  /** Makes an API key for `owner` through gatehouse's own service. */
  /** `scopes`: exactly the scopes the key holds (each named by a @requiresScopes of the schema); none given: every scope. */
  createApiKey(owner: TestUser, options?: { name?: string; expiresInDays?: number; scopes?: readonly string[] }): Promise<TestApiKey>;
  /**
   * Creates an organization (gatehouse's `organizations` table) with `owner` as its OWNER and each of
   * `members` holding its role (MEMBER unless said; any value of your `OrganizationRole`).
   */
  createOrganization(
    owner: TestUser,
    options?: { name?: string; members?: ReadonlyArray<{ readonly user: TestUser; readonly role?: string }> },
  ): Promise<KitOrganization>;
  /** Makes `user` a member of `organization` holding `role` (MEMBER unless said), or changes the role it holds there. */
  setMembership(organization: KitOrganization, user: TestUser, role?: string): Promise<void>;
  /** Ends `user`'s membership of `organization`. */
  removeMembership(organization: KitOrganization, user: TestUser): Promise<void>;
  /**
   * Runs an operation through the same Apollo server the HTTP layer uses, as `as` (anonymous by
   * default). A user or key acts with its memberships as they are now, as a request would. Every
   * error carries `extensions.requestId`, as over HTTP: a fresh id per call, or the `requestId`
   * of a context you pass (`testContext(viewer, { requestId })`, `contextFor`).
   */
  execute<TData = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; as?: TestUser | TestApiKey | Context | null },
  ): Promise<ExecuteResult<TData>>;
  close(): Promise<void>;
}

export interface TestKitOptions
  extends Pick<GatehouseOptions, 'typeDefs' | 'resolvers' | 'schemaFiles' | 'loaders' | 'policies' | 'migrations' | 'subgraph'> {
  /** Configuration overrides, as the variables in `.env.example`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the clock (`context.now()` and every expiry), e.g. `manualClock().now`. */
  readonly now?: () => Date;
}
