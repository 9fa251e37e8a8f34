// What a gatehouse subgraph answers to `_entities` representations that name no entity, over its own
// HTTP server: the caller's mistake (BAD_USER_INPUT naming the representation), never
// INTERNAL_SERVER_ERROR logged as a failure of ours; and a `__resolveReference` that throws nulls
// only its own entity, masked with the request id, the others still answered.
import { randomBytes } from 'node:crypto';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse';
import { type GqlResponse, NO_STACK_OR_HTML, readResponse } from '../helpers/http';

const typeDefs = /* GraphQL */ `
  type Gadget @key(fields: "id") {
    id: ID!
    name: String
  }
  interface Media @key(fields: "id") {
    id: ID!
    title: String
  }
  type Book implements Media @key(fields: "id") {
    id: ID!
    title: String
  }
  "Nothing of it for anyone but an ADMIN."
  type Vault implements Hoard @key(fields: "id") @hasRole(role: ADMIN) {
    id: ID!
    gold: Int
  }
  "An entity interface whose only type is closed to all but an ADMIN."
  interface Hoard @key(fields: "id") {
    id: ID!
  }
  interface Named {
    id: ID!
  }
  type Plain implements Named {
    id: ID!
  }
  extend type Query {
    gadget: Gadget @public
    plain: Plain @public
    book: Book @public
    vault: Vault @hasRole(role: ADMIN)
  }
`;

let vaultLoads = 0;
let hoardLoads = 0;

const resolvers = {
  Query: { gadget: () => null, plain: () => null, book: () => null, vault: () => null },
  Vault: {
    __resolveReference: ({ id }: { id: string }) => {
      vaultLoads++;
      return id === 'v1' ? { id, gold: 5 } : null;
    },
  },
  Named: { __resolveType: () => 'Plain' },
  Hoard: {
    __resolveReference: ({ id }: { id: string }) => {
      hoardLoads++;
      return id === 'v1' ? { id, gold: 5 } : null;
    },
    __resolveType: () => 'Vault',
  },
  Gadget: {
    __resolveReference: ({ id }: { id: string }) => {
      if (id === 'throws') throw new Error('gadget store detail');
      return { id, name: `gadget ${id}` };
    },
  },
  // An entity interface's reference resolver is the one federation calls for `__typename: "Media"`.
  Media: {
    __resolveReference: ({ id }: { id: string }) => ({ id, title: `media ${id}` }),
    __resolveType: () => 'Book',
  },
  Book: { __resolveReference: ({ id }: { id: string }) => ({ id, title: `book ${id}` }) },
};

