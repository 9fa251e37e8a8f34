/*
 * The map tells the truth where access depends on data: the entries it labels `(owner)`,
 * `(member)`, `(ADMIN member)` or `(policy)` for gatehouse's own policies (createApiKey,
 * rotateApiKey, addMember, setMemberRole, removeMember in schema/), on the demo that `npm start`
 * serves. The cases come from the map (test/helpers/map-data-cases.ts): each caller it names, in
 * each situation the entry's rules make relevant (the loaded object the caller's, another's, or
 * another's but open; each organization role or none) and each way of asking that gives its
 * policies a known verdict (the real ones run: they are gatehouse's code), through the real HTTP
 * server; so is each field a caller reaches only through one of them (`createApiKey { secret }`).
 * Allowed: no error at all, the call did what it asks. Refused: the root field's error with the code
 * the map implies, a mutation without data, and none of the tables a call could change changed.
 */
import type { Kysely } from 'kysely';
import { declaredRoles } from '../../src/enforcement/declared-roles';
import { organizationRolesIn } from '../../src/enforcement/organizations';
import { knownScopes } from '../../src/enforcement/scopes';
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import { buildAuthMap } from '../../src/tools/auth-map';
import { buildDemoSourceSchema } from '../helpers/demo';
import { type Credential, type DataCase, dataDependentCases } from '../helpers/map-data-cases';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { operationFor } from '../helpers/matrix-operations';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

const schema = buildDemoSourceSchema();
const map = buildAuthMap(schema);
const callers = ['anonymous', ...declaredRoles(schema).roles];
const organizationRoles = organizationRolesIn(schema).values;
/** The types of object this test makes for an `@owner(loads:)`. */
const LOADABLE = ['ApiKey', 'Note'];
const { cases, unplayed, entries } = dataDependentCases(schema, map, callers, organizationRoles, LOADABLE);

describe('the data-dependent cases the map gives', () => {
  it('cover every entry labelled with an owner, a membership or a gatehouse policy, both ways', () => {
    expect(entries.sort()).toEqual(
      [
        'Mutation.addMember',
        'Mutation.createApiKey',
        'Mutation.createOrganizationNote',
        'Mutation.deleteNote',
        'Mutation.removeMember',
        'Mutation.revokeApiKey',
        'Mutation.rotateApiKey',
        'Mutation.setMemberRole',
        'Query.note',
        'Query.organization',
      ].sort(),
    );
    for (const coordinate of entries) {
      const outcomes = new Set(cases.filter((c) => c.coordinate === coordinate && c.caller !== 'anonymous').map((c) => c.allowed));
      expect({ coordinate, outcomes: [...outcomes].sort() }).toEqual({ coordinate, outcomes: [false, true] });
    }
  });

  it('leaves only these to the hand-written cases, each with its reason', () => {
    const left = [...new Set(unplayed.map((u) => `${u.coordinate}: ${u.reason}`))].sort();
    expect(left).toEqual([
      'Organization.notes: not a root field: the object comes from its parent',
      'Subscription.organizationNoteAdded: a subscription: over WebSocket in test/http/auth-matrix-organizations.test.ts',
      'User.email: not a root field: the object comes from its parent',
    ]);
  });
});

describe('the auth map agrees with the server where access depends on data', () => {
  let server: HttpHarness;
  let issuer: TestIssuer;
  let providerKey: TestKey;
  const session: Record<string, { id: string; email: string; headers: Record<string, string> }> = {};
  const provider: Partial<Record<Credential, { id: string; headers: () => Promise<Record<string, string>> }>> = {};
  const origin = { actorId: null, address: 'data matrix', source: 'request' } as const;
  const scope = knownScopes(schema)[0]!;

  const signIn = async (name: string, role: string) => {
    const email = `${name.toLowerCase()}@data-matrix.test`;
    const user = await createUser(server.app, { email, password: 'matrix password', role }, origin);
    const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "matrix password") { accessToken } }', {
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

  /** A new object of type `loads` owned by `ownerId`: open to anyone or not (a PUBLIC or PRIVATE note). */
  const objectOf = async (loads: string, ownerId: string, open: boolean): Promise<string> => {
    if (loads === 'ApiKey') {
      // Made as its owner with every role the account holds (as the admin CLI does).
      return (await createApiKey(server.app, { id: ownerId, roles: ['ADMIN'], via: 'jwt' }, { name: 'matrix' }, origin)).apiKey.id;
    }
    // A note for its author, written by an ADMIN (createNote's authorId).
    const made = await server.gql(
      `mutation ($a: ID!) { createNote(title: "matrix", body: "b", visibility: ${open ? 'PUBLIC' : 'PRIVATE'}, authorId: $a) { id } }`,
      { variables: { a: ownerId }, headers: session['ADMIN']!.headers },
    );
    expect(made.body.errors).toBeUndefined();
    return made.body.data?.['createNote']?.id as string;
  };

  /** The rows a refused call must leave as they were. */
  const snapshot = async (): Promise<string> => {
    const db = server.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const tables = ['api_keys', 'memberships', 'organizations', 'user_roles', 'notes'];
    const rows = await Promise.all(tables.map((table) => db.selectFrom(table).selectAll().execute()));
    return JSON.stringify(rows.map((r) => r.map((row) => JSON.stringify(row)).sort()));
  };

  it.each<DataCase>(cases)('$coordinate as $caller: $shown', async (testCase) => {
    const { caller, path, situation, variant, owner, organizationArgument, allowed } = testCase;
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
    const target = path[0]!.field;
    const values: Record<string, string> = {
      ...Object.fromEntries(target.args.filter((a) => usual[a.name] !== undefined).map((a) => [a.name, usual[a.name]!])),
      ...variant.args({ self: acting?.id ?? '', other: session['bystander']!.id, scope }),
    };
    if (owner !== null) {
      const id = await objectOf(owner.loads!, situation.owns === true ? acting!.id : session['bystander']!.id, situation.open === true);
      values[owner.idArgument!] = JSON.stringify(id);
    }
    if (organizationArgument !== null)
      values[organizationArgument] = JSON.stringify(await organizationWith(acting?.email ?? null, situation.orgRole ?? null));
    const query = operationFor(schema, path, [], values, 0);
    const before = await snapshot();
    const response = await server.gql(query, { headers: acting === null ? {} : await acting.headers() });
    const authErrors = (response.body.errors ?? [])
      .filter((e: WireError) => e.extensions?.['code'] === 'UNAUTHENTICATED' || e.extensions?.['code'] === 'FORBIDDEN')
      .map((e: WireError) => ({ path: e.path, code: e.extensions?.['code'] }));
    // Refused at the root field (a field reached through it is refused with it).
    const root = path[0]!.field.name;
    const expected = allowed ? [] : [{ path: [root], code: caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN' }];
    expect({ query, authErrors }).toEqual({ query, authErrors: expected });
    if (allowed) expect({ query, errors: response.body.errors }).toEqual({ query, errors: undefined });
    else {
      if (path[0]!.type === schema.getMutationType()) expect(response.body.data ?? null).toBeNull();
      else expect(response.body.data).toEqual({ [root]: null });
      expect(await snapshot()).toBe(before);
    }
  });
});
