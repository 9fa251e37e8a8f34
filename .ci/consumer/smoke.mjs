// ESM consumer: serves its own schema with createGatehouse, over HTTP, and tests it with the kit.
import assert from 'node:assert/strict';
import { createGatehouse, ErrorCode } from 'gatehouse';
import { createTestKit } from 'gatehouse/testing';
import { resolvers, typeDefs } from './app.mjs';

const env = { NODE_ENV: 'test', DATABASE_URL: 'file::memory:', JWT_SECRET: 'x'.repeat(16) + 'consumer-smoke-secret-0123456789', PORT: '0', PASSWORD_HASH_COST: '10' };
const gatehouse = await createGatehouse({ typeDefs, resolvers, env });
const url = await gatehouse.listen();
const gql = async (query, variables = {}, headers = {}) => {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: await response.json() };
};
try {
  const anonymous = await gql('{ hello secret { text } }');
  assert.equal(anonymous.status, 200);
  assert.equal(anonymous.body.data.hello, 'hello from the consumer');
  assert.equal(anonymous.body.data.secret, null);
  assert.deepEqual(anonymous.body.errors.map((e) => e.extensions.code), [ErrorCode.UNAUTHENTICATED]);

  const signedUp = await gql('mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken user { id } } }', { e: 'esm@example.test', p: 'correct horse battery staple' });
  const { accessToken, user } = signedUp.body.data.signUp;
  const reader = await gql('{ secret { text } }', {}, { authorization: `Bearer ${accessToken}` });
  assert.deepEqual(reader.body, { data: { secret: { text: `only for ${user.id}` } } });
} finally {
  await gatehouse.close();
}

// graphql-js builds results with null prototypes; compare plain copies.
const plain = (value) => JSON.parse(JSON.stringify(value));
const kit = await createTestKit({ typeDefs, resolvers });
try {
  const alice = await kit.createUser();
  assert.deepEqual((await kit.execute('{ secret { text } }')).codes, ['UNAUTHENTICATED']);
  assert.deepEqual(plain((await kit.execute('{ secret { text } }', { as: alice })).data), { secret: { text: `only for ${alice.user.id}` } });
  const key = await kit.createApiKey(alice);
  assert.deepEqual(plain((await kit.execute('{ secret { text } }', { as: key })).data), { secret: { text: `only for ${alice.user.id}` } });
} finally {
  await kit.close();
}
console.log('ESM consumer: ok');
