// Run by tsx as a separate process: migrates the database named by argv[2] (JSON DatabaseConfig)
// and prints the migrations it applied, as JSON.
import { migrateToLatest, openStore } from '../../src/store/database';

async function run(): Promise<void> {
  const store = openStore(JSON.parse(process.argv[2] as string));
  try {
    process.stdout.write(JSON.stringify(await migrateToLatest(store)));
  } finally {
    await store.close();
  }
}

run().catch((error: unknown) => {
  process.stderr.write(String(error));
  process.exit(1);
});
