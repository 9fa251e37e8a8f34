// Listening and shutting down. close() stops taking requests, lets those in flight finish (Apollo's
// drain plugin, then Fastify's onClose hooks, where route modules undo what they set up), and only
// then closes the store; called twice, it returns the same promise.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { Store } from '../store/database';

export interface Lifecycle {
  /** Starts listening on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, finishes those in flight, closes the store. */
  close(): Promise<void>;
  /** True once close() has been called. */
  closing(): boolean;
}

export function createLifecycle(fastify: FastifyInstance, apollo: { stop(): Promise<void> }, store: Store, config: Config): Lifecycle {
  let closed: Promise<void> | undefined;
  return {
    listen: () => fastify.listen({ host: config.host, port: config.port }),
    close() {
      closed ??= (async () => {
        await apollo.stop(); // drains the HTTP server through fastifyApolloDrainPlugin
        await fastify.close();
        await store.close();
      })();
      return closed;
    },
    closing: () => closed !== undefined,
  };
}
