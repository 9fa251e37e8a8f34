// An application with a table of its own, for the tests of an application's migrations: the
// module `gatehouse start` / `gatehouse migrate` take (typeDefs, resolvers, migrations).
import { randomUUID } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import type { GatehouseContext } from '../../src/index';

export interface InvoiceTables {
  invoices: { id: string; owner_id: string; amount: number };
  /** One row each time the migration's `up` runs: a second row means it ran twice. */
  invoice_migration_runs: { ran_at: string };
}

export const typeDefs = `
  type Invoice { id: ID! amount: Int! }
  extend type Query { myInvoices: [Invoice!]! @auth }
  extend type Mutation { addInvoice(amount: Int!): Invoice! @auth }
`;

const tables = (context: GatehouseContext) => context.db as Kysely<InvoiceTables>;

export const resolvers = {
  Query: {
    myInvoices: (_parent: unknown, _args: unknown, context: GatehouseContext) =>
      tables(context)
        .selectFrom('invoices')
        .select(['id', 'amount'])
        .where('owner_id', '=', context.viewer?.id ?? '')
        .orderBy('amount')
        .execute(),
  },
  Mutation: {
    addInvoice: async (_parent: unknown, args: { amount: number }, context: GatehouseContext) => {
      const invoice = { id: randomUUID(), owner_id: context.viewer?.id ?? '', amount: args.amount };
      await tables(context).insertInto('invoices').values(invoice).execute();
      return invoice;
    },
  },
};

export const migrations: Record<string, Migration> = {
  '2026-12-06T00-00_invoices': {
    async up(db) {
      // No `if not exists`: run twice, this fails. The reference to users needs gatehouse's tables first.
      await db.schema
        .createTable('invoices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('amount', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createTable('invoice_migration_runs').ifNotExists().addColumn('ran_at', 'text').execute();
      await db.insertInto('invoice_migration_runs').values({ ran_at: new Date().toISOString() }).execute();
    },
  },
};
