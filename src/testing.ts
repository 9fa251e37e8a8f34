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
import type { Kysely } from 'kysely';
import type { Viewer } from './auth/viewer';
import type { GatehouseContext } from './context';
import { createTestKit as createInternalTestKit } from './testkit';
import type { ExecuteResult, Kit, KitApiKey, KitOrganization, KitUser, TestKitOptions } from './testkit-shapes';

export { type ManualClock, manualClock } from './manual-clock';

/** A signed-in caller made by the kit: a real user row, a real access token and a ready context. */
export interface TestUser
  extends KitUser<
    GatehouseContext,
    {
      readonly id: string;
      readonly email: string;
      readonly name: string | null;
      /** The most senior role granted. */
      readonly role: string;
      /** The roles granted (not expanded). */
      readonly roles: readonly string[];
    }
  > {}
/** An API key made by the kit for a user: the secret for `X-API-Key`, and the matching context. */
export interface TestApiKey extends KitApiKey<GatehouseContext> {}
/** The kit `createTestKit` returns; `Tables` types `kit.db` (your tables, as in your migrations). */
/** Roles are your `enum Role`'s values (gatehouse's default: USER, ADMIN). */
export interface TestKit<Tables = any> extends Kit<GatehouseContext, TestUser, TestApiKey, string, Tables> {}
export type { ExecuteResult, KitOrganization, TestKitOptions };

/**
 * gatehouse with your schema over a fresh, migrated database (SQLite in memory unless
 * `env.DATABASE_URL` says otherwise), with the directives, limits, mutation gate and error masking
 * of the real server. Passwords are hashed at a low cost (PASSWORD_HASH_COST=10) so suites stay
 * fast, and the per-address sign-up limit is lifted; `env` overrides both. Your `migrations` run
 * after gatehouse's, as at start.
 */
export async function createTestKit<Tables = any>(options: TestKitOptions = {}): Promise<TestKit<Tables>> {
  const kit = await createInternalTestKit(options);
  return {
    db: kit.db as unknown as TestKit<Tables>['db'],
    server: kit.server as unknown as ApolloServer<GatehouseContext>,
    anonymous: () => kit.anonymous(),
    contextFor: (viewer) => kit.contextFor(viewer),
    createUser: (createOptions) => kit.createUser(createOptions),
    createApiKey: (owner, keyOptions) => kit.createApiKey(owner as Parameters<typeof kit.createApiKey>[0], keyOptions),
    createOrganization: (owner, organizationOptions) =>
      kit.createOrganization(owner as Parameters<typeof kit.createOrganization>[0], organizationOptions as never),
    setMembership: (organization, user, role) => kit.setMembership(organization, user as Parameters<typeof kit.setMembership>[1], role),
    removeMembership: (organization, user) => kit.removeMembership(organization, user as Parameters<typeof kit.removeMembership>[1]),
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
 * `db` and `loadUser` throw: a resolver that reads the database wants `createTestKit`. `events.publish`
 * sends nothing; `events.subscribe` throws (subscriptions run over WebSocket).
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
    events: {
      publish: async () => undefined,
      subscribe: () => {
        throw new TypeError('testContext() serves no subscriptions: test them over WebSocket against a running gatehouse');
      },
    },
  };
}
