// ESM consumer of gatehouse/cedar: a Cedar policy set decides a field through the test kit.
import assert from 'node:assert/strict';
import { cedarPolicies } from 'gatehouse/cedar';
import { createTestKit } from 'gatehouse/testing';

const cedar = cedarPolicies({
  policies: 'permit (principal in Role::"ADMIN", action == Action::"Query.ledger", resource);',
});
const kit = await createTestKit({
  typeDefs: 'extend type Query { ledger: String @policy(policies: [["cedar"]]) }',
  resolvers: { Query: { ledger: () => 'balanced' } },
  policies: cedar.policies,
});
try {
  const admin = await kit.createUser({ role: 'ADMIN' });
  const user = await kit.createUser();
  assert.deepEqual({ ...(await kit.execute('{ ledger }', { as: admin })).data }, { ledger: 'balanced' });
  assert.deepEqual((await kit.execute('{ ledger }', { as: user })).codes, ['FORBIDDEN']);
  assert.equal(cedar.stats().engineCalls, 2);
} finally {
  await kit.close();
}
console.log('gatehouse/cedar (ESM): ok');
