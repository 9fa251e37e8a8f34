import { Client } from 'pg';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { createEventBus, type EventBus } from '../../src/subscriptions/event-bus';
import { openStore, type Store } from '../../src/store/database';
import { eventually } from '../helpers/ws';

describe.each(databasesUnderTest())('the event bus on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let store: Store;
  let buses: EventBus[];

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config, { credentialCacheSize: 0 });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });
  beforeEach(async () => {
    buses = [createEventBus(database.config, store.db), createEventBus(database.config, store.db)];
    await Promise.all(buses.map((bus) => bus.start()));
  });
  afterEach(() => Promise.all(buses.map((bus) => bus.close())));

  it('delivers an id to the listeners of its topic only, until they stop', async () => {
    const [bus] = buses as [EventBus];
    const got: string[] = [];
    const other: string[] = [];
    const stop = bus.on('noteAdded', (id) => got.push(id));
    bus.on('userChanged', (id) => other.push(id));
    await bus.publish('noteAdded', 'n1');
    await eventually(() => got.length === 1, 'delivered');
    stop();
    expect(bus.listenerCount()).toBe(1);
    await bus.publish('noteAdded', 'n2');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got).toEqual(['n1']);
    expect(other).toEqual([]);
  });

  it('refuses a malformed topic or id with TypeError, sending nothing', async () => {
    const [bus] = buses as [EventBus];
    await expect(bus.publish('note added', 'x')).rejects.toThrow(TypeError);
    await expect(bus.publish('noteAdded', '')).rejects.toThrow(TypeError);
    await expect(bus.publish('noteAdded', 'a'.repeat(201))).rejects.toThrow(TypeError);
    await expect(bus.publish('noteAdded', 'x:\n')).rejects.toThrow(TypeError);
  });

  (dialect === 'postgres' ? it : it.skip)('reaches the listeners of another bus on the same database (another instance)', async () => {
    const [first, second] = buses as [EventBus, EventBus];
    const got: string[] = [];
    second.on('noteAdded', (id) => got.push(id));
    await first.publish('noteAdded', 'from-first');
    await eventually(() => got.length === 1, 'delivered across');
    expect(got).toEqual(['from-first']);
  });

  (dialect === 'postgres' ? it : it.skip)('reconnects its listening connection when PostgreSQL drops it, and delivers again', async () => {
    const [first, second] = buses as [EventBus, EventBus];
    const got: string[] = [];
    second.on('noteAdded', (id) => got.push(id));
    const url = (database.config as { url: string }).url;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const listeners = async () =>
        (
          await admin.query<{ pid: number }>(
            "select pid from pg_stat_activity where application_name = 'gatehouse-event-listener' and datname = current_database() and query like 'listen %'",
          )
        ).rows.map((row) => row.pid);
      const before = await listeners();
      expect(before).toHaveLength(2);
      await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [before]);
      let after: number[] = [];
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        after = await listeners();
        if (after.length === 2 && after.every((pid) => !before.includes(pid))) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(after).toHaveLength(2);
      await first.publish('noteAdded', 'after-reconnect');
      await eventually(() => got.includes('after-reconnect'), 'delivered after the reconnect');
    } finally {
      await admin.end();
    }
  });
});
