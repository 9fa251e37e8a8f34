// CommonJS consumer in TypeScript: compiled by tsc (the package's types must resolve), then run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatehouse, type GatehouseContext, hasRole } from 'gatehouse';
import { createTestKit, testContext } from 'gatehouse/testing';

const typeDefs = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');
const resolvers = {
  Query: {
    hello: (_parent: unknown, _args: unknown, context: GatehouseContext): string => (hasRole(context.viewer, 'ADMIN') ? 'hello, admin' : 'hello from the consumer'),
    secret: (_parent: unknown, _args: unknown, context: GatehouseContext) => ({ text: `only for ${context.viewer?.id}` }),
  },
};

async function main(): Promise<void> {
  // A plain resolver unit test: no database, no server.
  assert.equal(resolvers.Query.hello({}, {}, testContext({ id: 'u1', roles: ['ADMIN'], via: 'jwt' })), 'hello, admin');

  const env = { NODE_ENV: 'test', DATABASE_URL: 'file::memory:', JWT_SECRET: 'consumer-smoke-secret-0123456789abcdef', PORT: '0', PASSWORD_HASH_COST: '10' };
  const gatehouse = await createGatehouse({ typeDefs, resolvers, env });
  const url = await gatehouse.listen();
  const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as { data?: any; errors?: Array<{ extensions: { code: string } }> };
  };
  try {
    const anonymous = await gql('{ secret { text } }');
    assert.deepEqual(anonymous.errors?.map((e) => e.extensions.code), ['UNAUTHENTICATED']);
    const signedUp = await gql('mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken user { id } } }', { e: 'cjs@example.test', p: 'correct horse battery staple' });
    const { accessToken, user } = signedUp.data.signUp as { accessToken: string; user: { id: string } };
    assert.deepEqual(await gql('{ secret { text } }', {}, { authorization: `Bearer ${accessToken}` }), { data: { secret: { text: `only for ${user.id}` } } });
  } finally {
    await gatehouse.close();
  }

  const kit = await createTestKit({ typeDefs, resolvers });
  try {
    const alice = await kit.createUser();
    const result = await kit.execute<{ secret: { text: string } }>('{ secret { text } }', { as: alice });
    assert.equal(result.data?.secret.text, `only for ${alice.user.id}`);
  } finally {
    await kit.close();
  }
  console.log('CommonJS/TypeScript consumer: ok');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
