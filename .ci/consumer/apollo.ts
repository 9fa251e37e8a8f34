// CommonJS consumer of gatehouse/apollo, type-checked against the package's declarations.
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { type GatehouseContext, gatehouseForApollo } from 'gatehouse/apollo';

async function main(): Promise<void> {
  const env = { NODE_ENV: 'test', DATABASE_URL: 'file::memory:', JWT_SECRET: `${'y'.repeat(16)}consumer-smoke-secret-0123456789`, PASSWORD_HASH_COST: '10' };
  const typeDefs = 'extend type Query { whoami: String @auth }';
  const resolvers = { Query: { whoami: (_: unknown, __: unknown, context: GatehouseContext) => context.viewer?.id ?? null } };
  const g = await gatehouseForApollo({ typeDefs, resolvers, env });
  const server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins });
  const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ whoami }' }) });
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.deepEqual(body.errors.map((e) => e.extensions.code), ['UNAUTHENTICATED']);
  } finally {
    await server.stop();
    await g.close();
  }
  console.log('gatehouse/apollo (CommonJS): ok');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
