/**
 * Follows the event log for one instance: remembers the last id it delivered and, when woken,
 * reads the events after it in id order (BATCH at a time) and hands them to the listeners. Every
 * event reaches the instance once, in publish order, whatever woke it and however often. What
 * wakes it is the dialect's waker (sqlite-waker.ts, postgres-waker.ts) and this instance's own
 * publishes; how a gap is judged is in event-bus.ts's header.
 */
import type { Db } from '../store/schema';
import { eventsAfter, latestEventId } from '../store/event-log';
import type { EventBusLogEvent } from './types';
import type { TopicListeners } from './topic-listeners';

/** Events read from the log per query; a follower further behind reads again at once. */
const BATCH = 256;
/** How long a follower waits before reading again after a read failed. */
const RETRY_MS = 1_000;

export interface FollowerSettings {
  /** Events older than this may have been deleted, in ms: a gap found after being out of touch longer may be a loss. */
  readonly retentionMs: number;
  readonly now: () => Date;
  /**
   * PostgreSQL: keeps its place while nobody listens (notifications tell it the ids). SQLite: stops
   * following with nobody listening and begins again at the newest id when a listener arrives.
   */
  readonly followsWhileIdle: boolean;
  /** Told, for each event delivered to this instance's listeners, how long after its publish (seconds). */
  readonly delivered?: (lagSeconds: number) => void;
}

export class LogFollower {
  /** The id of the last event delivered (or passed over with nobody listening); undefined: begin at the newest. */
  private last: number | undefined;
  /** When `last` was last known to be the newest id (ms). */
  private caughtUpAt = 0;
  /** PostgreSQL: the listening connection is up. */
  private connected = false;
  /**
   * PostgreSQL: the connection has stayed up and every read succeeded since `caughtUpAt`, so each
   * event committed since was announced and read at once: a gap then is a rolled-back insert, never
   * a deletion, however long the log was quiet.
   */
  private inTouch = false;
  /** PostgreSQL: the listening connection is back; the next step reads (or, with no listener, skips) what was missed. */
  private catchUp = false;
  private wanted = false;
  private running = false;
  private failing = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  /** The running pump, which close() waits for: the store must not close under its read. */
  private pumping: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly listeners: TopicListeners,
    private readonly settings: FollowerSettings,
    private readonly report: (event: EventBusLogEvent, detail?: unknown) => void,
  ) {}

  /** Has a place in the log (else it begins at the newest id on its next step). */
  get placed(): boolean {
    return this.last !== undefined;
  }

  /** Reads what is new (soon, once; calls while a read runs make it read again after). */
  wake(): void {
    this.wanted = true;
    if (!this.running) this.pumping = this.pump();
  }

  /** This instance logged event `id`: read it now if anyone listens for it. */
  published(id: number): void {
    if (this.listeners.count() > 0 && (this.last === undefined || id > this.last)) this.wake();
  }

  /** Begins at `newest` (or stays further on), as caught up now. */
  beginAt(newest: number): void {
    this.last = Math.max(this.last ?? 0, newest);
    this.caughtUp();
  }

  /** Forgets its place: the next step begins at the newest id (SQLite, when a first listener arrives). */
  forgetPlace(): void {
    this.last = undefined;
  }

  /** Begins at the newest id the log has now, unless it has a place already. A failed read is left to the next step. */
  async beginAtNewest(): Promise<void> {
    if (this.last !== undefined) return;
    try {
      this.beginAt(await latestEventId(this.db));
    } catch {
      // The database is not reachable: the follower begins once the waker says the log is reachable.
    }
  }

  /** PostgreSQL: a notification announced event `id`. With nobody listening it follows the ids without reading. */
  notified(id: number): void {
    if (this.last !== undefined && id <= this.last) return;
    if (this.last !== undefined && Number.isSafeInteger(id) && this.listeners.count() === 0 && !this.catchUp) {
      // Each notification comes in commit order.
      this.last = id;
      this.caughtUp();
      return;
    }
    this.wake();
  }

  /** PostgreSQL: the listening connection is (back) up; what it missed is read next. */
  reconnected(): void {
    this.connected = true;
    this.catchUp = true;
    this.wake();
  }

  /** PostgreSQL: the listening connection is gone; events may arrive unannounced until it is back. */
  disconnected(): void {
    this.connected = false;
    this.inTouch = false;
  }

  /** The waker could not read the log's state (SQLite's data_version): reported once per outage. */
  unreadable(error: unknown): void {
    if (!this.failing) this.report('unreadable', error);
    this.failing = true;
  }

  /** Stops reading; resolves when a read under way has ended. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    await this.pumping;
  }

  private caughtUp(): void {
    this.caughtUpAt = this.settings.now().getTime();
    this.inTouch = this.connected;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.wanted && !this.closed) {
        this.wanted = false;
        try {
          await this.step();
          this.failing = false;
        } catch (error) {
          if (this.closed) break; // the read that close() interrupted: shutting down, not a failure
          this.unreadable(error);
          this.inTouch = false;
          this.retryLater();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private retryLater(): void {
    if (this.retry !== undefined || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.wake();
    }, RETRY_MS);
    this.retry.unref();
  }

  /** One read of the log, or of where it ends. */
  private async step(): Promise<void> {
    const listening = this.listeners.count() > 0;
    const { followsWhileIdle } = this.settings;
    if (this.last === undefined || (!listening && this.catchUp)) {
      // Beginning, or back after a loss with nobody to deliver to: skip to the newest.
      if (!listening && !followsWhileIdle) return; // SQLite begins when a listener arrives
      this.catchUp = false;
      this.beginAt(await latestEventId(this.db));
      return;
    }
    if (!listening) {
      if (!followsWhileIdle) this.last = undefined; // SQLite stops following; it begins again at the newest
      return;
    }
    this.catchUp = false;
    await this.readAfter(this.last);
  }

  private async readAfter(after: number): Promise<void> {
    const events = await eventsAfter(this.db, after, BATCH);
    if (this.closed) return; // closed while reading: nothing is delivered after close()
    const first = events[0];
    const outOfTouchFor = this.settings.now().getTime() - this.caughtUpAt;
    if (first !== undefined && first.id > after + 1 && !this.inTouch && outOfTouchFor > this.settings.retentionMs) {
      this.report('gap', { after, next: first.id });
    }
    const readAt = this.settings.now().getTime();
    for (const event of events) {
      if (event.id <= (this.last ?? 0)) continue;
      this.last = event.id;
      // Another instance's clock may run ahead of this one's: never a negative lag.
      this.settings.delivered?.(Math.max(0, readAt - event.publishedAt) / 1_000);
      this.listeners.deliver(event.topic, event.subject, (error) => this.report('listener', { err: error, topic: event.topic }));
    }
    if (events.length === BATCH) this.wanted = true;
    else this.caughtUp();
  }
}
