import { createTestKit, type TestKit, type TestUser } from '../../src/testkit';
import { resolvers, sideEffects, typeDefs } from '../helpers/argument-rules-app';

describe('argument rules through the test kit', () => {
  let kit: TestKit;
  let user: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    kit = await createTestKit({ typeDefs, resolvers });
    user = await kit.createUser();
    admin = await kit.createUser({ role: 'ADMIN' });
  });
  afterAll(() => kit.close());

  it('smoke', async () => {
    const r1 = await kit.execute('{ invoices { id } }');
    expect(r1.errors).toBeUndefined();
    const r2 = await kit.execute('{ invoices(includeDeleted: true) { id } }', { as: user });
    console.log(JSON.stringify(r2));
    const r3 = await kit.execute('{ invoices(includeDeleted: true) { id } }', { as: admin });
    console.log(JSON.stringify(r3));
    const r4 = await kit.execute('{ whoAmI { id email roles scopes tenant } }', { as: admin });
    console.log(JSON.stringify(r4));
    const r5 = await kit.execute('{ whoAmI(id: "x") { id } }', { as: admin });
    console.log(JSON.stringify(r5));
    const before = sideEffects.count;
    const r6 = await kit.execute('mutation ($i: InvoiceInput!) { createInvoice(input: $i) { id ownerId createdBy discount } }', {
      as: user,
      variables: { i: { amount: 1, lines: [{ description: 'a', discount: 3 }] } },
    });
    console.log(JSON.stringify(r6), sideEffects.count - before);
    const r7 = await kit.execute('mutation ($i: InvoiceInput!) { createInvoice(input: $i) { id ownerId createdBy priority } }', {
      as: user,
      variables: { i: { amount: 1, lines: [{ description: 'a' }] } },
    });
    console.log(JSON.stringify(r7), sideEffects.count - before);
    for (const as of [null, user, admin]) {
      const r = await kit.execute(
        '{ a: __type(name: "InvoiceInput") { inputFields { name } } b: __type(name: "LineInput") { inputFields { name } } q: __type(name: "Query") { fields { name args { name } } } }',
        { as },
      );
      console.log(JSON.stringify(r));
    }
    const r8 = await kit.execute('{ invoices(includeDeletd: true) { id } }', { as: user });
    console.log(JSON.stringify(r8));
  });
});
