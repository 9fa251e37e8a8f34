import { realpathSync } from 'node:fs';

/**
 * Whether anything was committed to an SQLite database (in WAL mode) since the last check, by any
 * connection in any process. SQLite publishes every commit in the wal-index header at the start of
 * `<database>-shm`; src/store/native/wal_index_map.c reads it from a shared mapping, as SQLite's
 * own connections do, with the same consistency checks.
 *
 * Measured here before settling on that: `PRAGMA data_version` (the official way) opens a read
 * transaction, two fcntl locks and a stat, nearly the cost of the read a cache would save; a pread
 * per check cost ~5 µs in the server. The check runs once per event-loop turn, with its code cold:
 * copying the mapped header out and checking it in JavaScript took 13 µs per check on average in
 * the server (under 1 µs in a loop); doing it all in one native call, 3 µs.
 */

/** `same`: no commit since the previous answer; `changed`: one or more, or the first check; `unknown`: cannot tell now. */
export type CommitCheck = 'same' | 'changed' | 'unknown';

export interface CommitWatch {
  check(): CommitCheck;
  close(): void;
}

/** src/store/native/wal_index_map.c, built by `npm install` (node-gyp) into build/Release. */
interface WalIndexBinding {
  open(shmPath: string): object;
  /** 0 same, 1 changed, 2 unknown. */
  check(watch: object): number;
  close(watch: object): void;
}

const ANSWERS: readonly CommitCheck[] = ['same', 'changed', 'unknown'];

/**
 * The native reader, or undefined when it was not built (installed with --ignore-scripts, or no
 * compiler): the credential cache is then off, and start-up says so.
 */
export const walIndexBinding: WalIndexBinding | undefined = (() => {
  try {
    // The same relative path from src/store (tests), dist/store (npm start) and the bench build.
    return require('../../build/Release/wal_index_map.node') as WalIndexBinding;
  } catch {
    return undefined;
  }
})();

/**
 * Watches the database at `databasePath`. The -shm file is mapped at the first check, when a
 * connection in WAL mode has created it; if it cannot be, every check answers `unknown`. Check only
 * while a connection of this process has the database open in WAL mode (the mapping relies on its
 * lock, see wal_index_map.c), and close the watch before that connection closes.
 */
export function watchCommits(databasePath: string, binding: WalIndexBinding | null = walIndexBinding ?? null): CommitWatch {
  let watch: object | null | undefined;
  const open = (): object | null => {
    if (binding === null) return null;
    try {
      // SQLite names the file after the database's real path: through a symlink, the link's name
      // could hold a stale -shm that never changes.
      return binding.open(`${realpathSync(databasePath)}-shm`);
    } catch {
      return null;
    }
  };
  return {
    check() {
      const current = watch === undefined ? (watch = open()) : watch;
      return current === null || binding === null ? 'unknown' : (ANSWERS[binding.check(current)] ?? 'unknown');
    },
    close() {
      if (watch !== undefined && watch !== null) binding?.close(watch);
      watch = null;
    },
  };
}
