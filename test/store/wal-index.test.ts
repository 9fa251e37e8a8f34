import { endianness } from 'node:os';
import SQLite from 'better-sqlite3';
import { openWalIndex, trustedWalIndexHeader, WAL_INDEX_HEADER_BYTES } from '../../src/store/wal-index';
import { sqliteFile } from '../helpers/databases';

/** Two copies of a header as SQLite lays them out, with the given fields. */
function headerBytes({ version = 3_007_000, isInit = 1, change = 7, secondDiffers = false } = {}): Buffer {
  const bytes = Buffer.alloc(2 * WAL_INDEX_HEADER_BYTES);
  const write = (value: number, offset: number) => (endianness() === 'LE' ? bytes.writeUInt32LE(value, offset) : bytes.writeUInt32BE(value, offset));
  write(version, 0);
  write(change, 8);
  bytes[12] = isInit;
  bytes.copy(bytes, WAL_INDEX_HEADER_BYTES, 0, WAL_INDEX_HEADER_BYTES);
  if (secondDiffers) write(change + 1, WAL_INDEX_HEADER_BYTES + 8);
  return bytes;
}

describe('trustedWalIndexHeader', () => {
  it('returns the first copy when both copies agree', () => {
    const bytes = headerBytes();
    expect(trustedWalIndexHeader(bytes)?.equals(bytes.subarray(0, WAL_INDEX_HEADER_BYTES))).toBe(true);
  });

  it.each([
    ['copies that differ (read while a commit wrote them)', headerBytes({ secondDiffers: true })],
    ['an unknown version', headerBytes({ version: 3_050_000 })],
    ['a header not yet initialised', headerBytes({ isInit: 0 })],
    ['too few bytes', headerBytes().subarray(0, 60)],
  ])('refuses %s', (_name, bytes) => {
    expect(trustedWalIndexHeader(bytes)).toBeUndefined();
  });
});

describe('openWalIndex', () => {
  it('gives a header that changes with every commit, from any connection', async () => {
    const file = sqliteFile();
    const path = file.config.dialect === 'sqlite' ? file.config.path : '';
    const a = new SQLite(path);
    const b = new SQLite(path);
    const index = openWalIndex(path);
    try {
      a.pragma('journal_mode = WAL');
      a.exec('create table t (x integer)');
      const seen = [Buffer.from(index.header()!)];
      for (const connection of [a, b, a]) {
        connection.prepare('insert into t values (1)').run();
        const header = index.header();
        expect(header).toBeDefined();
        expect(seen.some((earlier) => earlier.equals(header!))).toBe(false);
        seen.push(Buffer.from(header!));
      }
      // A read changes nothing.
      a.prepare('select count(*) from t').get();
      expect(index.header()!.equals(seen.at(-1)!)).toBe(true);
    } finally {
      index.close();
      a.close();
      b.close();
      await file.drop();
    }
  });

  it('answers undefined when there is no wal-index to read', () => {
    const index = openWalIndex('/nonexistent-gatehouse/missing.db');
    expect(index.header()).toBeUndefined();
    index.close();
  });
});
