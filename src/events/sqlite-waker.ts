/**
 * What wakes an event log follower on SQLite: `PRAGMA data_version` on the store's watcher
 * connection (Store.watcher, the one the credential cache watches), checked every `pollMs` while
 * this process has a listener and not at all otherwise. So events cross processes sharing one
 * file. SQLite does not follow the log with nobody listening: the first listener begins it at the
 * newest id. An in-memory database has no watcher (nothing else can write to it): only this
 * process's own publishes wake it.
 */
import type { Store } from '../store/database';
import type { EventWaker } from './types';
import type { LogFollower } from './log-follower';

export class SqliteWaker implements EventWaker {
  private poll: NodeJS.Timeout | undefined;
  private seenVersion: number | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly follower: LogFollower,
    private readonly pollMs: number,
  ) {}

  /** Nothing to start: SQLite follows the log only while someone listens. */
  async start(): Promise<void> {}

  firstListener(): void {
    // Begin at the newest id, now if the watcher can say (a synchronous read), else at the next
    // step (an in-memory database, where this process's publishes queue on the same connection
    // behind that read).
    this.follower.forgetPlace();
    try {
      const newest = this.store.watcher?.latestEventId();
      if (newest !== undefined) this.follower.beginAt(newest);
    } catch {
      // Unreadable now: the next step tries again.
    }
    this.watch();
    this.follower.wake();
  }

  noListeners(): void {
    this.unwatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unwatch();
  }

  private watch(): void {
    const dataVersion = this.store.watcher?.dataVersion;
    if (dataVersion === undefined || this.poll !== undefined || this.closed) return;
    this.poll = setInterval(() => {
      let version: number;
      try {
        version = dataVersion();
      } catch (error) {
        this.follower.unreadable(error);
        return;
      }
      if (version !== this.seenVersion) {
        this.seenVersion = version;
        this.follower.wake();
      }
    }, this.pollMs);
    this.poll.unref();
  }

  private unwatch(): void {
    if (this.poll !== undefined) clearInterval(this.poll);
    this.poll = undefined;
    this.seenVersion = undefined;
  }
}
