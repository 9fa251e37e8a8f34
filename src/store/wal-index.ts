import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * SQLite in WAL mode publishes every commit in the wal-index header at the start of
 * `<database>-shm`: two copies of a 48-byte header (https://sqlite.org/walformat.html, "The
 * WAL-Index Header") whose iChange counter and mxFrame advance with each committed transaction,
 * whichever connection in whichever process made it. Reading those bytes costs one pread. The
 * official way to ask, `PRAGMA data_version`, opens a read transaction (two fcntl locks and a stat
 * here), which measured nearly as much as the primary-key read a cache would save.
 */
export const WAL_INDEX_HEADER_BYTES = 48;
/** `iVersion` of every wal-index SQLite has written since 3.7.0. */
const WAL_INDEX_VERSION = 3_007_000;
const IS_INIT_OFFSET = 12;
/** The wal-index is in the machine's own byte order. */
const readVersion = endianness() === 'LE' ? (header: Buffer) => header.readUInt32LE(0) : (header: Buffer) => header.readUInt32BE(0);

/**
 * The header, when both copies agree and it is a version this code understands; undefined
 * otherwise. SQLite writes the second copy, then the first; copies that differ were read while a
 * commit was writing them. Pure.
 */
export function trustedWalIndexHeader(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 2 * WAL_INDEX_HEADER_BYTES) return undefined;
  const first = bytes.subarray(0, WAL_INDEX_HEADER_BYTES);
  if (readVersion(first) !== WAL_INDEX_VERSION || first[IS_INIT_OFFSET] !== 1) return undefined;
  if (!first.equals(bytes.subarray(WAL_INDEX_HEADER_BYTES, 2 * WAL_INDEX_HEADER_BYTES))) return undefined;
  return first;
}

export interface WalIndex {
  /**
   * The current header: a view into a buffer the next call overwrites. Undefined when it cannot
   * be read or trusted at this moment; the caller must then assume anything changed.
   */
  header(): Buffer | undefined;
  close(): void;
}

/**
 * Reads the wal-index header of the SQLite database at `databasePath`. The file is opened on the
 * first call, when a connection in WAL mode has created it; if it cannot be opened, every call
 * answers undefined.
 */
export function openWalIndex(databasePath: string): WalIndex {
  const bytes = Buffer.alloc(2 * WAL_INDEX_HEADER_BYTES);
  let fd: number | null | undefined;
  return {
    header() {
      if (fd === undefined) {
        try {
          // SQLite names the file after the database's real path: through a symlink, the
          // link's name could hold a stale -shm that never changes.
          fd = openSync(`${realpathSync(databasePath)}-shm`, 'r');
        } catch {
          fd = null;
        }
      }
      if (fd === null) return undefined;
      try {
        if (readSync(fd, bytes, 0, bytes.length, 0) !== bytes.length) return undefined;
      } catch {
        return undefined;
      }
      return trustedWalIndexHeader(bytes);
    },
    close() {
      if (typeof fd === 'number') closeSync(fd);
      fd = null;
    },
  };
}
