import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { createGatehouse, type Gatehouse } from '../src/index';
import { migrateToLatest, openStore, type Store } from '../src/store/database';
import { migrationsFor } from '../src/store/migrations';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from './helpers/databases';
import { randomSecret } from './helpers/http';
import * as invoices from './helpers/invoices-app';

/*
 * An application's own migrations (createGatehouse's `migrations`, `gatehouse migrate MODULE`):
 * after gatehouse's, once, under the migration lock, in their own table; and `gatehouse.db`, the
 * database a resolver's `context.db` writes to.
 */

const execFileAsync = promisify(execFile);
const TSX = join('node_modules', '.bin', 'tsx');
const INVOICES_MODULE = join('test', 'helpers', 'invoices-app.ts');

describe.each(databasesUnderTest())("an application's migrations on %s", (dialect) => {
  let database: ThrowawayDatabase;
  let env: Record<string, string>;
  let inspect: Store;

  beforeEach(async () => {
    database = await throwawayDatabase(dialect);
    env = {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrlOf(database.config),
      JWT_SECRET: randomSecret(),
      PASSWORD_HASH_COST: '10',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    };
    inspect = openStore(database.config, { credentialCacheSize: 0 });
  });

  afterEach(async () => {
    await inspect.close();
    await database.drop();
  });

  const names = async (table: string): Promise<string[]> =>
    (await sql<{ name: string }>`select name from ${sql.table(table)} order by name`.execute(inspect.db)).rows.map((r) => r.name);
  const runs = async (): Promise<number> =>
    Number((await sql<{ n: number | string }>`select count(*) as n from invoice_migration_runs`.execute(inspect.db)).rows[0]?.n);

  /** `gatehouse migrate …` from source, in its own process, on this database. */
  async function gatehouseMigrate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execFileAsync(TSX, [join('src', 'cli', 'gatehouse.ts'), 'migrate', ...args], {
        env: { ...process.env, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it("runs them at start, after gatehouse's, once, in their own migration table", async () => {
    const first = await createGatehouse({ ...invoices, env });
    await first.close();
    const second = await createGatehouse({ ...invoices, env });
    await second.close();
    expect(await names('app_migrations')).toEqual(['2026-12-06T00-00_invoices']);
    expect(await names('kysely_migration')).toEqual(Object.keys(migrationsFor(dialect)));
    expect(await runs()).toBe(1);
  });

  it('gives seeds and jobs the database a resolver writes to: gatehouse.db', async () => {
    const gatehouse: Gatehouse<invoices.InvoiceTables> = await createGatehouse<invoices.InvoiceTables>({ ...invoices, env });
    try {
      const url = await gatehouse.listen();
      const gql = async (query: string, token?: string) => {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query }),
        });
        return (await response.json()) as { data?: any; errors?: unknown[] };
      };
      const signedUp = await gql(
        'mutation { signUp(email: "ada@example.com", password: "correct horse battery") { accessToken user { id } } }',
      );
      const { accessToken, user } = signedUp.data.signUp as { accessToken: string; user: { id: string } };
      const added = await gql('mutation { addInvoice(amount: 42) { id } }', accessToken);
      const written = await gatehouse.db.selectFrom('invoices').selectAll().execute();
      expect(written).toEqual([{ id: added.data.addInvoice.id, owner_id: user.id, amount: 42 }]);

      // And the other way: a row a seed writes, a resolver reads.
      await gatehouse.db.insertInto('invoices').values({ id: 'seeded', owner_id: user.id, amount: 7 }).execute();
      expect(await gql('{ myInvoices { id amount } }', accessToken)).toEqual({
        data: {
          myInvoices: [
            { id: 'seeded', amount: 7 },
            { id: added.data.addInvoice.id, amount: 42 },
          ],
        },
      });
    } finally {
      await gatehouse.close();
    }
  });

  it('runs them once when two instances and `gatehouse migrate` start at the same moment', async () => {
    const start = () => execFileAsync(TSX, [join('test', 'helpers', 'invoices-start-child.ts'), JSON.stringify(env)]);
    const [a, b, migrated] = await Promise.all([start(), start(), gatehouseMigrate(INVOICES_MODULE)]);
    expect([a.stdout, b.stdout, migrated.code]).toEqual(['started', 'started', 0]);
    expect(await names('app_migrations')).toEqual(['2026-12-06T00-00_invoices']);
    expect(await names('kysely_migration')).toEqual(Object.keys(migrationsFor(dialect)));
    expect(await runs()).toBe(1);
  }, 60_000);

  it('`gatehouse migrate MODULE` runs the migrations MODULE exports, then finds nothing left to do', async () => {
    const first = await gatehouseMigrate(INVOICES_MODULE);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`migrate: applied ${Object.keys(migrationsFor(dialect)).join(', ')}\n`);
    expect(first.stdout).toContain("migrate: applied the application's 2026-12-06T00-00_invoices\n");
    expect(await runs()).toBe(1);
    expect(await gatehouseMigrate(INVOICES_MODULE)).toEqual({
      code: 0,
      stdout: "migrate: the database is up to date\nmigrate: the application's tables are up to date\n",
      stderr: '',
    });
    expect(await runs()).toBe(1);
  }, 60_000);

  it('`gatehouse migrate MODULE` refuses a module without migrations in one line, before touching the database', async () => {
    const refused = await gatehouseMigrate(join('test', 'helpers', 'databases.ts'));
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `migrate: ${join('test', 'helpers', 'databases.ts')} exports no migrations\n` });
    expect(
      await sql`select 1 from users`.execute(inspect.db).then(
        () => 'migrated',
        () => 'untouched',
      ),
    ).toBe('untouched');
  }, 30_000);

  it('a failing migration stops the start with a StoreError naming it, and is not recorded', async () => {
    // (On PostgreSQL the whole run is one transaction, so the invoices migration before it rolls back too.)
    await migrateToLatest(inspect);
    const failing = { '2026-12-06T01-00_broken': { up: async () => Promise.reject(new Error('no such column: nope')) } };
    await expect(createGatehouse({ ...invoices, migrations: { ...invoices.migrations, ...failing }, env })).rejects.toThrow(
      /Application migration 2026-12-06T01-00_broken failed: no such column: nope/,
    );
    expect(await names('app_migrations')).not.toContain('2026-12-06T01-00_broken');
  });
});
