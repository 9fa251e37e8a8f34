/**
 * Retention of the event log: after a publish, the events older than the retention are deleted,
 * at most once per `everyMs` per process (an indexed DELETE). A failure (the database gone
 * meanwhile) is left to the next attempt: no publish waits for it.
 */
import type { Db } from '../store/schema';
import { deleteEventsBefore } from '../store/event-log';

export class RetentionPurge {
  private purgedAt = Number.NEGATIVE_INFINITY;
  /** The deletion under way, which close() waits for (it never rejects). */
  private purging: Promise<unknown> | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly retentionMs: number,
    private readonly everyMs: number,
  ) {}

  /** A publish at `at`: purge if the last purge is `everyMs` old. */
  after(at: Date): void {
    if (this.closed || at.getTime() - this.purgedAt < this.everyMs) return;
    this.purgedAt = at.getTime();
    this.purging = deleteEventsBefore(this.db, new Date(at.getTime() - this.retentionMs)).catch(() => undefined);
  }

  /** No more purges; resolves when the one under way has ended. */
  async close(): Promise<void> {
    this.closed = true;
    await this.purging;
  }
}
