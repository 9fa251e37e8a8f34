// gatehouse migrate [MODULE]: brings the database in DATABASE_URL up to date, gatehouse's tables and
// then, given the application's module (the one `gatehouse start` takes), its migrations (the
// server also does both at start).
import type { ApplicationMigrations } from '../store/database';
import { migrateApplication, migrateToLatest } from '../store/database';
import { loadApplication } from './application-module';
import { withStore } from './with-store';
import { printable } from './printable';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function main(modulePath?: string): Promise<number> {
  let migrations: ApplicationMigrations | undefined;
  if (modulePath !== undefined) {
    try {
      migrations = (await loadApplication(modulePath, 'migrations')).migrations;
    } catch (error) {
      console.error(`migrate: ${printable(message(error))}`);
      return 1;
    }
  }
  return withStore('migrate', async (_config, store) => {
    try {
      const applied = await migrateToLatest(store);
      console.log(applied.length === 0 ? 'migrate: the database is up to date' : `migrate: applied ${applied.join(', ')}`);
      if (migrations === undefined) return 0;
      const own = await migrateApplication(store, migrations);
      console.log(
        own.length === 0 ? "migrate: the application's tables are up to date" : `migrate: applied the application's ${own.join(', ')}`,
      );
      return 0;
    } catch (error) {
      console.error(`migrate: ${printable(message(error))}`);
      return 1;
    }
  });
}

if (require.main === module) {
  void main(process.argv[2]).then((code) => {
    process.exitCode = code;
  });
}
