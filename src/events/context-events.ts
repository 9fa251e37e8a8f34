/**
 * `context.events` (src/context.ts) for publishing from any resolver. Over HTTP subscribing is
 * refused; over WebSocket src/subscriptions/streams.ts adds it.
 */
import { GraphQLError } from 'graphql';
import type { GatehouseEvents } from '../context';
import type { EventBus } from './event-bus';

/** Where a failed publish is logged. */
export interface PublishLog {
  warn(details: object, message: string): void;
}

/** `context.events` outside WebSocket: publishing works, subscribing is refused. */
export function publishOnlyEvents(bus: EventBus, log?: PublishLog): GatehouseEvents {
  return {
    publish: (topic, id) => publishQuietly(bus, topic, id, log),
    subscribe() {
      throw new GraphQLError('Subscriptions are served over WebSocket (graphql-transport-ws) on /graphql.', {
        extensions: { code: 'BAD_REQUEST' },
      });
    },
  };
}

/**
 * Publishes, logging a failed INSERT rather than throwing it: the caller's own change has
 * committed. A malformed topic or id (TypeError) is the caller's bug and throws.
 */
export async function publishQuietly(bus: EventBus, topic: string, id: string, log: PublishLog | undefined): Promise<void> {
  try {
    await bus.publish(topic, id);
  } catch (error) {
    if (error instanceof TypeError) throw error;
    log?.warn({ err: error, topic }, 'event not published');
  }
}
