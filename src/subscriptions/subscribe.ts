/**
 * A subscribe message and its socket's viewer → the execution graphql-ws runs, or the errors that
 * refuse it (nothing starts): the document's checks (read-operation.ts), then the viewer as of now
 * (not as of the handshake), the root fields it may not read (UNAUTHENTICATED / FORBIDDEN),
 * socket-guard.ts's subscription caps (per socket, user, anonymous network and server:
 * LIMIT_EXCEEDED), and the objects a root
 * `@owner(loads: …)` names that it may not use. The store not answering is SERVICE_UNAVAILABLE
 * with the id that finds the log line; the socket stays open for a later try.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { App } from '../app';
import { databaseUnavailable, ErrorCode } from '../graphql/errors';
import { isUnreachable } from '../store/failures';
import type { Connection, RunningSubscription } from './connection';
import { liveContext } from './live-context';
import { isRefusal, type OperationRules, readOperation, refusal } from './read-operation';
import type { RootChecks } from './root-checks';
import type { SocketGuard } from './socket-guard';

/** The socket's upgrade request: its id and its logger. */
export interface SocketOfRequest {
  readonly id: string;
  readonly log: FastifyBaseLogger;
}

export interface SubscribeDependencies {
  readonly app: App;
  readonly rules: OperationRules;
  readonly checks: RootChecks;
  readonly guard: SocketGuard<Connection>;
}

/** Starts subscription `id` of `connection` (counted on it at once), or answers why not. */
export async function subscribe(
  deps: SubscribeDependencies,
  connection: Connection,
  id: string,
  payload: SubscribePayload,
  socket: SocketOfRequest,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const checked = readOperation(deps.rules, payload, connection.viewer);
  if (isRefusal(checked)) return checked;
  // The socket's request id, as in its errors (client-errors.ts): named in the log line of an
  // outage below and carried by the subscription's context, so the lines its resolvers and
  // policies write name the id its client was given.
  const { id: requestId, log } = socket;
  const unavailable = (error: unknown): GraphQLError[] => {
    log.warn({ err: error, requestId }, 'database unreachable on a WebSocket subscribe');
    return [databaseUnavailable(requestId)];
  };
  const freshness = await connection.refresh();
  if (freshness === 'unknown') return unavailable(undefined);
  if (freshness !== 'current') return refusal('The credential could not be confirmed.', ErrorCode.UNAUTHENTICATED);
  const subscription: RunningSubscription = { ...checked };
  const denied = deps.checks.deniedFields(subscription, connection.viewer);
  if (denied.length > 0) return denied;
  const overLimit = deps.guard.subscriptionRefusal(connection);
  if (overLimit !== undefined) return [overLimit];
  // Counted now, before anything else is awaited, so parallel subscribes cannot all pass the limits.
  connection.track(id, subscription);
  const context = liveContext(deps.app, { connection, subscription, checks: deps.checks, requestId, log });
  let notOwned: readonly GraphQLError[];
  try {
    notOwned = await deps.checks.deniedObjects(subscription, connection.viewer, context.current(), { rethrow: isUnreachable });
  } catch (error) {
    connection.release(id, subscription);
    if (isUnreachable(error)) return unavailable(error);
    throw error;
  }
  if (notOwned.length > 0) {
    connection.release(id, subscription);
    return notOwned;
  }
  return {
    schema: deps.rules.schema,
    document: subscription.document,
    operationName: payload.operationName ?? null,
    variableValues: payload.variables ?? null,
    contextValue: context.value,
  };
}
