import { ConfigError, loadConfig, type Config } from '../config';
import { openStore, type Store } from '../store/database';
import { printable } from './printable';

/**
 * Runs a command-line task on the store named by DATABASE_URL (and .env), as the server would:
 * a configuration error is one line on stderr and exit code 1; the store is closed afterwards.
 * Resolves to the process exit code.
 */
export async function withStore(name: string, task: (config: Config, store: Store) => Promise<number>): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: configuration error: ${printable(error.message)}`);
      return 1;
    }
    throw error;
  }
  // A one-off task authenticates nobody: no credential cache, and on PostgreSQL no listening connection.
  const store = openStore(config.database, { credentialCacheSize: 0 });
  try {
    return await task(config, store);
  } finally {
    await store.close();
  }
}
