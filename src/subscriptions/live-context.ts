/**
 * The context one subscription executes its events with. It lives as long as the subscription,
 * but reads through the connection on every access: each event sees the viewer, user and session
 * as of the connection's last re-check, and a fresh per-request cache (loaders, @owner's loaded
 * objects), so users read for it are read as of now.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { App } from '../app';
import { OWNED_OBJECTS_SCOPE } from '../enforcement/ownership';
import { createContext } from '../graphql/apollo';
import type { GraphQLContext } from '../graphql/context';
import type { Connection, RunningSubscription } from './connection';
import type { RootChecks } from './root-checks';
import { subscriberEvents } from './streams';

export interface LiveContext {
  /** The context execution gets: its viewer and loaders are the current ones on every access. */
  readonly value: GraphQLContext;
  /** The context of this moment (for @owner's checks on subscribe). */
  current(): GraphQLContext;
}

/** Whom the context serves: the subscription, on its socket's connection, and the root checks it must keep passing. */
export interface LiveSubscription {
  readonly connection: Connection;
  readonly subscription: RunningSubscription;
  readonly checks: RootChecks;
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
}

export function liveContext(app: App, live: LiveSubscription): LiveContext {
  const { connection, subscription, checks, requestId, log } = live;
  const base = (): GraphQLContext =>
    createContext(app, {
      viewer: connection.viewer,
      user: connection.user,
      sessionId: connection.sessionId,
      clientAddress: connection.clientAddress,
      requestId,
      log: log as never,
    });
  let current = base();
  const events = subscriberEvents(app.events, {
    standing: () => connection.standing,
    viewer: () => connection.viewer,
    viewerKey: () => connection.viewerKey,
    reader: { db: app.store.db, now: app.now },
    // A fresh per-request cache for each event.
    beginEvent: () => {
      current = base();
    },
    // A signed-in subscriber's root @owner(loads: …) is decided again on the object as it is for
    // this event (loaded into the event's cache, which execution then reuses): a subscription now
    // denied ends here, as one whose root field a role change denies does. An anonymous one has no
    // viewer to lose: its event is executed, and the field's own rule answers it (null and its error).
    mayDeliver: async () => {
      if (!connection.signedIn) return true;
      const denied = await checks.deniedObjects(subscription, connection.viewer, current);
      if (denied.length === 0) return true;
      subscription.end?.(denied);
      return false;
    },
    warn: (details, message) => log.warn(details, message),
  });
  const value = Object.defineProperties(
    { ...current },
    {
      viewer: { get: () => connection.viewer, enumerable: true },
      viewerUser: { get: () => connection.user, enumerable: true },
      sessionId: { get: () => connection.sessionId, enumerable: true },
      loaders: { get: () => current.loaders, enumerable: true },
      loadUser: { get: () => current.loadUser, enumerable: true },
      events: { value: events, enumerable: true },
      // Objects loaded for @owner are remembered per event, not for the subscription's life.
      [OWNED_OBJECTS_SCOPE]: { get: () => current },
    },
  ) as GraphQLContext;
  return { value, current: () => current };
}
