// What a route module is and what it is given. A route module registers its routes (and any hooks
// of their own) on the Fastify instance; src/http/server.ts lists the modules it serves, so adding
// one is one line there.
import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { App } from '../app';
import type { GraphQLContext } from '../graphql/context';

export const GRAPHQL_PATH = '/graphql';
/** Development only: signs in and opens Sandbox with the token set (src/http/signin-page.ts). */
export const SIGN_IN_PATH = '/signin';

/**
 * The viewer each request was answered for, named in its log line (src/http/hooks.ts). A route that
 * authenticates a request records it here. (A pino child logger per request would carry it too,
 * but costs more than the rest of a small request's logging.)
 */
export type RequestViewers = WeakMap<object, string | null>;

export interface RouteContext {
  readonly app: App;
  /** Started; stopped by the server's close(). */
  readonly apollo: ApolloServer<GraphQLContext>;
  /** The enforced schema Apollo serves (directives applied). */
  readonly schema: GraphQLSchema;
  readonly viewers: RequestViewers;
}

/** Registers routes on `fastify`. Anything to undo at shutdown goes in an `onClose` hook (fastify.close runs them). */
export type RouteModule = (fastify: FastifyInstance, context: RouteContext) => void | Promise<void>;
