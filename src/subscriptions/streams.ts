/**
 * `context.events` (src/context.ts): publishing from any resolver, and the event streams a
 * `Subscription` field's `subscribe` returns over WebSocket.
 *
 * A stream is an async iterator written by hand, not an async generator: a generator waiting for
 * its next event cannot be stopped until that event comes (`return()` queues behind the pending
 * `await`), so a client that completes a quiet subscription would leave its listener behind.
 */
import { GraphQLError } from 'graphql';
import type { GatehouseEvents } from '../context';
import type { EventBus } from './event-bus';

/**
 * Events one slow subscriber may have waiting; beyond that the oldest are dropped. The event log
 * (event-bus.ts) makes sure each instance gets every event; a socket that cannot keep up with them
 * is bounded here, so one slow client cannot hold the instance's memory.
 */
export const MAX_PENDING_EVENTS = 256;

/** Where a stream asks, before each event, whether its subscriber may still receive anything. */
export interface StreamOwner {
  /** Re-reads the subscriber's viewer: `ended` when the credential has ended (the socket is then closing), `unknown` when the store could not say. */
  refresh(): Promise<'current' | 'ended' | 'unknown'>;
  /** Told of an event dropped or an unexpected failure. */
  warn(details: object, message: string): void;
}

type Settle<T> = { resolve(result: IteratorResult<T>): void };

/** One subscriber's events of one topic, each `select`ed under its current viewer. */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly pending: string[] = [];
  private waiting: Settle<T> | undefined;
  private busy = false;
  private done = false;
  /** Events dropped since the subscriber last had nothing waiting. */
  private dropped = 0;
  private readonly stop: () => void;

  constructor(
    bus: EventBus,
    topic: string,
    private readonly select: (id: string) => Promise<T | undefined> | T | undefined,
    private readonly owner: StreamOwner,
  ) {
    this.stop = bus.on(topic, (id) => this.push(id));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private push(id: string): void {
    if (this.done) return;
    if (this.pending.length >= MAX_PENDING_EVENTS) {
      this.pending.shift();
      // One line when dropping begins and one with the count when the subscriber has caught up, not
      // one per event: a backlog read after an outage would otherwise log events × subscribers lines.
      if (this.dropped++ === 0) this.owner.warn({ limit: MAX_PENDING_EVENTS }, 'subscriber too slow: oldest events dropped');
    }
    this.pending.push(id);
    void this.pump();
  }

  /** The subscriber has nothing waiting any more: says how many events it lost since dropping began. */
  private caughtUp(): void {
    if (this.dropped === 0 || this.pending.length > 0) return;
    const message = this.done ? 'subscription ended after dropping events' : 'subscriber caught up after dropping events';
    this.owner.warn({ dropped: this.dropped, limit: MAX_PENDING_EVENTS }, message);
    this.dropped = 0;
  }

  /** Turns the oldest pending id into a value for the waiting `next()`, one at a time, in order. */
  private async pump(): Promise<void> {
    if (this.busy || this.waiting === undefined || this.pending.length === 0) return;
    this.busy = true;
    try {
      while (this.waiting !== undefined && this.pending.length > 0 && !this.done) {
        const id = this.pending.shift() as string;
        let value: T | undefined;
        try {
          const freshness = await this.owner.refresh();
          if (freshness === 'ended') {
            this.end();
            return;
          }
          // Without a current viewer, nothing is sent: the event is skipped, the stream goes on.
          if (freshness === 'unknown' || this.done) continue;
          value = await this.select(id);
        } catch (error) {
          // Logged by the owner; this subscriber skips the event rather than seeing the detail.
          this.owner.warn({ err: error }, 'event could not be read for a subscriber; skipped');
          continue;
        }
        if (value === undefined || this.done) continue;
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting?.resolve({ value, done: false });
      }
    } finally {
      this.busy = false;
      this.caughtUp();
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<T>>((resolve) => {
      this.waiting = { resolve };
      void this.pump();
    });
  }

  /** Ends the stream: listening stops and a waiting `next()` finishes. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.stop();
    this.pending.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
  }

  async return(): Promise<IteratorResult<T>> {
    this.end();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    throw error;
  }
}

/** `context.events` outside WebSocket: publishing works, subscribing is refused. */
export function publishOnlyEvents(bus: EventBus, log?: { warn(details: object, message: string): void }): GatehouseEvents {
  return {
    publish: (topic, id) => publishQuietly(bus, topic, id, log),
    subscribe() {
      throw new GraphQLError('Subscriptions are served over WebSocket (graphql-transport-ws) on /graphql.', {
        extensions: { code: 'BAD_REQUEST' },
      });
    },
  };
}

/** `context.events` for one subscription over WebSocket. */
export function subscriberEvents(bus: EventBus, owner: StreamOwner): GatehouseEvents {
  return {
    publish: (topic, id) => publishQuietly(bus, topic, id, owner),
    subscribe<T>(topic: string, select: (id: string) => Promise<T | undefined> | T | undefined) {
      return new EventStream<T>(bus, topic, select, owner);
    },
  };
}

async function publishQuietly(
  bus: EventBus,
  topic: string,
  id: string,
  log: { warn(details: object, message: string): void } | undefined,
): Promise<void> {
  try {
    await bus.publish(topic, id);
  } catch (error) {
    if (error instanceof TypeError) throw error;
    log?.warn({ err: error, topic }, 'event not published');
  }
}
