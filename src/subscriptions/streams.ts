/**
 * `context.events` (src/context.ts) over WebSocket: the event streams a `Subscription` field's
 * `subscribe` returns (publishing is src/events/context-events.ts).
 *
 * A stream is an async iterator written by hand, not an async generator: a generator waiting for
 * its next event cannot be stopped until that event comes (`return()` queues behind the pending
 * `await`), so a client that completes a quiet subscription would leave its listener behind.
 */
import type { Viewer } from '../auth/viewer';
import type { EventReader, EventSelect, EventView, GatehouseEvents } from '../context';
import { eventsMissed } from '../graphql/errors';
import type { DeliveredEvent, EventBus } from '../events/event-bus';
import type { Freshness } from './connection';
import { type Reading, type ViewWaiter, viewEvent } from './event-views';
import { publishQuietly } from '../events/context-events';

/**
 * Events one subscriber may have waiting. The event log (src/events/event-bus.ts) makes sure each instance
 * gets every event; a subscriber that falls further behind is ended here with EVENTS_MISSED (the
 * client gets an `error` message for it, and knows to subscribe again and re-read) rather than
 * have events dropped without its knowing. graphql-ws sends a subscription's next event only once
 * the previous one was written (socket-channel.ts `send`), so a client that stops reading stalls its
 * subscriptions and lands here; what its socket holds unsent is bounded in socket-channel.ts.
 */
export const MAX_PENDING_EVENTS = 256;

/** The subscriber a stream belongs to, as of its last re-check (connection.ts, on a timer), never re-read per event. */
export interface StreamOwner {
  /** `ended` when the credential has ended (the socket is then closing), `unknown` while the store could not say. */
  standing(): Freshness;
  viewer(): Viewer | null;
  /** event-views.ts `viewerKey` of `viewer()`. */
  viewerKey(): string;
  /** What an EventView's `load` reads with. */
  readonly reader: EventReader;
  /** A fresh per-event cache (loaders, @owner's objects) before an event is read for this subscriber or executed. */
  beginEvent(): void;
  /**
   * Just before an event is delivered: false when the subscription may no longer run (a root
   * `@owner(loads: …)` object it may no longer use; the subscription is then ended with the error).
   */
  mayDeliver(): Promise<boolean>;
  /** Told of a subscriber that fell behind, or of an unexpected failure. */
  warn(details: object, message: string): void;
}

type Settle<T> = { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };
/** An event waiting for this subscriber; `ready` once its value (undefined: not for this subscriber) is known. */
type Pending<T> = { readonly id: string; readonly event: DeliveredEvent; ready: boolean; value: T | undefined };

/**
 * One subscriber's events of one topic, each read through `select` for its viewer, delivered in
 * order. With an EventView the value is settled by the shared read (event-views.ts) and an event
 * this subscriber may not see is passed over without a promise or a read of its own.
 */
export class EventStream<T> implements AsyncIterableIterator<T>, ViewWaiter<T> {
  private readonly pending: Pending<T>[] = [];
  private cachedReading: Reading | undefined;
  private waiting: Settle<T> | undefined;
  /** An event is being read (a function select) or delivered (the last checks before it). */
  private busy = false;
  private done = false;
  /** Why the stream ended, told to the next `next()` once; then it is done. */
  private failure: Error | undefined;
  private readonly stop: () => void;

  constructor(
    bus: EventBus,
    topic: string,
    private readonly select: EventView<T> | EventSelect<T>,
    private readonly owner: StreamOwner,
  ) {
    this.stop = bus.on(topic, (id, event) => this.push(id, event));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private push(id: string, event: DeliveredEvent): void {
    if (this.done) return;
    if (this.pending.length >= MAX_PENDING_EVENTS) {
      this.owner.warn({ limit: MAX_PENDING_EVENTS }, 'subscriber too slow: subscription ended with EVENTS_MISSED');
      this.end(eventsMissed(MAX_PENDING_EVENTS));
      return;
    }
    const entry: Pending<T> = { id, event, ready: false, value: undefined };
    this.pending.push(entry);
    if (typeof this.select !== 'function') viewEvent(event, this.select, this.reading(), this, entry);
    this.pump();
  }

  /** The shared read's answer for `entry` (event-views.ts). */
  viewSettled(entry: object, value: T | undefined): void {
    const pending = entry as Pending<T>;
    pending.ready = true;
    pending.value = value;
    this.pump();
  }

  /** Who reads, as event-views.ts needs it: made again only when the viewer changed (a re-check). */
  private reading(): Reading {
    const { owner } = this;
    const key = owner.viewerKey();
    if (this.cachedReading?.viewerKey !== key) {
      this.cachedReading = {
        viewer: owner.viewer(),
        viewerKey: key,
        reader: owner.reader,
        failed: (error: unknown) => owner.warn({ err: error }, 'event could not be read for its subscribers; skipped'),
      };
    }
    return this.cachedReading;
  }

  /** Passes over the events at the head that are not for this subscriber, and starts delivering the first that is, while `next()` waits. */
  private pump(): void {
    while (!this.busy && this.waiting !== undefined && !this.done) {
      const head = this.pending[0];
      if (head === undefined) return;
      const standing = this.owner.standing();
      if (standing === 'ended') {
        this.end();
        return;
      }
      if (typeof this.select === 'function') {
        this.pending.shift();
        // Without a current viewer, nothing is sent: the event is skipped, the stream goes on.
        if (standing === 'unknown') continue;
        this.busy = true;
        void this.readOwn(this.select, head.id);
        return;
      }
      if (!head.ready) return; // the shared read calls pump() again once it is
      this.pending.shift();
      if (head.value === undefined || standing === 'unknown') continue;
      this.busy = true;
      void this.deliver(head.value);
      return;
    }
  }

  /** A function select: this subscriber's own read of event `id`, then its delivery. */
  private async readOwn(select: EventSelect<T>, id: string): Promise<void> {
    let value: T | undefined;
    try {
      this.owner.beginEvent();
      value = await select(id);
    } catch (error) {
      // Logged by the owner; this subscriber skips the event rather than seeing the detail.
      this.owner.warn({ err: error }, 'event could not be read for a subscriber; skipped');
    }
    if (value === undefined) this.idle();
    else await this.deliver(value, false);
  }

  /** Hands `value` to the waiting `next()`, unless the subscription may no longer run. */
  private async deliver(value: T, freshCache = true): Promise<void> {
    try {
      if (freshCache) this.owner.beginEvent();
      if (!(await this.owner.mayDeliver()) || this.done) return;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.resolve({ value, done: false });
    } catch (error) {
      this.owner.warn({ err: error }, 'event could not be read for a subscriber; skipped');
    } finally {
      this.idle();
    }
  }

  private idle(): void {
    this.busy = false;
    this.pump();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.waiting = { resolve, reject };
      void this.pump();
    });
  }

  /** Ends the stream: listening stops and a waiting `next()` finishes, or fails with `failure` (else the next one does). */
  end(failure?: Error): void {
    if (this.done) return;
    this.done = true;
    this.stop();
    this.pending.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (failure === undefined) waiting?.resolve({ value: undefined, done: true });
    else if (waiting !== undefined) waiting.reject(failure);
    else this.failure = failure;
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

/** `context.events` for one subscription over WebSocket. */
export function subscriberEvents(bus: EventBus, owner: StreamOwner): GatehouseEvents {
  return {
    publish: (topic, id) => publishQuietly(bus, topic, id, owner),
    subscribe<T>(topic: string, select: EventView<T> | EventSelect<T>) {
      return new EventStream<T>(bus, topic, select, owner);
    },
  };
}
