/*
 * One subscriber's event stream (src/subscriptions/streams.ts) over a real event bus on an SQLite
 * file: the bound on what a slow subscriber has waiting.
 */
import { createEventBus, type EventBus } from '../../src/subscriptions/event-bus';
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

  it('drops the oldest of what a slow subscriber has waiting beyond the bound, saying so in two log lines, not one per event', async () => {
    const warnings: Array<[object, string]> = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stream = new EventStream<string>(
      bus,
      'noteAdded',
      async (id) => {
        if (id === 'e0') await gate; // the subscriber is stuck on its first event
        return id;
      },
      { refresh: async () => 'current', warn: (details, message) => warnings.push([details, message]) },
    );
    let delivered = 0;
    const stop = bus.on('noteAdded', () => delivered++);
    const first = stream.next();
    const total = MAX_PENDING_EVENTS + 44;
    for (let i = 0; i < total; i++) await bus.publish('noteAdded', `e${i}`);
    await eventually(() => delivered === total, 'every event reached the bus listeners');
    stop();
    // e0 is being read; of the other total - 1, the newest MAX_PENDING_EVENTS wait and 43 were dropped.
    expect(warnings).toEqual([[{ limit: MAX_PENDING_EVENTS }, 'subscriber too slow: oldest events dropped']]);
    release();
    const got = [(await first).value];
    for (let i = 0; i < MAX_PENDING_EVENTS; i++) got.push((await stream.next()).value);
    expect(got[0]).toBe('e0');
    expect(got[1]).toBe('e44');
    expect(got.at(-1)).toBe(`e${total - 1}`);
    expect(warnings).toEqual([
      [{ limit: MAX_PENDING_EVENTS }, 'subscriber too slow: oldest events dropped'],
      [{ dropped: 43, limit: MAX_PENDING_EVENTS }, 'subscriber caught up after dropping events'],
    ]);
    await stream.return();
  });
});
