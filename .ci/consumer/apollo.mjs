// ESM consumer of gatehouse/apollo: the consumer's schema inside an Apollo Server it constructs.
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { gatehouseForApollo } from 'gatehouse/apollo';
import { resolvers, typeDefs } from './app.mjs';

const env = { NODE_ENV: 'test', DATABASE_URL: 'file::memory:', JWT_SECRET: 'x'.repeat(16) + 'consumer-smoke-secret-0123456789', PASSWORD_HASH_COST: '10' };
const g = await gatehouseForApollo({ typeDefs, resolvers, env });
const server = new ApolloServer({ schema: g.schema, plugins: g.plugins });
const { url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } });
const gql = async (query, headers = {}) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: await response.json() };
};
try {
  const anonymous = await gql('{ hello secret { text } }');
  assert.equal(anonymous.body.data.hello, 'hello from the consumer');
  assert.deepEqual(anonymous.body.errors.map((e) => e.extensions.code), ['UNAUTHENTICATED']);
  const signedUp = await gql('mutation { signUp(email: "apollo@example.test", password: "correct horse battery staple") { accessToken user { id } } }');
  const { accessToken, user } = signedUp.body.data.signUp;
  assert.deepEqual((await gql('{ secret { text } }', { authorization: `Bearer ${accessToken}` })).body, { data: { secret: { text: `only for ${user.id}` } } });
  const refused = await gql('{ hello }', { authorization: 'Bearer not-a-token' });
  assert.equal(refused.status, 401);
  assert.deepEqual(refused.body.errors.map((e) => e.extensions.code), ['UNAUTHENTICATED']);
} finally {
  await server.stop();
  await g.close();
}
console.log('gatehouse/apollo (ESM): ok');
