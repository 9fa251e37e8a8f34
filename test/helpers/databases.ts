import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DatabaseConfig } from '../../src/config';

/** The PostgreSQL server the suite may use; `.ci/run` makes sure it runs. Override with TEST_POSTGRES_URL. */
export const POSTGRES_ADMIN_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The DATABASE_URL that names `config` (what parseDatabaseUrl reads back), for a server started with env vars. */
export function databaseUrlOf(config: DatabaseConfig): string {
  return config.dialect === 'postgres' ? config.url : `file:${config.path}`;
}

/** A fresh, empty database for one test file, and how to throw it away. */
export interface ThrowawayDatabase {
  readonly name: string;
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function sqliteFile(): ThrowawayDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  return {
    name: 'sqlite',
    config: { dialect: 'sqlite', path: join(dir, 'gatehouse.db') },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresDatabase(): Promise<ThrowawayDatabase> {
  const dbName = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${dbName}`;
  return {
    name: 'postgres',
    config: { dialect: 'postgres', url: url.toString() },
    async drop() {
      const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${dbName} with (force)`);
      await client.end();
    },
  };
}

/**
 * The databases a store test runs on: SQLite always; PostgreSQL when test/global-setup.ts found it
 * (in CI it must be there, or the run fails before any test).
 */
export function databasesUnderTest(): Array<'sqlite' | 'postgres'> {
  return process.env['GATEHOUSE_TEST_POSTGRES'] === '1' ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function throwawayDatabase(kind: 'sqlite' | 'postgres'): Promise<ThrowawayDatabase> {
  return kind === 'sqlite' ? Promise.resolve(sqliteFile()) : postgresDatabase();
}

/**
 * The environment of a gatehouse a test starts in process on `database`: development, a random
 * secret, cheap hashing, sign-ups unlimited, an ephemeral port on loopback, quiet logs.
 */
export function inProcessEnv(database: ThrowawayDatabase): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrlOf(database.config),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    PASSWORD_HASH_COST: '10',
    SIGNUPS_PER_ADDRESS: '1000',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
  };
}
