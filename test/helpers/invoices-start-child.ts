// Run by tsx as a separate process (one gatehouse instance): createGatehouse with the invoices
// application on the configuration variables in argv[2] (JSON), then close. Prints "started".
import { createGatehouse } from '../../src/index';
import * as invoices from './invoices-app';

async function run(): Promise<void> {
  const gatehouse = await createGatehouse({ ...invoices, env: JSON.parse(process.argv[2] as string) });
  await gatehouse.close();
  process.stdout.write('started');
}

run().catch((error: unknown) => {
  process.stderr.write(String(error));
  process.exit(1);
});
