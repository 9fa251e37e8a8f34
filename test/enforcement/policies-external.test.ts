// `@policy` with an identity provider's token (issue 24: each rule kind as an external token too),
// through the real HTTP server and a loopback issuer: the policy sees the linked user's id and the
// token's scopes; a root policy refuses before anything runs (a counter of edits).
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';
import * as app from '../helpers/policies-app';

const { counters, invoices } = app;

describe('@policy with an external token', () => {
  let h: HttpHarness;
  let issuer: TestIssuer;
  let key: TestKey;

  beforeAll(async () => {
    issuer = await startTestIssuer({ path: '/realms/policies' });
    key = await issuer.newKey('ES256');
    issuer.publish(key);
    const OIDC_ISSUERS = JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]);
    h = await startHttpServer({ app, env: { LOG_LEVEL: 'silent', OIDC_ISSUERS } });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const token = async (sub: string, scope: string) => ({ authorization: `Bearer ${await issuer.sign(key, { sub, scope })}` });
  const edit = (headers: Record<string, string>) => h.gql('mutation { editInvoice(id: "ext", total: 99) { id total } }', { headers });

  it('decides on the linked user and the token’s scopes; a refused edit never runs', async () => {
    const creator = await token('policy-creator', 'invoices:write');
    const creatorId = (await h.gql('{ me { id } }', { headers: creator })).body.data?.['me']?.id as string;
    invoices.clear();
    invoices.set('ext', { id: 'ext', createdBy: creatorId, status: 'DRAFT', total: 10 });
    counters.edits = 0;

    // The creator's total is readable with the creator's token; another provider user's is not.
    expect((await h.gql('{ invoice(id: "ext") { total } }', { headers: creator })).body).toEqual({ data: { invoice: { total: 10 } } });
    const other = await h.gql('{ invoice(id: "ext") { total } }', { headers: await token('policy-other', 'invoices:write') });
    expect(other.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['invoice', 'total'], 'FORBIDDEN']]);

    // The creator's token without invoices:write, and another user's token: refused by the gate.
    for (const headers of [await token('policy-creator', 'invoices:read'), await token('policy-other', 'invoices:write')]) {
      const refused = await edit(headers);
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    }
    expect(counters.edits).toBe(0);
    expect(invoices.get('ext')?.total).toBe(10);

    expect((await edit(creator)).body).toEqual({ data: { editInvoice: { id: 'ext', total: 99 } } });
    expect(counters.edits).toBe(1);
  });
});
