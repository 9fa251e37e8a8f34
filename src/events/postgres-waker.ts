/**
 * What wakes an event log follower on PostgreSQL: the NOTIFY that the log's insert trigger sends
 * with the new id (migration 2026-12-01T00-00_event-log), heard on a connection of the bus's own
 * (src/store/pg-listener.ts), opened on start or on the first listener, not before (a server with
 * no subscriber holds no extra connection). When that connection comes back after a loss, the
 * follower reads everything after its last id: an outage of the listener, or of the database,
 * loses nothing within the retention. A follower with no listener follows the ids of the
 * notifications without reading the log.
 */
import { listenOn, type PgListener } from '../store/pg-listener';
import type { EventBusLogEvent, EventWaker } from './types';
import type { LogFollower } from './log-follower';

/** The channel the event log's insert trigger notifies (migration 2026-12-01T00-00_event-log). */
export const EVENT_CHANNEL = 'gatehouse_events';

export class PostgresWaker implements EventWaker {
  private connection: PgListener | undefined;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly follower: LogFollower,
    private readonly report: (event: EventBusLogEvent, detail?: unknown) => void,
  ) {}

  /** Listens, and begins at the newest id before the first subscriber can arrive, so that nothing published after start is skipped. */
  async start(): Promise<void> {
    await this.listen();
    await this.follower.beginAtNewest();
  }

  firstListener(): void {
    void this.listen();
  }

  noListeners(): void {}

  async close(): Promise<void> {
    this.closed = true;
    await this.connection?.close();
  }

  private listen(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const follower = this.follower;
    this.connection ??= listenOn({
      connectionString: this.connectionString,
      channel: EVENT_CHANNEL,
      applicationName: 'gatehouse-event-listener',
      onNotification: (payload) => follower.notified(Number(payload)),
      onListening: () => {
        this.report('listening');
        follower.reconnected();
      },
      onLost: (error) => {
        follower.disconnected();
        this.report('lost', error);
      },
    });
    return this.connection.started;
  }
}
