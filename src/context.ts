// The context your resolvers get. Kept apart from gatehouse's internal context (src/graphql/context.ts)
// so that the package's public type declarations reach nothing internal.
import type { Kysely } from 'kysely';
import type { AuthContext, Viewer } from './auth/viewer';

/**
 * A user as gatehouse's `User` type resolves it. Return one from your resolver for a field of type
 * `User` (e.g. `author: User!`); read `id`, `name` and `role` if you need them.
 */
export interface GatehouseUser {
  readonly id: string;
  readonly name: string | null;
  readonly role: string;
}

/**
 * Events for subscriptions: ids only, through an event log every instance reads, on PostgreSQL and
 * on SQLite (src/subscriptions/event-bus.ts; README, "Subscriptions").
 */
export interface GatehouseEvents {
  /**
   * Tells every subscriber of `topic`, on every instance, that the thing with this id changed.
   * Send ids, never data: each subscriber reads the data under its own rules. A failure to send is
   * logged, not thrown (the caller's own change has committed); a malformed topic or id throws TypeError.
   */
  publish(topic: string, id: string): Promise<void>;
  /**
   * For a `Subscription` field's `subscribe`: the events of `topic` from now on, each turned into
   * the field's source by `select`, which runs for this subscriber with `context.viewer` re-read
   * from the database just before (a revoked or disabled subscriber gets nothing more). Return
   * `undefined` from `select` to skip an event this subscriber may not see. Over WebSocket only;
   * anywhere else it throws.
   */
  subscribe<T>(topic: string, select: (id: string) => Promise<T | undefined> | T | undefined): AsyncIterableIterator<T>;
}

/**
 * What your resolvers get as `context`. The directives read only `viewer`; the same object is what
 * `createTestKit().execute` and `testContext()` (from `gatehouse/testing`) pass.
 */
export interface GatehouseContext extends AuthContext {
  /** The signed-in caller, or null when anonymous. */
  readonly viewer: Viewer | null;
  /** The request's id: in the `x-request-id` header, the log lines and masked errors. */
  readonly requestId: string;
  /** Client address (from X-Forwarded-For only when TRUST_PROXY is on). */
  readonly clientAddress: string;
  /**
   * gatehouse's database as a Kysely instance, for tables of your own (created by your
   * `migrations`): the same instance as `gatehouse.db` and the test kit's `kit.db`. Kysely has no
   * schema of yours here: type it with `context.db as Kysely<YourTables>`.
   */
  readonly db: Kysely<any>;
  /** The current time; `createTestKit({ now })` replaces it, so tests can step past expiries. */
  now(): Date;
  /** The user with this id, batched per request, or null when there is none. */
  loadUser(id: string): Promise<GatehouseUser | null>;
  /** Publish events and subscribe to them (subscriptions over WebSocket). */
  readonly events: GatehouseEvents;
}
