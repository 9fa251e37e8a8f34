/*
 * One subscriber's event stream (src/subscriptions/streams.ts) over a real event bus on an SQLite
 * file: the bound on what a slow subscriber has waiting, and how it ends one past it.
 */
import { createEventBus, type EventBus } from '../../src/events/event-bus';
import { EventStream, MAX_PENDING_EVENTS } from '../../src/subscriptions/streams';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { sqliteFile, type ThrowawayDatabase } from '../helpers/databases';
import { eventually } from '../helpers/ws';

describe('an event stream', () => {
  let database: ThrowawayDatabase;
  let store: Store;
  let bus: EventBus;

  beforeAll(async () => {
    database = sqliteFile();
    store = openStore(database.config, { credentialCacheSize: 0 });
    await migrateToLatest(store);
    bus = createEventBus(database.config, store, { pollMs: 20, retentionMs: 86_400_000 });
    await bus.start();
  });
  afterAll(async () => {
    await bus.close();
    await store.close();
    await database.drop();
  });

  /** A stream whose subscriber is stuck reading its first event until `release()`. */
  function stuckStream() {
    const warnings: Array<[object, string]> = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stream = new EventStream<string>(
      bus,
      'noteAdded',
      async (id) => {
        if (id === 'e0') await gate;
        return id;
      },
      {
        standing: () => 'current',
        viewer: () => null,
        viewerKey: () => 'anonymous',
        reader: { db: store.db, now: () => new Date() },
        beginEvent: () => undefined,
        mayDeliver: async () => true,
        warn: (details, message) => warnings.push([details, message]),
      },
    );
    return { stream, warnings, release: () => release() };
  }

  async function publishAll(total: number): Promise<void> {
    let delivered = 0;
    const stop = bus.on('noteAdded', () => delivered++);
    for (let i = 0; i < total; i++) await bus.publish('noteAdded', `e${i}`);
    await eventually(() => delivered === total, 'every event reached the bus listeners');
    stop();
  }

  it('keeps MAX_PENDING_EVENTS waiting behind the one being read, and delivers them all in order', async () => {
    const { stream, warnings, release } = stuckStream();
    const first = stream.next();
    await publishAll(MAX_PENDING_EVENTS + 1);
    release();
    const got = [(await first).value];
    for (let i = 0; i < MAX_PENDING_EVENTS; i++) got.push((await stream.next()).value);
    expect(got).toEqual(Array.from({ length: MAX_PENDING_EVENTS + 1 }, (_, i) => `e${i}`));
    expect(warnings).toEqual([]);
    await stream.return();
  });

  it('ends a subscriber one event past the bound with EVENTS_MISSED, in one log line, instead of dropping events', async () => {
    const { stream, warnings, release } = stuckStream();
    // Settled while the events are published: its outcome is kept for the assertion below.
    const first = stream.next().then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    await publishAll(MAX_PENDING_EVENTS + 44);
    // e0 is being read, MAX_PENDING_EVENTS waited behind it, the next one ended the stream.
    expect(await first).toMatchObject({ error: { extensions: { code: 'EVENTS_MISSED', limit: MAX_PENDING_EVENTS } } });
    expect(warnings).toEqual([[{ limit: MAX_PENDING_EVENTS }, 'subscriber too slow: subscription ended with EVENTS_MISSED']]);
    release();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
