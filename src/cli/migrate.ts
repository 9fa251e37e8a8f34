// gatehouse migrate: brings the database in DATABASE_URL up to date (the server also does this at start).
import { migrateToLatest } from '../store/database';
import { withStore } from './with-store';
import { printable } from './printable';

export function main(): Promise<number> {
  return withStore('migrate', async (_config, store) => {
    try {
      const applied = await migrateToLatest(store);
      console.log(applied.length === 0 ? 'migrate: the database is up to date' : `migrate: applied ${applied.join(', ')}`);
      return 0;
    } catch (error) {
      console.error(`migrate: ${printable(error instanceof Error ? error.message : String(error))}`);
      return 1;
    }
  });
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
