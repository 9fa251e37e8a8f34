// The context your resolvers get. Kept apart from gatehouse's internal context (src/graphql/context.ts)
// so that the package's public type declarations reach nothing internal.
import type { Kysely } from 'kysely';
import type { AuthContext, Viewer } from './auth/viewer';

/**
 * A user as gatehouse's `User` type resolves it. Return one from your resolver for a field of type
 * `User` (e.g. `author: User!`); read `id`, `name` and `roles` (the roles granted, not expanded) if
 * you need them.
 */
export interface GatehouseUser {
  readonly id: string;
  readonly name: string | null;
  readonly roles: readonly string[];
}

/**
 * Events for subscriptions: ids only, through an event log every instance reads, on PostgreSQL and
 * on SQLite (src/events/event-bus.ts; docs/subscriptions.md).
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
   * the field's source by `select`. Pass an `EventView` (defined once, outside the resolver) and
   * each event is read once and decided once per distinct viewer for every subscriber that uses
   * it; a function instead runs for every subscriber and event. Either way `context.viewer` is the
   * subscriber's as of its last re-check (every SUBSCRIPTION_RECHECK_MS: a revoked or disabled
   * subscriber's socket closes within it). Over WebSocket only; anywhere else it throws.
   */
  subscribe<T>(topic: string, select: EventView<T> | EventSelect<T>): AsyncIterableIterator<T>;
}

/** A subscriber's own reading of an event: the field's source, or `undefined` to skip the event for this subscriber. */
export type EventSelect<T> = (id: string) => Promise<T | undefined> | T | undefined;

/**
 * A subscription field's reading of an event, shared by every subscriber (docs/your-api.md):
 * `load` runs once per event on each instance for all the subscriptions that use this same object,
 * and `visibleTo` once per event and distinct viewer (equal id, roles, credential kind and scopes).
 * So an event that 2,000 subscribers may not see costs one read and one decision, not 2,000.
 * Define it once at module level, not inside `subscribe`: a new object per subscription shares nothing.
 */
export interface EventView<T> {
  /** What the event's id names, read without regard to who asks; `undefined` skips the event for everyone. */
  load(id: string, reader: EventReader): Promise<T | undefined> | T | undefined;
  /** May `viewer` see `item`? Decided from these two alone: the answer is shared with every equal viewer. */
  visibleTo(viewer: Viewer | null, item: T): boolean | Promise<boolean>;
}

/** What an EventView's `load` reads with: the database and the clock, not any subscriber's context. */
export interface EventReader {
  /** gatehouse's database (type it with `reader.db as Kysely<YourTables>`). */
  readonly db: Kysely<any>;
  now(): Date;
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
