/*
 * The map tells the truth for the entries gatehouse's own policies decide (createApiKey,
 * rotateApiKey, addMember, setMemberRole, removeMember in schema/), on the demo that `npm start`
 * serves. Their policies are gatehouse's code, so the real ones run; the cases come from the map
 * (test/helpers/gatehouse-policy-cases.ts): each caller it names, in each situation its label makes
 * relevant (owning the key or not; each organization role or none) and each way of asking that
 * gives its policies a known verdict, through the real HTTP server. Allowed: no UNAUTHENTICATED or
 * FORBIDDEN, and no error at all: the call did what it asks. Refused: the field's error with the code
 * the map implies, no data, and none of the accounts' tables changed.
 */
import type { Kysely } from 'kysely';
import { declaredRoles } from '../../src/enforcement/declared-roles';
import { organizationRolesIn } from '../../src/enforcement/organizations';
import { knownScopes } from '../../src/enforcement/scopes';
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import { buildAuthMap } from '../../src/tools/auth-map';
import { buildDemoSourceSchema } from '../helpers/demo';
import { type Credential, type GatehouseCase, gatehousePolicyCases } from '../helpers/gatehouse-policy-cases';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { operationFor } from '../helpers/matrix-operations';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

const schema = buildDemoSourceSchema();
const map = buildAuthMap(schema);
const callers = ['anonymous', ...declaredRoles(schema).roles];
const organizationRoles = organizationRolesIn(schema).values;
const { cases, unplayed, entries } = gatehousePolicyCases(schema, map, callers, organizationRoles);

describe('the cases the map gives for gatehouse’s own policies', () => {
  it('cover every entry that names one, with both verdicts', () => {
    expect(entries.sort()).toEqual(
      ['Mutation.addMember', 'Mutation.createApiKey', 'Mutation.removeMember', 'Mutation.rotateApiKey', 'Mutation.setMemberRole'].sort(),
    );
    for (const coordinate of entries) {
      const outcomes = new Set(cases.filter((c) => c.coordinate === coordinate && c.caller !== 'anonymous').map((c) => c.allowed));
      expect({ coordinate, outcomes: [...outcomes].sort() }).toEqual({ coordinate, outcomes: [false, true] });
    }
    expect(unplayed).toEqual([]);
  });
});

