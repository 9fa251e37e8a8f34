/** The event bus's public shapes and the waker each dialect implements (event-bus.ts explains the whole). */

/** One event as delivered on this instance: one object shared by every listener of that delivery. */
export interface DeliveredEvent {
  readonly topic: string;
  readonly id: string;
}

export interface EventBus {
  /** Logs `id` for every subscriber of `topic` on every instance. Rejects only on a bad topic or id (TypeError) or a failed INSERT. */
  publish(topic: string, id: string): Promise<void>;
  /**
   * Calls `listener` with each id published on `topic` from now on, and the object that stands for
   * that event's delivery on this instance (the same for every listener); returns the function that stops it.
   */
  on(topic: string, listener: (id: string, event: DeliveredEvent) => void): () => void;
  /**
   * Starts following the log across instances (PostgreSQL) and resolves once listening or once the
   * first attempt failed (it keeps retrying). The server calls it at start-up, with its log.
   */
  start(options?: EventBusOptions): Promise<void>;
  /** Listeners currently registered (tests, the memory check). */
  listenerCount(): number;
  /** Stops following the log (closes PostgreSQL's listening connection, stops SQLite's checks). */
  close(): Promise<void>;
}

/**
 * What a bus tells its log: PostgreSQL's listening connection `lost` (with the error) and
 * `listening` again; the log `unreadable` (with the error; it is read again every second); a `gap`
 * (with `{ after, next }`) after being out of touch for longer than the retention; a `listener`
 * that threw (with `{ err, topic }`: that listener missed the event, the others and the following
 * events are delivered as usual).
 */
export type EventBusLogEvent = 'lost' | 'listening' | 'unreadable' | 'gap' | 'listener';

export interface EventBusOptions {
  readonly log?: (event: EventBusLogEvent, detail?: unknown) => void;
  /** Told, for each event delivered on this instance, how long after its publish it was read (seconds; gatehouse_event_bus_lag_seconds). */
  readonly delivered?: (lagSeconds: number) => void;
}

/** How a bus follows the log; from config (docs/subscriptions.md). */
export interface EventLogSettings {
  /** SQLite: how often data_version is checked while there are listeners, in ms. */
  readonly pollMs: number;
  /** Events older than this are deleted, in ms. */
  readonly retentionMs: number;
  /** At most one deletion per this many ms per process. Default 60 s. */
  readonly purgeEveryMs?: number;
  /** The clock for `published_at` and the retention (tests). */
  readonly now?: () => Date;
}

/** What wakes a follower besides its own publishes: one per dialect. */
export interface EventWaker {
  start(): Promise<void>;
  /** The first listener arrived (after none). */
  firstListener(): void;
  /** The last listener left. */
  noListeners(): void;
  close(): Promise<void>;
}
