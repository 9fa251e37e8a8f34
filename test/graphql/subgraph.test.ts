/*
 * gatehouse as an Apollo Federation 2 subgraph (issue 27 items 2 and 3), over gatehouse's own HTTP
 * server on SQLite and PostgreSQL: `_entities` obeys each entity type's and field's rules with the
 * caller of the request (anonymous → UNAUTHENTICATED, another user's email → FORBIDDEN, a forged
 * representation is not believed), federation's @authenticated / @requiresScopes / @policy are
 * enforced as gatehouse's, `_service { sdl }` composes with no credential, strict mode, the auth map
 * and per-caller introspection treat federation's root fields right, and mistakes stop the build.
 */
import { createGatehouse, type Gatehouse } from '../../src/gatehouse';
import { buildSchema, buildSourceSchema } from '../../src/graphql/schema';
import { buildAuthMap } from '../../src/tools/auth-map';
import { createTestKit } from '../../src/testkit';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase, inProcessEnv } from '../helpers/databases';
import { type GqlResponse, readResponse } from '../helpers/http';
import { PASSWORD, uniqueEmail } from '../helpers/accounts';
import { documents, documentTypeDefs, ledgers, policies, resolvers, typeDefs } from '../helpers/subgraph-app';

const codesOf = (response: GqlResponse) => (response.body.errors ?? []).map((e) => e.extensions?.['code']);

const ENTITIES = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on User { id email }
      ... on Document { id body reviewNote summary stats }
    }
  }
