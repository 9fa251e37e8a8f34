import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { type CommitCheck, walIndexBinding, watchCommits } from '../../src/store/wal-index';
import { sqliteFile } from '../helpers/databases';

const HEADER = 48;

/** Two copies of a wal-index header as SQLite lays them out, with the given fields and SQLite's checksum. */
function headerBytes({ version = 3_007_000, isInit = 1, change = 7, secondDiffers = false, badChecksum = false } = {}): Buffer {
  const bytes = Buffer.alloc(2 * HEADER);
  const le = endianness() === 'LE';
  const write = (value: number, offset: number) => (le ? bytes.writeUInt32LE(value, offset) : bytes.writeUInt32BE(value, offset));
  const read = (offset: number) => (le ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  write(version, 0);
  write(change, 8);
  bytes[12] = isInit;
  let s1 = 0;
  let s2 = 0;
  for (let offset = 0; offset < 40; offset += 8) {
    s1 = (s1 + read(offset) + s2) >>> 0;
    s2 = (s2 + read(offset + 4) + s1) >>> 0;
  }
  write(badChecksum ? s1 ^ 1 : s1, 40);
  write(s2, 44);
  bytes.copy(bytes, HEADER, 0, HEADER);
  if (secondDiffers) write(change + 1, HEADER + 8);
  return bytes;
}

describe('watchCommits on a hand-written -shm file', () => {
  let dir: string;
  let database: string;
  let fd: number;
  /** Overwrites the header in place, as SQLite does (never truncating a mapped file). */
  const put = (bytes: Buffer) => writeSync(fd, bytes, 0, bytes.length, 0);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-walindex-'));
    database = join(dir, 'db');
    writeFileSync(database, '');
    writeFileSync(`${database}-shm`, Buffer.alloc(4096));
    fd = openSync(`${database}-shm`, 'r+');
  });
  afterEach(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the native reader built (npm install runs node-gyp; without it the credential cache is off)', () => {
    expect(walIndexBinding).toBeDefined();
  });

  it('answers changed at first, same until the header changes, changed once when it does', () => {
    put(headerBytes({ change: 7 }));
    const watch = watchCommits(database);
    expect([watch.check(), watch.check()]).toEqual(['changed', 'same']);
    put(headerBytes({ change: 8 }));
    expect([watch.check(), watch.check()]).toEqual(['changed', 'same']);
    watch.close();
  });

  it.each([
    ['copies that differ (read while a commit wrote them)', headerBytes({ change: 8, secondDiffers: true })],
    ['an unknown version', headerBytes({ change: 8, version: 3_050_000 })],
    ['a header not yet initialised', headerBytes({ change: 8, isInit: 0 })],
    ['a checksum that does not match', headerBytes({ change: 8, badChecksum: true })],
  ])('answers unknown for %s, then compares with the last header it trusted', (_name, bytes) => {
    put(headerBytes({ change: 7 }));
    const watch = watchCommits(database);
    expect(watch.check()).toBe('changed');
    put(bytes);
    expect(watch.check()).toBe('unknown');
    put(headerBytes({ change: 7 }));
    expect(watch.check()).toBe('same');
    put(bytes);
    expect(watch.check()).toBe('unknown');
    put(headerBytes({ change: 8 }));
    expect(watch.check()).toBe('changed');
    watch.close();
  });

  it('answers unknown for a file too short to hold a header, a missing file, a closed watch and no native reader', () => {
    put(headerBytes());
    const noBinding = watchCommits(database, null);
    expect(noBinding.check()).toBe('unknown');
    const closed = watchCommits(database);
    expect(closed.check()).toBe('changed');
    closed.close();
    expect(closed.check()).toBe('unknown');
    closed.close();
    expect(watchCommits(join(dir, 'missing.db')).check()).toBe('unknown');
    writeFileSync(join(dir, 'short.db'), '');
    writeFileSync(join(dir, 'short.db-shm'), headerBytes().subarray(0, 60));
    expect(watchCommits(join(dir, 'short.db')).check()).toBe('unknown');
  });
});

describe('watchCommits on a real database', () => {
  it('answers changed after every commit, from any connection, and same after a read', async () => {
    const file = sqliteFile();
    const path = file.config.dialect === 'sqlite' ? file.config.path : '';
    const a = new SQLite(path);
    const b = new SQLite(path);
    a.pragma('journal_mode = WAL');
    a.exec('create table t (x integer)');
    const watch = watchCommits(path);
    try {
      expect(watch.check()).toBe('changed');
      for (const connection of [a, b, a]) {
        connection.prepare('insert into t values (1)').run();
        expect([watch.check(), watch.check()]).toEqual(['changed', 'same']);
      }
      b.prepare('select count(*) from t').get();
      expect(watch.check()).toBe('same');
    } finally {
      watch.close();
      a.close();
      b.close();
      await file.drop();
    }
  });

  it('keeps answering while another process commits, checkpoints and restarts the WAL, and sees its last commit', async () => {
    const file = sqliteFile();
    const path = file.config.dialect === 'sqlite' ? file.config.path : '';
    const connection = new SQLite(path);
    connection.pragma('journal_mode = WAL');
    connection.exec('create table t (x integer)');
    const watch = watchCommits(path);
    expect(watch.check()).toBe('changed');
    // A checkpoint every 4 pages makes the writer restart the WAL (and rewrite the header) often.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(${JSON.stringify(path)});
         db.pragma('wal_autocheckpoint = 4');
         const insert = db.prepare('insert into t values (?)');
         for (let i = 0; i < 3000; i++) insert.run(i);
         db.close();`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => writer.once('exit', resolve));
    let running = true;
    void exited.then(() => (running = false));
    const seen: Record<CommitCheck, number> = { same: 0, changed: 0, unknown: 0 };
    try {
      while (running) {
        for (let i = 0; i < 200; i++) seen[watch.check()]++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await exited).toBe(0);
      expect(seen.changed).toBeGreaterThan(10);
      expect(connection.prepare('select count(*) as n from t').get()).toEqual({ n: 3000 });
      watch.check();
      expect(watch.check()).toBe('same');
      connection.prepare('insert into t values (1)').run();
      expect([watch.check(), watch.check()]).toEqual(['changed', 'same']);
    } finally {
      watch.close();
      connection.close();
      await file.drop();
    }
  });
});
