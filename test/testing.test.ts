// The resolver-test example from the README, kept here so the README stays true.
import { createTestKit, type TestKit } from '../src/testing';

let kit: TestKit;
beforeAll(async () => {
  kit = await createTestKit();
});
afterAll(() => kit.close());

it('shows users to admins only', async () => {
  const admin = await kit.createUser({ role: 'ADMIN' });
  const user = await kit.createUser();

  const asAdmin = await kit.execute('{ users { totalCount } }', { as: admin });
  expect(asAdmin.data).toEqual({ users: { totalCount: 2 } });

  const asUser = await kit.execute('{ users { totalCount } }', { as: user });
  expect(asUser.codes).toEqual(['FORBIDDEN']);

  const key = await kit.createApiKey(user);
  expect((await kit.execute('{ me { id } }', { as: key })).data).toEqual({ me: { id: user.user.id } });

  expect((await kit.execute('{ me { id } }')).codes).toEqual(['UNAUTHENTICATED']);
});

it('gives each kit its own database', async () => {
  const other = await createTestKit();
  try {
    await other.createUser();
    const admin = await other.createUser({ role: 'ADMIN' });
    expect((await other.execute<{ users: { totalCount: number } }>('{ users { totalCount } }', { as: admin })).data?.users.totalCount).toBe(2);
  } finally {
    await other.close();
  }
});

it('acts as a viewer built by hand', async () => {
  const target = await kit.createUser();
  const result = await kit.execute('{ users(first: 1) { edges { node { id } } } }', { as: kit.contextFor({ id: target.user.id, roles: ['ADMIN'], via: 'jwt' }) });
  expect(result.errors).toBeUndefined();
});
