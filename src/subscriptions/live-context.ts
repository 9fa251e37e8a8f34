/**
 * The context one subscription executes its events with. It lives as long as the subscription,
 * but reads through the connection on every access: each event sees the viewer, user and session
 * as of that event, and a fresh per-request cache (loaders, @owner's loaded objects), so users
 * read for it are read as of now.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { App } from '../app';
import { OWNED_OBJECTS_SCOPE } from '../enforcement/ownership';
import { createContext } from '../graphql/apollo';
import type { GraphQLContext } from '../graphql/context';
import type { Connection } from './connection';
import { subscriberEvents } from './streams';

export interface LiveContext {
  /** The context execution gets: its viewer and loaders are the current ones on every access. */
  readonly value: GraphQLContext;
  /** The context of this moment (for @owner's checks on subscribe). */
  current(): GraphQLContext;
}

export function liveContext(app: App, connection: Connection, requestId: string, log: FastifyBaseLogger): LiveContext {
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
    refresh: async () => {
      const freshness = await connection.refresh();
      // A fresh per-request cache for each event.
      if (freshness === 'current') current = base();
      return freshness;
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