describe('the auth map agrees with the server on gatehouse’s own policies', () => {
  let server: HttpHarness;
  let issuer: TestIssuer;
  let providerKey: TestKey;
  const session: Record<string, { id: string; email: string; headers: Record<string, string> }> = {};
  const provider: Partial<Record<Credential, { id: string; headers: () => Promise<Record<string, string>> }>> = {};
  const origin = { actorId: null, address: 'gatehouse policy matrix', source: 'request' } as const;
  const scope = knownScopes(schema)[0]!;

  const signIn = async (name: string, role: string) => {
    const email = `${name.toLowerCase()}@gatehouse-policies.test`;
    const user = await createUser(server.app, { email, password: 'policy password', role }, origin);
    const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "policy password") { accessToken } }', {
      variables: { e: email },
    });
    session[name] = { id: user.id, email, headers: { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` } };
  };
  const asProvider = (sub: string, tokenScope: string) => async () => ({
    authorization: `Bearer ${await issuer.sign(providerKey, { sub, scope: tokenScope })}`,
  });

  beforeAll(async () => {
    issuer = await startTestIssuer({ path: '/realms/map' });
    providerKey = await issuer.newKey('ES256');
    issuer.publish(providerKey);
    const OIDC_ISSUERS = JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]);
    server = await startHttpServer({ env: { LOG_LEVEL: 'silent', OIDC_ISSUERS } });
    for (const role of callers.slice(1)) await signIn(role, role);
    // The organizations' founder (their first OWNER), another member of each, and an account in none.
    await signIn('founder', 'USER');
    await signIn('bystander', 'USER');
    await signIn('stranger', 'USER');
    // Provider accounts, linked on first use: one whose row an ADMIN promoted (its tokens, USER, lack
    // ADMIN), one whose token holds only `openid`.
    for (const [credential, sub, tokenScope] of [
      ['provider token, its account promoted to ADMIN', 'matrix-promoted', scope],
      ['provider token with scope openid', 'matrix-scoped', 'openid'],
    ] as const) {
      const headers = asProvider(sub, tokenScope);
      const id = (await server.gql('{ me { id } }', { headers: await headers() })).body.data?.['me']?.id as string;
      provider[credential] = { id, headers };
    }
    const promoted = await server.gql('mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }', {
      variables: { id: provider['provider token, its account promoted to ADMIN']!.id },
      headers: session['ADMIN']!.headers,
    });
    expect(promoted.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  /** A new organization of the founder's, with the bystander as MEMBER and `email` holding `role` (none: not a member). */
  const organizationWith = async (email: string | null, role: string | null): Promise<string> => {
    const founder = session['founder']!.headers;
    const created = await server.gql('mutation { createOrganization(name: "matrix") { id } }', { headers: founder });
    const id = created.body.data?.['createOrganization']?.id as string;
    const add = 'mutation ($o: ID!, $e: String!, $r: OrganizationRole!) { addMember(organizationId: $o, email: $e, role: $r) { role } }';
    const members: Array<[string, string]> = [[session['bystander']!.email, 'MEMBER']];
    if (email !== null && role !== null) members.push([email, role]);
    for (const [e, r] of members) {
      const added = await server.gql(add, { variables: { o: id, e, r }, headers: founder });
      expect(added.body.errors).toBeUndefined();
    }
    return id;
  };

  /** The rows a refused mutation must leave as they were. */
  const snapshot = async (): Promise<string> => {
    const db = server.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const tables = ['api_keys', 'memberships', 'organizations', 'user_roles'];
    const rows = await Promise.all(tables.map((table) => db.selectFrom(table).selectAll().execute()));
    return JSON.stringify(rows.map((r) => r.map((row) => JSON.stringify(row)).sort()));
  };

  it.each<GatehouseCase>(cases)('$coordinate as $caller: $shown', async (testCase) => {
    const { caller, path, situation, variant, owned, organizationArgument, allowed } = testCase;
    const acting =
      variant.credential === 'session'
        ? caller === 'anonymous'
          ? null
          : { id: session[caller]!.id, email: session[caller]!.email as string | null, headers: async () => session[caller]!.headers }
        : { id: provider[variant.credential]!.id, email: null, headers: provider[variant.credential]!.headers };
    // Arguments the rules do not decide get values that let an allowed call succeed: an account
    // not in the organization to add, the organization's other member to change.
    const usual: Record<string, string> = {
      email: JSON.stringify(session['stranger']!.email),
      userId: JSON.stringify(session['bystander']!.id),
    };
    const target = path[path.length - 1]!.field;
    const values: Record<string, string> = {
      ...Object.fromEntries(target.args.filter((a) => usual[a.name] !== undefined).map((a) => [a.name, usual[a.name]!])),
      ...variant.args({ self: acting?.id ?? '', other: session['bystander']!.id, scope }),
    };
    if (owned !== null) {
      expect(owned.loads).toBe('ApiKey');
      const keyOwner = situation.owns === true ? acting!.id : session['bystander']!.id;
      // Made as its owner with every role the account holds (as the admin CLI does).
      const key = await createApiKey(server.app, { id: keyOwner, roles: ['ADMIN'], via: 'jwt' }, { name: 'matrix' }, origin);
      values[owned.idArgument] = JSON.stringify(key.apiKey.id);
    }
    if (organizationArgument !== null)
      values[organizationArgument] = JSON.stringify(await organizationWith(acting?.email ?? null, situation.orgRole ?? null));
    const query = operationFor(schema, path, [], values);
    const before = await snapshot();
    const response = await server.gql(query, { headers: acting === null ? {} : await acting.headers() });
    const authErrors = (response.body.errors ?? [])
      .filter((e: WireError) => e.extensions?.['code'] === 'UNAUTHENTICATED' || e.extensions?.['code'] === 'FORBIDDEN')
      .map((e: WireError) => ({ path: e.path, code: e.extensions?.['code'] }));
    const expected = allowed ? [] : [{ path: [target.name], code: caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN' }];
    expect({ query, authErrors }).toEqual({ query, authErrors: expected });
    if (allowed) expect({ query, errors: response.body.errors }).toEqual({ query, errors: undefined });
    else {
      expect(response.body.data ?? null).toBeNull();
      expect(await snapshot()).toBe(before);
    }
  });
});
