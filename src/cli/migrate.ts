// npm run migrate: brings the database in DATABASE_URL up to date (the server also does this at start).
import { ConfigError, loadConfig } from '../config';
import { migrateToLatest, openStore } from '../store/database';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`migrate: configuration error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const store = openStore(config.database);
  try {
    const applied = await migrateToLatest(store);
    console.log(applied.length === 0 ? 'migrate: the database is up to date' : `migrate: applied ${applied.join(', ')}`);
    return 0;
  } catch (error) {
    console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await store.close();
  }
}

void main().then((code) => {
  process.exitCode = code;
});
