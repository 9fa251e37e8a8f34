/*
 * The event bus over the event log (src/events/event-bus.ts): two stores on one database
 * stand for two instances (on SQLite, two connections to one file are what a second process
 * amounts to; test/subscriptions/instances.test.ts runs real second processes).
 */
import { sql } from 'kysely';
import { Client } from 'pg';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { createEventBus, EVENT_CHANNEL, type EventBus, type EventBusLogEvent, type EventLogSettings } from '../../src/events/event-bus';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { appendEvent, deleteEventsBefore } from '../../src/store/event-log';
import { manualClock } from '../../src/manual-clock';
import { eventually } from '../helpers/ws';

const SETTINGS: EventLogSettings = { pollMs: 20, retentionMs: 86_400_000 };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(databasesUnderTest())('the event bus on %s', (dialect) => {
  let database: ThrowawayDatabase;
  /** Two instances: each store is a connection (pool) of its own. */
  let stores: [Store, Store];
  let buses: EventBus[];

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    stores = [openStore(database.config, { credentialCacheSize: 0 }), openStore(database.config, { credentialCacheSize: 0 })];
    await migrateToLatest(stores[0]);
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await database.drop();
  });
  afterEach(() => Promise.all(buses.map((bus) => bus.close())));

  /** A started bus on each store. */
  async function twoBuses(settings: EventLogSettings = SETTINGS, log?: (event: EventBusLogEvent, detail?: unknown) => void) {
    buses = stores.map((store) => createEventBus(database.config, store, settings, log ? { log } : {}));
    await Promise.all(buses.map((bus) => bus.start()));
    return buses as [EventBus, EventBus];
  }
  const logged = async () =>
    (await stores[0].db.selectFrom('event_log').select(['topic', 'subject']).orderBy('id').execute()).map((r) => r.subject);
  /** The logged subjects once `subject` is gone from them, or after 2 s. */
  const deleted = async (subject: string) => {
    let rows = await logged();
    for (const until = Date.now() + 2_000; rows.includes(subject) && Date.now() < until; rows = await logged()) await pause(20);
    return rows;
  };

  it('delivers an id to the listeners of its topic only, until they stop', async () => {
    const [bus] = await twoBuses();
    const got: string[] = [];
    const other: string[] = [];
    const stop = bus.on('noteAdded', (id) => got.push(id));
    bus.on('userChanged', (id) => other.push(id));
    await bus.publish('noteAdded', 'n1');
    await eventually(() => got.length === 1, 'delivered');
    stop();
    expect(bus.listenerCount()).toBe(1);
    await bus.publish('noteAdded', 'n2');
    await pause(100);
    expect(got).toEqual(['n1']);
    expect(other).toEqual([]);
  });

  it('refuses a malformed topic or id with TypeError, logging nothing', async () => {
    const [bus] = await twoBuses();
    const before = await logged();
    await expect(bus.publish('note added', 'x')).rejects.toThrow(TypeError);
    await expect(bus.publish('noteAdded', '')).rejects.toThrow(TypeError);
    await expect(bus.publish('noteAdded', 'a'.repeat(201))).rejects.toThrow(TypeError);
    await expect(bus.publish('noteAdded', 'x:\n')).rejects.toThrow(TypeError);
    expect(await logged()).toEqual(before);
  });

  it('reaches the listeners of another bus on the same database (another instance)', async () => {
    const [first, second] = await twoBuses();
    const got: string[] = [];
    second.on('noteAdded', (id) => got.push(id));
    await pause(100); // the second bus has settled: only a wake-up from the database can bring the event
    await first.publish('noteAdded', 'from-first');
    await eventually(() => got.length === 1, 'delivered across');
    expect(got).toEqual(['from-first']);
  });

  it('delivers every event once, in publish order, on every instance; nothing from before a bus started', async () => {
    const history = createEventBus(database.config, stores[0], SETTINGS);
    await history.publish('noteAdded', 'history');
    await history.close();
    const [first, second] = await twoBuses();
    const onFirst: string[] = [];
    const onSecond: string[] = [];
    first.on('noteAdded', (id) => onFirst.push(id));
    second.on('noteAdded', (id) => onSecond.push(id));
    await pause(100);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `e${i}`;
      sent.push(id);
      await (i % 2 === 0 ? first : second).publish('noteAdded', id);
    }
    await eventually(() => onFirst.length >= 30 && onSecond.length >= 30, 'all delivered on both');
    await pause(150);
    expect(onFirst).toEqual(sent);
    expect(onSecond).toEqual(sent);
  });

  it('a listener that throws misses that event alone: the other listeners get it, the next events come at once, the log says which', async () => {
    const events: Array<[EventBusLogEvent, unknown]> = [];
    const [bus] = await twoBuses(SETTINGS, (event, detail) => events.push([event, detail]));
    const got: string[] = [];
    bus.on('noteAdded', (id) => {
      if (id === 'bad') throw new Error('listener bug');
    });
    bus.on('noteAdded', (id) => got.push(id));
    await bus.publish('noteAdded', 'bad');
    await bus.publish('noteAdded', 'next');
    await eventually(() => got.length === 2, 'both delivered to the second listener', 500); // not after a 1 s retry
    expect(got).toEqual(['bad', 'next']);
    expect(events.filter(([event]) => event !== 'listening')).toEqual([
      ['listener', { err: new Error('listener bug'), topic: 'noteAdded' }],
    ]);
  });

  it('deletes events older than the retention after a publish', async () => {
    const clock = manualClock();
    const [bus] = await twoBuses({ ...SETTINGS, retentionMs: 1_000, purgeEveryMs: 0, now: clock.now });
    await bus.publish('noteAdded', 'old');
    clock.advance(1_500);
    await bus.publish('noteAdded', 'new'); // the deletion runs after it, not awaited
    const rows = await deleted('old');
    expect(rows).not.toContain('old');
    expect(rows).toContain('new');
  });

  (dialect === 'sqlite' ? it : it.skip)('checks data_version only while it has listeners', async () => {
    const watcher = stores[1].watcher!;
    let checks = 0;
    const counted: Store = {
      ...stores[1],
      watcher: {
        dataVersion() {
          checks++;
          return watcher.dataVersion();
        },
        latestEventId: () => watcher.latestEventId(),
      },
    };
    buses = [createEventBus(database.config, counted, SETTINGS)];
    const [bus] = buses as [EventBus];
    await bus.start();
    await pause(100);
    expect(checks).toBe(0);
    const stop = bus.on('noteAdded', () => undefined);
    await pause(100);
    expect(checks).toBeGreaterThanOrEqual(3); // every 20 ms
    stop();
    const stopped = checks;
    await pause(100);
    expect(checks).toBe(stopped);
  });

  (dialect === 'sqlite' ? it : it.skip)('catches up on a backlog of several batches (256 each) once, in order', async () => {
    // The second bus checks for other connections' commits only once a minute: it falls behind.
    buses = [
      createEventBus(database.config, stores[0], SETTINGS),
      createEventBus(database.config, stores[1], { ...SETTINGS, pollMs: 60_000 }),
    ];
    const [first, second] = buses as [EventBus, EventBus];
    const got: string[] = [];
    second.on('noteAdded', (id) => got.push(id));
    const sent: string[] = [];
    for (let i = 0; i < 600; i++) {
      sent.push(`b${i}`);
      await first.publish('noteAdded', `b${i}`);
    }
    expect(got).toEqual([]);
    await second.publish('noteAdded', 'own'); // wakes it: 601 events to read, 256 at a time
    await eventually(() => got.length >= 601, 'the backlog delivered');
    await pause(100);
    expect(got).toEqual([...sent, 'own']);
  });

  (dialect === 'sqlite' ? it : it.skip)(
    'says in its log that events may have been missed when it finds a gap after being away longer than the retention',
    async () => {
      const clock = manualClock();
      const events: Array<[EventBusLogEvent, unknown]> = [];
      // The second bus checks for other connections' commits only once a minute: "away".
      const settings = { retentionMs: 1_000, purgeEveryMs: 0, now: clock.now };
      buses = [
        createEventBus(database.config, stores[0], { ...settings, pollMs: 20 }),
        createEventBus(database.config, stores[1], { ...settings, pollMs: 60_000 }, { log: (e, d) => events.push([e, d]) }),
      ];
      const [first, second] = buses as [EventBus, EventBus];
      const got: string[] = [];
      second.on('noteAdded', (id) => got.push(id));
      await pause(50);
      await first.publish('noteAdded', 'missed');
      clock.advance(5_000);
      await first.publish('noteAdded', 'kept'); // deletes "missed"
      expect(await deleted('missed')).not.toContain('missed');
      await second.publish('noteAdded', 'own'); // wakes the second bus
      await eventually(() => got.length === 2, 'the rest delivered');
      expect(got).toEqual(['kept', 'own']);
      expect(events.map(([e]) => e)).toEqual(['gap']);
      expect(events[0]?.[1]).toEqual({ after: expect.any(Number), next: expect.any(Number) });
    },
  );

  (dialect === 'postgres' ? it : it.skip)(
    'does not skip an event whose transaction commits after a later insert: ids come in commit order',
    async () => {
      const [, second] = await twoBuses();
      const got: string[] = [];
      second.on('noteAdded', (id) => got.push(id));
      const url = (database.config as { url: string }).url;
      const [slow, fast] = [new Client({ connectionString: url }), new Client({ connectionString: url })];
      await Promise.all([slow.connect(), fast.connect()]);
      try {
        const insert = "insert into event_log (topic, subject, published_at) values ('noteAdded', $1, now())";
        await slow.query('begin');
        await slow.query(insert, ['slow']);
        // Waits for the slow transaction's lock, so it draws the larger id and commits after it.
        const fastDone = fast.query(insert, ['fast']);
        await pause(200);
        await slow.query('commit');
        await fastDone;
        await eventually(() => got.length === 2, 'both delivered', 3_000);
        expect(got).toEqual(['slow', 'fast']);
      } finally {
        await slow.query('rollback').catch(() => undefined);
        await Promise.all([slow.end(), fast.end()]);
      }
    },
  );

  (dialect === 'postgres' ? it : it.skip)(
    'logs no gap for a rolled-back insert after a quiet spell longer than the retention while it stayed connected',
    async () => {
      const clock = manualClock();
      const events: EventBusLogEvent[] = [];
      const [first, second] = await twoBuses({ ...SETTINGS, retentionMs: 1_000, now: clock.now }, (event) => events.push(event));
      const got: string[] = [];
      second.on('noteAdded', (id) => got.push(id));
      await first.publish('noteAdded', 'before');
      await eventually(() => got.length === 1, 'delivered');
      clock.advance(5_000); // quiet for five retentions, connected all along
      const client = new Client({ connectionString: (database.config as { url: string }).url });
      await client.connect();
      try {
        await client.query('begin');
        await client.query("insert into event_log (topic, subject, published_at) values ('noteAdded', 'rolled back', now())");
        await client.query('rollback'); // its id is drawn and never used
      } finally {
        await client.end();
      }
      await first.publish('noteAdded', 'after');
      await eventually(() => got.length === 2, 'delivered after the gap');
      expect(got).toEqual(['before', 'after']);
      expect(events.filter((event) => event !== 'listening')).toEqual([]);
    },
  );

  (dialect === 'postgres' ? it : it.skip)('close() during a read waits for it, delivers nothing after it and logs no failure', async () => {
    const events: EventBusLogEvent[] = [];
    const store = openStore(database.config, { credentialCacheSize: 0 });
    const bus = createEventBus(database.config, store, SETTINGS, { log: (e) => events.push(e) });
    buses = [];
    const url = (database.config as { url: string }).url;
    const [blocker, waker] = [new Client({ connectionString: url }), new Client({ connectionString: url })];
    await Promise.all([blocker.connect(), waker.connect()]);
    try {
      await bus.start();
      const got: string[] = [];
      bus.on('noteAdded', (id) => got.push(id));
      await pause(50);
      // The bus's read waits behind this lock; the row inserted under it shows once it commits.
      await blocker.query('begin');
      await blocker.query('lock table event_log in access exclusive mode');
      await blocker.query("insert into event_log (topic, subject, published_at) values ('noteAdded', 'late', now())");
      await waker.query(`select pg_notify('${EVENT_CHANNEL}', '999999')`); // wakes the bus now: its read blocks
      await pause(100);
      let closed = false;
      const closing = bus.close().then(() => {
        closed = true;
      });
      await pause(100);
      expect(closed).toBe(false); // still waiting for the read
      await blocker.query('commit');
      await closing;
      await pause(50);
      expect(got).toEqual([]); // read after close() began: not delivered
      await store.close();
      expect(events.filter((e) => e !== 'listening')).toEqual([]);
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await Promise.all([blocker.end(), waker.end()]);
      await bus.close();
      await store.close();
    }
  });

  (dialect === 'postgres' ? it : it.skip)(
    'loses nothing while PostgreSQL drops its listening connection: what was published meanwhile arrives after the reconnect, in order, once',
    async () => {
      const events: EventBusLogEvent[] = [];
      // Only the second bus listens (the first publishes and is never started or subscribed to).
      buses = [
        createEventBus(database.config, stores[0], SETTINGS),
        createEventBus(database.config, stores[1], SETTINGS, { log: (e) => events.push(e) }),
      ];
      const [first, second] = buses as [EventBus, EventBus];
      await second.start();
      const got: string[] = [];
      second.on('noteAdded', (id) => got.push(id));
      await pause(50);
      const admin = new Client({ connectionString: (database.config as { url: string }).url });
      await admin.connect();
      try {
        const kill = () =>
          admin.query(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gatehouse-event-listener' and datname = current_database()",
          );
        // Killed again and again (it reconnects after 100, 200, 400 ms…) while events are published.
        const sent: string[] = [];
        for (let i = 0; i < 20; i++) {
          await kill();
          sent.push(`down-${i}`);
          await first.publish('noteAdded', `down-${i}`);
          await pause(25);
        }
        expect(events).toContain('lost');
        await eventually(() => got.length >= sent.length, 'everything published while down', 10_000);
        await pause(200);
        expect(got).toEqual(sent);
        expect(events.at(-1)).toBe('listening');
        expect(events).not.toContain('gap'); // away for well under the retention: nothing to warn of
      } finally {
        await admin.end();
      }
    },
  );
  (dialect === 'postgres' ? it : it.skip)(
    'after old events are purged and the table vacuumed, a catch-up delivers every event in id order, once',
    async () => {
      const url = (database.config as { url: string }).url;
      const db = stores[0].db;
      // Old events fill pages of the table; the purge and VACUUM below free them for later rows.
      const longAgo = new Date(Date.now() - 7 * 86_400_000);
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 400; i++) await appendEvent(trx, 'noteAdded', `old-${i}`, longAgo);
      });
      expect(await deleteEventsBefore(db, new Date(Date.now() - 86_400_000))).toBeGreaterThanOrEqual(400);
      buses = [createEventBus(database.config, stores[1], SETTINGS)];
      const [bus] = buses as [EventBus];
      await bus.start();
      const got: string[] = [];
      bus.on('noteAdded', (id) => got.push(id));
      await pause(50);
      const [early, blocker, watcher] = [
        new Client({ connectionString: url }),
        new Client({ connectionString: url }),
        new Client({ connectionString: url }),
      ];
      await Promise.all([early.connect(), blocker.connect(), watcher.connect()]);
      const insert = "insert into event_log (topic, subject, published_at) values ('noteAdded', $1, now())";
      const sent = { early: [] as string[], late: [] as string[] };
      try {
        // Events with the smaller ids, inserted before the VACUUM: after the freed pages. Not yet committed.
        await early.query('begin');
        for (let i = 0; i < 40; i++) {
          sent.early.push(`early-${i}`);
          await early.query(insert, [`early-${i}`]);
        }
        await sql`vacuum event_log`.execute(db);
        // The bus's next read waits behind this lock (requested now, granted when `early` commits),
        // so it reads the early events and the late ones, which take the freed pages, together.
        const locked = blocker.query('begin').then(() => blocker.query('lock table event_log in access exclusive mode'));
        let waiting = 0; // until the lock is requested
        for (const until = Date.now() + 5_000; waiting === 0 && Date.now() < until; await pause(10)) {
          const rows = await watcher.query(
            "select count(*)::int as n from pg_locks where not granted and relation = 'event_log'::regclass",
          );
          waiting = rows.rows[0].n;
        }
        expect(waiting).toBe(1);
        await early.query('commit');
        await locked;
        await pause(100); // the bus, woken by the early events, waits for the lock
        for (let i = 0; i < 40; i++) {
          sent.late.push(`late-${i}`);
          await blocker.query(insert, [`late-${i}`]);
        }
        await blocker.query('commit');
        // Not failing here: the comparison below shows what arrived, and in which order.
        await eventually(() => got.length >= 80, 'both batches delivered', 5_000).catch(() => undefined);
        await pause(150);
        expect(got).toEqual([...sent.early, ...sent.late]);
      } finally {
        await early.query('rollback').catch(() => undefined);
        await blocker.query('rollback').catch(() => undefined);
        await Promise.all([early.end(), blocker.end(), watcher.end()]);
      }
    },
  );
});
