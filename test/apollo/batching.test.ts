// A team that turns Apollo's batching on (`allowBatchedHttpRequests: true`, off by default and in
// gatehouse's own server): every operation of a batch is its own request to gatehouse. Apollo gives
// each a copy of the one context, so each gets its own mutation gate, limits and policy verdicts.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { GatehouseContext, GatehouseForApollo } from '../../src/apollo';
import { openForApollo } from '../../src/apollo-open';
import type { App } from '../../src/app';
import { createUser } from '../../src/services/accounts';
import * as invoicesApp from '../helpers/policies-app';
import { testEnv } from '../helpers/apollo';
import { readResponse, type WireBody } from '../helpers/http';

describe('gatehouseForApollo with batched HTTP requests turned on', () => {
  let g: GatehouseForApollo;
  let app: App;
  let server: ApolloServer<GatehouseContext>;
  let url: string;
  let token: string;

  beforeAll(async () => {
    ({ forApollo: g, app } = await openForApollo({ ...invoicesApp, env: testEnv({ MAX_ALIASES: '2' }) }));
    server = new ApolloServer<GatehouseContext>({ schema: g.schema, plugins: g.plugins, allowBatchedHttpRequests: true });
    ({ url } = await startStandaloneServer(server, { context: g.context, listen: { port: 0, host: '127.0.0.1' } }));
    const origin = { actorId: null, address: 'batch-test', source: 'request' } as const;
    const user = await createUser(app, { email: 'batch@apollo.test', password: 'batch password', role: 'USER' }, origin);
    invoicesApp.invoices.set('batch-mine', { id: 'batch-mine', createdBy: user.id, status: 'DRAFT', total: 1 });
    invoicesApp.invoices.set('batch-theirs', { id: 'batch-theirs', createdBy: 'someone else', status: 'DRAFT', total: 1 });
    const [login] = await batch([{ query: 'mutation { login(email: "batch@apollo.test", password: "batch password") { accessToken } }' }]);
    token = login?.data?.['login']?.accessToken;
  });
  afterAll(async () => {
    await server?.stop();
    await g?.close();
  });

  async function batch(operations: object[], headers: Record<string, string> = {}): Promise<WireBody[]> {
    const response = await readResponse(
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(operations) }),
    );
    expect(Array.isArray(response.body)).toBe(true);
    return response.body as unknown as WireBody[];
  }

  it("decides each operation's root policy on its own arguments: one caller's allowed edit lets no other through", async () => {
    const answers = await batch(
      [
        { query: 'mutation { editInvoice(id: "batch-mine", total: 2) { id } }' },
        { query: 'mutation { editInvoice(id: "batch-theirs", total: 999) { id } }' },
      ],
      { authorization: `Bearer ${token}` },
    );
    expect(answers[0]).toEqual({ data: { editInvoice: { id: 'batch-mine' } } });
    expect(answers[1]?.data).toBeUndefined();
    expect(answers[1]?.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['editInvoice'], 'FORBIDDEN']]);
    expect(invoicesApp.invoices.get('batch-theirs')?.total).toBe(1);
  });

  it('runs the mutation gate and the query limits per operation', async () => {
    const answers = await batch([
      { query: 'mutation { signUp(email: "gate@apollo.test", password: "batch password") { user { apiKeys { id } } } }' },
      { query: '{ a: publicMessage b: publicMessage c: publicMessage }' },
      { query: '{ publicMessage }' },
    ]);
    expect(answers[0]?.data).toBeUndefined();
    expect(answers[0]?.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
    const signedUp = await app.store.db.selectFrom('users').select('id').where('email', '=', 'gate@apollo.test').execute();
    expect(signedUp).toEqual([]);
    expect(answers[1]?.errors?.map((e) => e.extensions?.['code'])).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answers[2]).toEqual({ data: { publicMessage: expect.any(String) } });
  });
});