`;

describe.each(databasesUnderTest())('a gatehouse subgraph over HTTP on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let gatehouse: Gatehouse;
  let url: string;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };

  async function gql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GqlResponse> {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
    });
    return readResponse(response);
  }
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  async function signUp(): Promise<{ id: string; token: string }> {
    const response = await gql('mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken user { id } } }', {
      e: uniqueEmail('sub'),
      p: PASSWORD,
    });
    expect(response.body.errors).toBeUndefined();
    const payload = response.body.data?.['signUp'];
    return { id: payload.user.id, token: payload.accessToken };
  }

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    gatehouse = await createGatehouse({
      typeDefs,
      resolvers,
      policies,
      subgraph: true,
      env: inProcessEnv(database),
    });
    url = (await gatehouse.listen()).replace(/\/$/, '');
    alice = await signUp();
    bob = await signUp();
    documents.set(`${dialect}-d1`, { id: `${dialect}-d1`, title: 'plan', body: 'the plan', ownerId: alice.id, reviewerId: bob.id });
  }, 60_000);
  afterAll(async () => {
    await gatehouse?.close();
    await database?.drop();
  });

  it('serves _service { sdl } to a caller with no credential (what a router composes from), User as an entity', async () => {
    const response = await gql('{ _service { sdl } }');
    expect(response.body.errors).toBeUndefined();
    const sdl = String(response.body.data?.['_service']?.sdl);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.9"');
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Document\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('summary: String @authenticated');
    // What @fromViewer fills is no argument for the router to offer: gatehouse takes it from the credential.
    expect(sdl).toMatch(/myDocuments: \[Document!\]! @auth/);
    expect(sdl).not.toContain('ownerId: ID! @fromViewer');
  });

  it('answers an anonymous _entities for a protected User field with UNAUTHENTICATED', async () => {
    const response = await gql(ENTITIES.replace('reviewNote summary stats', ''), {
      representations: [{ __typename: 'User', id: alice.id }],
    });
    expect(response.status).toBe(200);
    expect(response.body.data?.['_entities']).toEqual([{ id: alice.id, email: null }]);
    expect(codesOf(response)).toEqual(['UNAUTHENTICATED']);
  });

  it("answers a USER reading another user's email through an entity with FORBIDDEN, and their own with it", async () => {
    const representations = [
      { __typename: 'User', id: alice.id },
      { __typename: 'User', id: bob.id },
    ];
    const response = await gql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }',
      { r: representations },
      as(bob.token),
    );
    const [other, own] = (response.body.data?.['_entities'] ?? []) as { id: string; email: string | null }[];
    expect(other).toEqual({ id: alice.id, email: null });
    expect(own?.email).toMatch(/@/);
    expect(codesOf(response)).toEqual(['FORBIDDEN']);
    expect(response.body.errors?.[0]?.path).toEqual(['_entities', 0, 'email']);
  });

  it('answers null for a reference to no user, or a malformed id, with no error', async () => {
    const response = await gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', {
      r: [
        { __typename: 'User', id: '00000000-0000-4000-8000-000000000000' },
        { __typename: 'User', id: 'not an id' },
      ],
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.['_entities']).toEqual([null, null]);
  });

  it("decides @owner and @policy on the loaded entity, not on the representation's forged fields", async () => {
    const forged = { __typename: 'Document', id: `${dialect}-d1`, ownerId: bob.id, reviewerId: alice.id };
    const asBob = await gql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Document { body reviewNote } } }',
      { r: [forged] },
      as(bob.token),
    );
    expect(asBob.body.data?.['_entities']).toEqual([{ body: null, reviewNote: 'reviewed plan' }]);
    expect(codesOf(asBob)).toEqual(['FORBIDDEN']);
    expect(asBob.body.errors?.[0]?.path).toEqual(['_entities', 0, 'body']);
    const asAlice = await gql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Document { body reviewNote } } }',
      { r: [forged] },
      as(alice.token),
    );
    expect(asAlice.body.data?.['_entities']).toEqual([{ body: 'the plan', reviewNote: null }]);
    expect(codesOf(asAlice)).toEqual(['FORBIDDEN']);
  });

  it("enforces federation's @authenticated and @requiresScopes on an entity as gatehouse's @auth and @requiresScopes", async () => {
    const r = [{ __typename: 'Document', id: `${dialect}-d1` }];
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Document { summary stats } } }';
    const anonymous = await gql(query, { r });
    expect(anonymous.body.data?.['_entities']).toEqual([{ summary: null, stats: null }]);
    expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    // A gatehouse session holds every scope.
    const session = await gql(query, { r }, as(bob.token));
    expect(session.body.errors).toBeUndefined();
    expect(session.body.data?.['_entities']).toEqual([{ summary: 'about plan', stats: '3 reads' }]);
    // An API key holds only the scopes it was made with: all of one inner list, and one is enough.
    const key = async (scopes: string[]) => {
      const made = await gql('mutation ($s: [String!]) { createApiKey(name: "k", scopes: $s) { secret } }', { s: scopes }, as(bob.token));
      expect(made.body.errors).toBeUndefined();
      return { 'x-api-key': String(made.body.data?.['createApiKey']?.secret) };
    };
    const without = await gql(query, { r }, await key(['docs:stats']));
    expect(without.body.data?.['_entities']).toEqual([{ summary: 'about plan', stats: null }]);
    expect(codesOf(without)).toEqual(['FORBIDDEN']);
    const admin = await gql(query, { r }, await key(['docs:admin']));
    expect(admin.body.errors).toBeUndefined();
    expect(admin.body.data?.['_entities']).toEqual([{ summary: 'about plan', stats: '3 reads' }]);
  });

  it("keeps an organization's entity from a non-member through _entities: aliases and fragments alike, a forged organization not believed", async () => {
    const created = await gql('mutation { createOrganization(name: "Ledgers") { id } }', undefined, as(alice.token));
    expect(created.body.errors).toBeUndefined();
    const organizationId = String(created.body.data?.['createOrganization']?.id);
    ledgers.set(`${dialect}-l1`, { id: `${dialect}-l1`, organizationId, total: 42 });
    // bob names alice's organization in the representation: the stored ledger decides, not what he sent.
    const representations = [{ __typename: 'Ledger', id: `${dialect}-l1`, organizationId }];
    const document = `query ($r: [_Any!]!) {
      plain: _entities(representations: $r) { ... on Ledger { id total } }
      spread: _entities(representations: $r) { ...L }
    }
    fragment L on Ledger { sum: total }`;
    const member = await gql(document, { r: representations }, as(alice.token));
    expect(member.body.errors).toBeUndefined();
    expect(member.body.data).toEqual({ plain: [{ id: `${dialect}-l1`, total: 42 }], spread: [{ sum: 42 }] });

    const outsider = await gql(document, { r: representations }, as(bob.token));
    expect(outsider.body.data).toEqual({ plain: [null], spread: [null] });
    expect(codesOf(outsider)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    const anonymous = await gql(document, { r: representations });
    expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('shows each caller its own schema: federation root fields to all, @authenticated fields to the signed-in', async () => {
    const query = '{ __schema { queryType { fields { name } } } __type(name: "Document") { fields { name } } }';
    const names = (response: GqlResponse, at: 'schema' | 'type') =>
      ((at === 'schema' ? response.body.data?.['__schema'].queryType.fields : response.body.data?.['__type'].fields) ?? []).map(
        (f: { name: string }) => f.name,
      );
    const anonymous = await gql(query);
    expect(names(anonymous, 'schema')).toEqual(expect.arrayContaining(['_entities', '_service', 'document']));
    expect(names(anonymous, 'type')).not.toContain('summary');
    const signedIn = await gql(query, undefined, as(bob.token));
    expect(names(signedIn, 'type')).toEqual(expect.arrayContaining(['summary', 'stats']));
  });
});

describe('a gatehouse subgraph in the test kit, refusing denied queries whole', () => {
  it('refuses an _entities query before it runs when one of its entity fields is denied, and runs it for the owner', async () => {
    const kit = await createTestKit({ typeDefs, resolvers, policies, subgraph: true, env: { REFUSE_DENIED_QUERIES: 'true' } });
    try {
      const alice = await kit.createUser();
      const bob = await kit.createUser();
      const aliceId = (alice.user as { id: string }).id;
      documents.set('kit-d1', { id: 'kit-d1', title: 'kit', body: 'kit body', ownerId: aliceId, reviewerId: aliceId });
      const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id disabledAt } } }';
      const r = [{ __typename: 'User', id: aliceId }];
      const refused = await kit.execute(query, { variables: { r }, as: bob });
      expect(refused.data ?? null).toBeNull();
      expect(refused.codes).toEqual(['FORBIDDEN']);
      const anonymous = await kit.execute(query, { variables: { r }, as: null });
      expect(anonymous.codes).toEqual(['UNAUTHENTICATED']);
      const summary = await kit.execute('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Document { summary } } }', {
        variables: { r: [{ __typename: 'Document', id: 'kit-d1' }] },
        as: alice,
      });
      expect(summary.codes).toEqual([]);
      expect(summary.data).toEqual({ _entities: [{ summary: 'about kit' }] });
    } finally {
      await kit.close();
    }
  });
});

describe('building a subgraph schema', () => {
  it('counts neither _service nor _entities as open in strict mode, but still names an open field of the application', () => {
    expect(() => buildSchema({ typeDefs, resolvers, policies, subgraph: true })).not.toThrow();
    expect(() => buildSchema({ typeDefs: `${typeDefs} extend type Query { loose: Int }`, resolvers, policies, subgraph: true })).toThrow(
      /1 root field\(s\).*: Query\.loose\./,
    );
  });

  it("shows federation's directive names in the auth map as written, and the rules they are", () => {
    const map = buildAuthMap(buildSourceSchema({ typeDefs, subgraph: true }));
    expect(map.openRootFields).toEqual([]);
    const entry = (coordinate: string) => map.entries.find((e) => e.coordinate === coordinate);
    expect(entry('Document.summary')).toMatchObject({ requires: 'signed in', from: '@authenticated on field' });
    expect(entry('Document.stats')).toMatchObject({
      requires: 'signed in + scopes docs:stats and docs:read or docs:admin',
      scopes: [['docs:stats', 'docs:read'], ['docs:admin']],
    });
    expect(entry('Document.reviewNote')).toMatchObject({ requires: 'policy document.reviewer', policies: [[['document.reviewer']]] });
    expect(entry('Query._entities')).toMatchObject({ requires: 'public', from: "federation: each entity's fields keep their own rules" });
    expect(entry('Query._service')).toMatchObject({ requires: 'public', from: 'federation: the SDL a router composes from' });
  });

  it('refuses an entity decided on its object without __resolveReference: its object would be what the caller sent', () => {
    const { Document: _document, ...others } = resolvers;
    expect(() => buildSchema({ typeDefs, resolvers: { ...others, Document: { summary: () => 'x' } }, policies, subgraph: true })).toThrow(
      /Document\.body is decided on its object \(ownership\), and Document is an entity without __resolveReference/,
    );
  });

  it("keeps gatehouse's own @requiresScopes (on arguments too) with authDirectives: 'gatehouse', where @authenticated is unknown", () => {
    const own = `${documentTypeDefs('gatehouse')} extend type Query { search(text: String @requiresScopes(scopes: [["docs:search"]])): Int @public }`;
    const map = buildAuthMap(buildSourceSchema({ typeDefs: own, subgraph: { authDirectives: 'gatehouse' } }));
    expect(map.entries.find((e) => e.coordinate === 'Query.search(text)')).toMatchObject({ scopes: [['docs:search']] });
    expect(() => buildSourceSchema({ typeDefs, subgraph: { authDirectives: 'gatehouse' } })).toThrow(/@authenticated/);
  });

  it("refuses the application's own federation @link: gatehouse writes the one there is", () => {
    const own = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"]) ${typeDefs}`;
    expect(() => buildSourceSchema({ typeDefs: own, resolvers, subgraph: true })).toThrow(/gatehouse links Apollo Federation itself/);
  });

  it('leaves a schema that is not a subgraph as it was: no _service, and @authenticated is no rule of its own', () => {
    const schema = buildSourceSchema({});
    expect(schema.getQueryType()?.getFields()['_service']).toBeUndefined();
    expect(schema.getType('User')?.astNode?.directives?.map((d) => d.name.value)).toEqual([]);
  });
});
