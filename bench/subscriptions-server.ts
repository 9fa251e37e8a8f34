// A gatehouse server for the subscription benchmark (bench/subscriptions.ts), in its own process,
// in production mode on a fresh SQLite file. Its schema: `tick`, a mutation that publishes one
// event, and `ticked`, the subscription that receives it (a per-subscriber select with no read);
// and the notes example as `npm start` serves it (createNote, noteAdded). Prints {"url", "token",
// "authors", "pid"} when it listens: `token` is a user's, `authors` are tokens of accounts that
// create the notes (several: createNote is limited per account).
import './subscriptions-gatehouse-alias';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app';
import { parseConfig } from '../src/config';
import type { GatehouseContext } from '../src/context';
import { buildSchema } from '../src/graphql/schema';
import { createHttpServer } from '../src/http/server';
import { createUser } from '../src/services/accounts';
import { migrateApplication, migrateToLatest, openStore } from '../src/store/database';
import { migrations as notesMigrations } from '../examples/notes/migrations';
import { loaders as notesLoaders, resolvers as notesResolvers } from '../examples/notes/resolvers';

const typeDefs = /* GraphQL */ `
  type Tick { id: ID! }
  extend type Mutation { tick: Boolean! @public }
  extend type Subscription { ticked: Tick @public }
`;
const resolvers = {
  Mutation: {
    tick: async (_p: unknown, _a: unknown, context: GatehouseContext) => {
      await context.events.publish('tick', randomUUID());
      return true;
    },
  },
  Subscription: {
    ticked: {
      subscribe: (_p: unknown, _a: unknown, context: GatehouseContext) => context.events.subscribe('tick', (id) => ({ id })),
      resolve: (tick: unknown) => tick,
    },
  },
};

async function main(): Promise<void> {
  const dbPath = `/tmp/gatehouse-bench-ws-${process.pid}.db`;
  const config = parseConfig({
    NODE_ENV: 'production',
    DATABASE_URL: `file:${dbPath}`,
    JWT_SECRET: 'bench-only-secret-8f3a1c9e7b2d4f6a0c5e8b1d3f7a9c2e',
    PORT: '0',
    LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: '10',
    SUBSCRIPTION_SOCKETS_PER_USER: '5000',
    SUBSCRIPTIONS_PER_USER: '5000',
    SUBSCRIPTION_SOCKETS_PER_NETWORK: '5000',
    SUBSCRIPTIONS_PER_NETWORK: '5000',
    SUBSCRIPTION_MAX_SOCKETS: '5000',
    SUBSCRIPTION_MAX_TOTAL: '5000',
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  await migrateToLatest(store);
  // The notes example owns its table (examples/notes/migrations.ts), as `npm start` migrates it.
  await migrateApplication(store, notesMigrations);
  const app = createApp(config, store);
  await app.accessTokens.ready();
  const user = await createUser(
    app,
    { email: 'bench@example.test', password: 'benchmark password' },
    { actorId: null, address: 'bench', source: 'request' },
  );
  const longLived = createApp({ ...config, jwt: { ...config.jwt, accessTokenTtlSeconds: 86_400 } }, store).accessTokens;
  await longLived.ready();
  const token = longLived.issue(user.id, new Date()).token;
  const authors: string[] = [];
  for (let i = 0; i < 6; i++) {
    const author = await createUser(
      app,
      { email: `author${i}@example.test`, password: 'benchmark password' },
      { actorId: null, address: 'bench', source: 'request' },
    );
    authors.push(longLived.issue(author.id, new Date()).token);
  }
  const notes = {
    typeDefs: readFileSync(join(__dirname, '..', '..', 'examples', 'notes', 'schema.graphql'), 'utf8'),
    resolvers: notesResolvers,
    loaders: notesLoaders,
  };
  const schema = buildSchema({
    typeDefs: [notes.typeDefs, typeDefs],
    resolvers: [notes.resolvers, resolvers],
    loaders: notes.loaders,
  } as never);
  const server = await createHttpServer(app, { schema });
  const url = await server.listen();
  process.stderr.write(`${JSON.stringify({ url, token, authors, pid: process.pid })}\n`);
  const stop = () => {
    void server.close().then(() => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