describe('_entities representations on a gatehouse subgraph over HTTP', () => {
  let gatehouse: Gatehouse;
  let url: string;

  beforeAll(async () => {
    gatehouse = await createGatehouse({
      typeDefs,
      resolvers,
      subgraph: true,
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: 'file::memory:',
        JWT_SECRET: randomBytes(32).toString('base64url'),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        MAX_QUERY_COST: '60',
        PASSWORD_HASH_COST: '10',
        ADMIN_EMAIL: 'admin@subgraph.test',
        ADMIN_PASSWORD: 'admin password here',
      },
    });
    url = `${(await gatehouse.listen()).replace(/\/$/, '')}/graphql`;
  });
  afterAll(() => gatehouse?.close());

  async function entities(representations: unknown[]): Promise<GqlResponse> {
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Gadget { name } ... on Media { title } } }';
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { r: representations } }),
    });
    return readResponse(response);
  }

  it.each([
    ['an interface that is no entity', { __typename: 'Named', id: '1' }],
    ['an object type without @key', { __typename: 'Plain', id: '1' }],
    ['a root type', { __typename: 'Query' }],
    ['an introspection type', { __typename: '__Schema' }],
    ['a type that does not exist', { __typename: 'Nope', id: '1' }],
    ['no __typename', { id: '1' }],
    ['a string', 'Gadget'],
    ['a list', [{ __typename: 'Gadget', id: '1' }]],
  ])('answers a representation of %s with BAD_USER_INPUT naming its position', async (_what, foreign) => {
    const response = await entities([{ __typename: 'Gadget', id: 'g1' }, foreign]);
    expect(response.status).toBe(200);
    expect(response.body.data).toBeNull(); // _entities is non-null: the null goes up to data
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toMatch(/^Representation 1 of _entities is not an entity's/);
  });

  it('answers representations of entity types, object and interface', async () => {
    const response = await entities([
      { __typename: 'Gadget', id: 'g1' },
      { __typename: 'Media', id: 'm1' },
      { __typename: 'Book', id: 'b1' },
    ]);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.['_entities']).toEqual([
      { __typename: 'Gadget', name: 'gadget g1' },
      { __typename: 'Book', title: 'media m1' },
      { __typename: 'Book', title: 'book b1' },
    ]);
  });

  it('nulls only the entity whose __resolveReference throws, masked with the request id', async () => {
    const response = await entities([
      { __typename: 'Gadget', id: 'g1' },
      { __typename: 'Gadget', id: 'throws' },
    ]);
    expect(response.body.data?.['_entities']).toEqual([{ __typename: 'Gadget', name: 'gadget g1' }, null]);
    expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['_entities', 1], 'INTERNAL_SERVER_ERROR']]);
    expect(response.body.errors?.[0]?.extensions?.['requestId']).toEqual(expect.any(String));
    expect(response.text).not.toContain('gadget store detail');
    expect(response.text).not.toMatch(NO_STACK_OR_HTML);
  });

  it('answers at most MAX_QUERY_COST representations in one request, counted over every _entities field', async () => {
    const gadgets = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Gadget', id: `g${i}` }));
    const full = await entities(gadgets(60));
    expect(full.body.errors).toBeUndefined();
    expect(full.body.data?.['_entities']).toHaveLength(60);
    const over = await entities(gadgets(61));
    expect(over.body.data).toBeNull();
    expect(over.body.errors?.map((e) => [e.extensions?.['code'], e.message])).toEqual([
      ['BAD_USER_INPUT', 'This request asks _entities for 61 representations; one request may ask for at most 60 (MAX_QUERY_COST).'],
    ]);
    const query =
      'query ($r: [_Any!]!) { a: _entities(representations: $r) { __typename } b: _entities(representations: $r) { __typename } }';
    const aliased = await readResponse(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables: { r: gadgets(40) } }),
      }),
    );
    expect(aliased.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['b'], 'BAD_USER_INPUT']]);
  });

  it('denies every entity of a type closed to the caller alike, existing or not, and loads none of them', async () => {
    const ask = async (headers: Record<string, string>) =>
      readResponse(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({
            query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Vault { gold } ... on Gadget { name } } }',
            variables: {
              r: [
                { __typename: 'Vault', id: 'v1' },
                { __typename: 'Gadget', id: 'g1' },
                { __typename: 'Vault', id: 'v2' },
              ],
            },
          }),
        }),
      );
    const signUp = await readResponse(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { signUp(email: "vault@subgraph.test", password: "vault password") { accessToken } }' }),
      }),
    );
    const user = { authorization: `Bearer ${signUp.body.data?.['signUp']?.accessToken}` };
    vaultLoads = 0;
    for (const [headers, code] of [
      [{}, 'UNAUTHENTICATED'],
      [user, 'FORBIDDEN'],
    ] as const) {
      const response = await ask(headers);
      expect(response.body.data?.['_entities']).toEqual([null, { __typename: 'Gadget', name: 'gadget g1' }, null]);
      expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code'], e.message])).toEqual([
        [['_entities', 0], code, expect.stringMatching(/Vault\.id\.$/)],
        [['_entities', 2], code, expect.stringMatching(/Vault\.id\.$/)],
      ]);
    }
    expect(vaultLoads).toBe(0);
    // An ADMIN, to whom the type is open, gets what exists and null for what does not.
    const login = await readResponse(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation { login(email: "admin@subgraph.test", password: "admin password here") { accessToken } }',
        }),
      }),
    );
    const admin = await ask({ authorization: `Bearer ${login.body.data?.['login']?.accessToken}` });
    expect(admin.body.errors).toBeUndefined();
    expect(admin.body.data?.['_entities']).toEqual([{ __typename: 'Vault', gold: 5 }, { __typename: 'Gadget', name: 'gadget g1' }, null]);
    expect(vaultLoads).toBe(2);
  });

  it('denies the entities of an entity interface whose every type is closed to the caller alike, existing or not', async () => {
    hoardLoads = 0;
    const response = await entities([
      { __typename: 'Hoard', id: 'v1' },
      { __typename: 'Hoard', id: 'v2' },
    ]);
    expect(response.body.data?.['_entities']).toEqual([null, null]);
    expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([
      [['_entities', 0], 'UNAUTHENTICATED'],
      [['_entities', 1], 'UNAUTHENTICATED'],
    ]);
    expect(hoardLoads).toBe(0);
  });
});
