// The public types of gatehouse/apollo (src/apollo.ts), apart from the code that opens gatehouse
// (src/apollo-open.ts): gatehouse/apollo's declarations name nothing of gatehouse's internals, so an
// application type-checks them under any moduleResolution.
import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Kysely } from 'kysely';
import type { GatehouseContext } from './context';

/** What every Node HTTP integration hands a context function: at least the incoming request. */
export interface ApolloContextArgument {
  readonly req: Pick<IncomingMessage, 'headers' | 'socket'>;
}

export interface GatehouseForApollo<Tables = any> {
  /** The schema to serve: gatehouse's account schema and yours, every directive enforced. */
  readonly schema: GraphQLSchema;
  /**
   * gatehouse's plugins: give them to your ApolloServer (beside your own). They carry the mutation
   * gate, per-caller introspection, the query limits (400), error masking with request ids and
   * the telemetry.
   */
  readonly plugins: ApolloServerPlugin<GatehouseContext>[];
  /**
   * The context function for your integration (`startStandaloneServer`, `expressMiddleware`, …):
   * authenticates the request's `Authorization` / `X-API-Key`; an invalid credential is refused
   * with HTTP 401 and `UNAUTHENTICATED`.
   */
  readonly context: (argument: ApolloContextArgument) => Promise<GatehouseContext>;
  /** The database, migrated: the same Kysely instance as `context.db`. Closed by `close()`. */
  readonly db: Kysely<Tables>;
  /**
   * Serves gatehouse's subscriptions (GraphQL over WebSocket, graphql-transport-ws) on `path` of
   * your HTTP server, with the same handshake, credential, caps and rules as gatehouse's own
   * server (docs/subscriptions.md). Call once per server; `close()` ends the sockets.
   */
  attachSubscriptions(httpServer: Server, options: { readonly path: string }): void;
  /** Closes every subscription socket (1001), the database and gatehouse's background work. Stop your ApolloServer first. */
  close(): Promise<void>;
}
