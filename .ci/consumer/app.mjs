// The application, as an ESM module: its SDL, resolvers and migrations (also what `gatehouse start
// app.mjs` and `gatehouse migrate app.mjs` load).
import { readFileSync } from 'node:fs';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');
export const resolvers = {
  Query: {
    hello: () => 'hello from the consumer',
    secret: (_parent, _args, context) => ({ text: `only for ${context.viewer.id}` }),
    greeting: async (_parent, _args, context) => (await context.db.selectFrom('greetings').select('text').executeTakeFirst())?.text ?? null,
  },
};
/** A table of the application's own, with a row: run by `gatehouse migrate app.mjs` (and at start). */
export const migrations = {
  '2026-12-06T00-00_greetings': {
    async up(db) {
      await db.schema.createTable('greetings').addColumn('text', 'text', (c) => c.notNull()).execute();
      await db.insertInto('greetings').values({ text: 'hello from the application’s own table' }).execute();
    },
  },
};
