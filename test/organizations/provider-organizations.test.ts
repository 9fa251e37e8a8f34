/*
 * A provider token may carry organization memberships through its issuer's `organizationsClaim`
 * (OIDC_ISSUERS), tested with the loopback issuer over HTTP: the object form and the array form
 * grant exactly what they say on that request; a token without the claim is a member of nothing;
 * an issuer without organizationsClaim leaves the linked user's stored memberships in force.
 */
import { codes, signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

const ORG = 'query ($id: ID!) { organization(id: $id) { id myRole } }';

describe('organization memberships from a provider token', () => {
  let withClaim: TestIssuer;
  let without: TestIssuer;
  let keys: { withClaim: TestKey; without: TestKey };
  let h: HttpHarness;
  let organizationId: string;

  beforeAll(async () => {
    withClaim = await startTestIssuer({ path: '/realms/claims' });
    without = await startTestIssuer({ path: '/realms/plain' });
    keys = { withClaim: await withClaim.newKey('ES256'), without: await without.newKey('ES256') };
    withClaim.publish(keys.withClaim);
    without.publish(keys.without);
    h = await startHttpServer({
      env: {
        OIDC_ISSUERS: JSON.stringify([
          { issuer: withClaim.issuer, audience: 'gatehouse-api', organizationsClaim: 'https://example.com/orgs' },
          { issuer: without.issuer, audience: 'gatehouse-api' },
        ]),
      },
    });
    const owner = await signUp(h);
    const created = await h.gql('mutation { createOrganization(name: "Federated") { id } }', {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    organizationId = created.body.data?.['createOrganization'].id;
  });
  afterAll(async () => {
    await h?.close();
    await withClaim?.close();
    await without?.close();
  });

  const as = (token: string) => h.gql(ORG, { variables: { id: organizationId }, headers: { authorization: `Bearer ${token}` } });

  it('grants the memberships the claim lists, in its object or its array form, and only those', async () => {
    const objectForm = await withClaim.sign(keys.withClaim, { sub: 'ann', 'https://example.com/orgs': { [organizationId]: 'ADMIN' } });
    expect((await as(objectForm)).body).toEqual({ data: { organization: { id: organizationId, myRole: 'ADMIN' } } });
    const arrayForm = await withClaim.sign(keys.withClaim, {
      sub: 'ann',
      'https://example.com/orgs': [{ id: organizationId, role: 'MEMBER' }],
    });
    expect((await as(arrayForm)).body).toEqual({ data: { organization: { id: organizationId, myRole: 'MEMBER' } } });
    const otherOrg = await withClaim.sign(keys.withClaim, { sub: 'ann', 'https://example.com/orgs': { 'not-this-one': 'OWNER' } });
    expect(codes(await as(otherOrg))).toEqual(['FORBIDDEN']);
    const noClaim = await withClaim.sign(keys.withClaim, { sub: 'ann' });
    expect(codes(await as(noClaim))).toEqual(['FORBIDDEN']);
    // A role the schema does not declare passes nothing.
    const madeUp = await withClaim.sign(keys.withClaim, { sub: 'ann', 'https://example.com/orgs': { [organizationId]: 'SUPERUSER' } });
    expect(codes(await as(madeUp))).toEqual(['FORBIDDEN']);
  });

  it("leaves the linked user's stored memberships in force when the issuer names no organizationsClaim", async () => {
    const token = await without.sign(keys.without, { sub: 'bob', 'https://example.com/orgs': { [organizationId]: 'OWNER' } });
    expect(codes(await as(token))).toEqual(['FORBIDDEN']);
    const linked = await h.store.db
      .selectFrom('external_identities')
      .select('user_id')
      .where('subject', '=', 'bob')
      .executeTakeFirstOrThrow();
    await h.store.db
      .insertInto('memberships')
      .values({ organization_id: organizationId, user_id: linked.user_id, role: 'MEMBER', created_at: new Date().toISOString() })
      .execute();
    expect((await as(token)).body).toEqual({ data: { organization: { id: organizationId, myRole: 'MEMBER' } } });
  });
});
