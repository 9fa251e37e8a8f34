// An application with tables of its own, typed with ITS OWN kysely install (a newer patch than the
// one gatehouse was built with): its migrations, `gatehouse.db`, `context.db` and the test kit's
// `kit.db` must all be the application's Kysely types (one kysely: gatehouse's is a peer dependency).
import assert from 'node:assert/strict';
import { createGatehouse, type GatehouseContext } from 'gatehouse';
import { createTestKit } from 'gatehouse/testing';
import type { Kysely, Migration } from 'kysely';

interface Tables {
  invoices: { id: string; owner_id: string; amount: number };
}

const migrations: Record<string, Migration> = {
  '2026-12-06T00-00_invoices': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('invoices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('amount', 'integer', (c) => c.notNull())
        .execute();
    },
  },
};

/** A repository function over the application's own Kysely type. */
function invoicesOf(db: Kysely<Tables>, ownerId: string) {
  return db.selectFrom('invoices').select(['id', 'amount']).where('owner_id', '=', ownerId).orderBy('amount').execute();
}

const typeDefs = `
  type Invoice { id: ID! amount: Int! }
  extend type Query { myInvoices: [Invoice!]! @auth }
`;
const resolvers = {
  Query: {
    // context.db goes straight into a function typed with the application's kysely.
    myInvoices: (_parent: unknown, _args: unknown, context: GatehouseContext) => invoicesOf(context.db, context.viewer?.id ?? ''),
  },
};

async function main(): Promise<void> {
  const env = { NODE_ENV: 'test', DATABASE_URL: 'file::memory:', JWT_SECRET: 'consumer-smoke-secret-0123456789abcdef', PORT: '0', PASSWORD_HASH_COST: '10' };
  const gatehouse = await createGatehouse<Tables>({ typeDefs, resolvers, migrations, env });
  try {
    const url = await gatehouse.listen();
    const signUp = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { signUp(email: "tables@example.test", password: "correct horse battery staple") { accessToken user { id } } }' }),
    });
    const { accessToken, user } = ((await signUp.json()) as any).data.signUp as { accessToken: string; user: { id: string } };
    const db: Kysely<Tables> = gatehouse.db; // a seed: the application's own type
    await db.insertInto('invoices').values({ id: 'seeded', owner_id: user.id, amount: 7 }).execute();
    const read = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: '{ myInvoices { id amount } }' }),
    });
    assert.deepEqual(await read.json(), { data: { myInvoices: [{ id: 'seeded', amount: 7 }] } });
  } finally {
    await gatehouse.close();
  }

  const kit = await createTestKit<Tables>({ typeDefs, resolvers, migrations });
  try {
    const alice = await kit.createUser();
    const db: Kysely<Tables> = kit.db;
    await db.insertInto('invoices').values({ id: 'kit', owner_id: alice.user.id, amount: 1 }).execute();
    assert.deepEqual(await invoicesOf(kit.db, alice.user.id), [{ id: 'kit', amount: 1 }]);
  } finally {
    await kit.close();
  }
  console.log('tables consumer (its own kysely): ok');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
