// Kysely's SQLite dialect with two things gatehouse needs of it. The migration lock: Kysely's is a
// no-op on SQLite (it assumes one process), so two gatehouse processes starting on one file would
// both run the first migration; here it is a write lock (BEGIN IMMEDIATE) held from reading the
// migration table until the last migration is done, and the second process waits, then finds
// nothing left to do. Write reporting: every statement that may have changed the database, and
// every COMMIT, calls `afterWrite` once it has finished, so the credential cache
// (credential-lookups.ts) drops what it holds without waiting for its next data_version check.
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';

class LockingSqliteAdapter extends SqliteAdapter {
  #locked = false;

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`begin immediate`.execute(db);
    this.#locked = true;
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    if (!this.#locked) return; // BEGIN failed (busy beyond busy_timeout): nothing to end.
    this.#locked = false;
    await sql`commit`.execute(db);
  }
}

/** The SQLite dialect with a real migration lock and, given `afterWrite`, write reporting. */
export class LockingSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #afterWrite: (() => void) | undefined;

  constructor(config: SqliteDialectConfig, afterWrite?: () => void) {
    super(config);
    this.#config = config;
    this.#afterWrite = afterWrite;
  }

  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }

  override createDriver(): Driver {
    return this.#afterWrite === undefined ? super.createDriver() : new WriteReportingDriver(this.#config, this.#afterWrite);
  }
}

/** Only these run without writing; anything else (writes, BEGIN, COMMIT, DDL) reports a write. */
const isRead = (query: CompiledQuery): boolean =>
  query.query.kind === 'SelectQueryNode' || (query.query.kind === 'RawNode' && /^\s*(select|pragma)\b/i.test(query.sql));

/**
 * Kysely's SQLite driver, whose connection reports writes. SqliteDriver commits (and begins, rolls
 * back and sets savepoints) through the connection it handed out, so a COMMIT reports too.
 */
class WriteReportingDriver extends SqliteDriver {
  readonly #afterWrite: () => void;

  constructor(config: SqliteDialectConfig, afterWrite: () => void) {
    super(config);
    this.#afterWrite = afterWrite;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    const afterWrite = this.#afterWrite;
    return {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        if (isRead(query)) return connection.executeQuery<R>(query);
        try {
          return await connection.executeQuery<R>(query);
        } finally {
          afterWrite();
        }
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
    };
  }
}
