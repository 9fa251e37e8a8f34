import { POSTGRES_ADMIN_URL, postgresAvailable } from './helpers/databases';

/** Decides once per run whether the PostgreSQL variants of the store tests run; workers inherit the answer. */
export default async function globalSetup(): Promise<void> {
  const available = await postgresAvailable();
  if (!available && process.env['CI'] === 'true') {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}, and CI requires it.`);
  }
  if (!available) console.warn(`\nPostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}: the PostgreSQL store tests are skipped.\n`);
  process.env['GATEHOUSE_TEST_POSTGRES'] = available ? '1' : '0';
}
