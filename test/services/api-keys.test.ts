import { createTestKit } from '../../src/testkit';

describe('API keys per user', () => {
  it('refuses a key beyond 100 unrevoked ones, and allows one again after a revocation', async () => {
    const kit = await createTestKit();
    try {
      const owner = await kit.createUser();
      let lastId = '';
      for (let i = 0; i < 100; i++) lastId = (await kit.createApiKey(owner, { name: `key ${i}` })).id;
      const refused = await kit.execute('mutation { createApiKey(name: "one too many") { secret } }', { as: owner });
      expect(refused.codes).toEqual(['BAD_USER_INPUT']);
      await kit.execute(`mutation { revokeApiKey(id: "${lastId}") { id } }`, { as: owner });
      expect((await kit.execute('mutation { createApiKey(name: "after revoking") { secret } }', { as: owner })).errors).toBeUndefined();
    } finally {
      await kit.close();
    }
  });
});
