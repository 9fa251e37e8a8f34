/*
 * Introspection per caller over HTTP (CONTRACT.md: where introspection is on, it shows each caller
 * only the fields that caller can reach, and no suggestion names a hidden field; executing a denied
 * field still answers UNAUTHENTICATED / FORBIDDEN).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery, printSchema } from 'graphql';
import { knownScopes } from '../../src/enforcement/scopes';
import { visibleSchemaBuilds } from '../../src/enforcement/visible-schema';
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';

const run = promisify(execFile);

const ROOTS = '{ __schema { queryType { fields { name } } mutationType { fields { name } } } }';
type Roots = { __schema: { queryType: { fields: { name: string }[] }; mutationType: { fields: { name: string }[] } | null } };

async function callers(server: HttpHarness) {
  const origin = { actorId: null, address: 'introspection', source: 'request' } as const;
  const headers: Record<string, Record<string, string>> = { anonymous: {} };
  for (const role of ['USER', 'ADMIN'] as const) {
    const email = `${role.toLowerCase()}-${randomSecret().slice(0, 8)}@introspection.test`;
    const user = await createUser(server.app, { email, password: 'introspection pw', role }, origin);
    const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "introspection pw") { accessToken } }', {
      variables: { e: email },
    });
    headers[role] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    const maker = { id: user.id, roles: [role], via: 'jwt' } as const;
    headers[`${role} key`] = { 'x-api-key': (await createApiKey(server.app, maker, { name: 'k' }, origin)).secret };
    const bare = await createApiKey(server.app, maker, { name: 'no scopes', scopes: [] }, origin);
    headers[`${role} key, no scopes`] = { 'x-api-key': bare.secret };
    const writer = await createApiKey(server.app, maker, { name: 'writer', scopes: ['notes:write'] }, origin, knownScopes(server.schema));
    headers[`${role} key, notes:write`] = { 'x-api-key': writer.secret };
  }
  return headers;
}

describe('introspection shows each caller the schema it can reach', () => {
  let server: HttpHarness;
  let as: Record<string, Record<string, string>>;
  beforeAll(async () => {
    server = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    as = await callers(server);
  });
  afterAll(() => server.close());

  const roots = async (who: string) => {
    const response = await server.gql(ROOTS, { headers: as[who] });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const schema = (response.body.data as unknown as Roots).__schema;
    return {
      query: schema.queryType.fields.map((f) => f.name).sort(),
      mutation: (schema.mutationType?.fields ?? []).map((f) => f.name).sort(),
    };
  };

  it('anonymous callers see the public fields only', async () => {
    expect(await roots('anonymous')).toEqual({
      query: ['note', 'notes', 'publicMessage'],
      mutation: ['login', 'refreshToken', 'signUp'],
    });
  });

  it('a USER sees what a USER may use; an ADMIN everything; the three differ', async () => {
    const user = await roots('USER');
    const admin = await roots('ADMIN');
    // organization(id) is guarded only by @inOrganization: membership is data, so every signed-in caller sees it.
    expect(user.query).toEqual(['me', 'myApiKeys', 'myOrganizations', 'note', 'notes', 'organization', 'publicMessage']);
    expect(user.mutation).toEqual(expect.arrayContaining(['addMember', 'createOrganization', 'removeMember', 'setMemberRole']));
    expect(user.mutation).not.toEqual(expect.arrayContaining(['setUserRole']));
    expect(user.mutation).toEqual(expect.arrayContaining(['createApiKey', 'createNote', 'deleteNote', 'logout']));
    expect(admin.query).toEqual([
      'apiKeys',
      'auditEvents',
      'authMap',
      'me',
      'myApiKeys',
      'myOrganizations',
      'note',
      'notes',
      'organization',
      'publicMessage',
      'user',
      'users',
    ]);
    expect(admin.mutation).toEqual(expect.arrayContaining(['setUserRole', 'endUserSessions', 'createApiKey', 'disableUser', 'enableUser']));
    expect(user.mutation).not.toEqual(expect.arrayContaining(['disableUser']));
  });

  it('an API key does not see what keys may not call, nor what its scopes do not allow', async () => {
    const key = await roots('ADMIN key');
    expect(key.mutation).not.toEqual(expect.arrayContaining(['createApiKey']));
    expect(key.mutation.some((m) => ['createApiKey', 'revokeApiKey', 'setUserRole', 'logout', 'endUserSessions'].includes(m))).toBe(false);
    expect(key.mutation).toContain('createNote');
    const bare = await roots('USER key, no scopes');
    expect(bare.mutation).not.toContain('createNote');
    expect(bare.mutation).not.toContain('deleteNote');
    const writer = await roots('USER key, notes:write');
    expect(writer.mutation).toEqual(expect.arrayContaining(['createNote', 'deleteNote']));
    expect(writer.mutation).not.toContain('createApiKey');
    expect(writer.query).toEqual(bare.query);
  });

  it('hidden types are not found by name, and the whole introspection builds a client schema (Sandbox)', async () => {
    const byName = '{ __type(name: "AuditEvent") { name fields { name } } user: __type(name: "User") { fields { name } } }';
    const forUser = await server.gql(byName, { headers: as['USER'] });
    expect(forUser.body.data?.['__type']).toBeNull();
    expect(forUser.body.data?.['user']?.fields.map((f: { name: string }) => f.name)).not.toContain('apiKeys');
    expect((await server.gql(byName, { headers: as['ADMIN'] })).body.data?.['__type']?.name).toBe('AuditEvent');
    for (const who of Object.keys(as)) {
      // With every option Sandbox's own introspection query may ask for.
      const sandboxLike = getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      });
      const full = await server.gql(sandboxLike, { headers: as[who], operationName: 'IntrospectionQuery' });
      expect(full.status).toBe(200);
      expect(full.body.errors).toBeUndefined();
      const client = buildClientSchema(full.body.data as unknown as IntrospectionQuery);
      expect(client.getQueryType()?.getFields()['publicMessage']).toBeDefined();
      expect(client.getType('AuditEvent') === undefined).toBe(!who.startsWith('ADMIN'));
    }
  });

  it('no suggestion names a field hidden from the caller; visible ones are still suggested', async () => {
    const typo = '{ usres { totalCount } }';
    const forUser = await server.gql(typo, { headers: as['USER'] });
    expect(forUser.status).toBe(400);
    expect(forUser.text).not.toContain('"users"');
    const forAdmin = await server.gql(typo, { headers: as['ADMIN'] });
    expect(forAdmin.text).toMatch(/Did you mean [^?]*\\"users\\"/);
    const visible = await server.gql('{ publicMesage }', { headers: as['anonymous'] });
    expect(visible.text).toContain('Did you mean \\"publicMessage\\"?');
    const nested = await server.gql('{ me { apiKey { id } } }', { headers: as['USER'] });
    expect(nested.text).not.toContain('apiKeys');
    expect((await server.gql('{ me { apiKey { id } } }', { headers: as['ADMIN'] })).text).toContain('Did you mean \\"apiKeys\\"?');
  });

  it('a hidden field named in an invalid query is answered as absent: nothing under it, no suggestion naming another hidden field', async () => {
    // users is hidden from a USER; its arguments and User.apiKeys must not be suggested either, and
    // what is wrong under it is not checked (src/enforcement/hidden-validation.ts).
    const underHidden = '{ users(frist: 1) { edges { node { apiKey { id } } } } }';
    const forUser = await server.gql(underHidden, { headers: as['USER'] });
    expect(forUser.status).toBe(400);
    expect(forUser.body.errors?.map((e) => e.message)).toEqual(['Cannot query field "users" on type "Query".']);
    const forAdmin = await server.gql(underHidden, { headers: as['ADMIN'] });
    const adminMessages = forAdmin.body.errors?.map((e) => e.message).join('\n');
    expect(adminMessages).toContain('Did you mean "first"?');
    expect(adminMessages).toContain('Did you mean "apiKeys"?');
    // A hidden type by name, in a fragment: not suggested to a USER, suggested to an ADMIN.
    const fragment = '{ ...F } fragment F on AuditEvnt { id }';
    expect((await server.gql(fragment, { headers: as['USER'] })).text).not.toContain('AuditEvent');
    expect((await server.gql(fragment, { headers: as['ADMIN'] })).text).toContain('Did you mean \\"AuditEvent\\"?');
  });

  it('an introspection that also reads a hidden field gets both: the visible schema, and null with FORBIDDEN at the field', async () => {
    const response = await server.gql('{ __schema { queryType { fields { name } } } users { totalCount } publicMessage }', {
      headers: as['USER'],
    });
    expect(response.status).toBe(200);
    const data = response.body.data as unknown as Roots & { users: unknown; publicMessage: string };
    expect(data.__schema.queryType.fields.map((f) => f.name)).not.toContain('users');
    expect(data.users).toBeNull();
    expect(typeof data.publicMessage).toBe('string');
    expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['users'], 'FORBIDDEN']]);
    const anonymous = await server.gql('{ __type(name: "Query") { fields { name } } me { id } }');
    expect(anonymous.body.data?.['__type'].fields.map((f: { name: string }) => f.name)).not.toContain('me');
    expect(anonymous.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['me'], 'UNAUTHENTICATED']]);
  });

  it('introspection through fragments, aliases and variables answers from the visible schema too', async () => {
    const query = `query ($t: String!, $yes: Boolean!) { ...Roots q: __type(name: $t) @include(if: $yes) { fields { name } } }
      fragment Roots on Query { ... on Query { s: __schema { queryType { fields { name } } } } }`;
    const forUser = await server.gql(query, { headers: as['USER'], variables: { t: 'User', yes: true } });
    expect(forUser.status).toBe(200);
    expect(forUser.body.data?.['s'].queryType.fields.map((f: { name: string }) => f.name)).not.toContain('users');
    expect(forUser.body.data?.['q'].fields.map((f: { name: string }) => f.name)).not.toContain('apiKeys');
    const forAdmin = await server.gql(query, { headers: as['ADMIN'], variables: { t: 'User', yes: true } });
    expect(forAdmin.body.data?.['q'].fields.map((f: { name: string }) => f.name)).toContain('apiKeys');
    // A root fragment that also reads a hidden field: both answers, as without the fragment.
    const mixed = await server.gql('{ ...F } fragment F on Query { users { totalCount } __schema { queryType { fields { name } } } }', {
      headers: as['USER'],
    });
    expect(mixed.body.data?.['__schema'].queryType.fields.map((f: { name: string }) => f.name)).not.toContain('users');
    expect(mixed.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['users'], 'FORBIDDEN']]);
    // Skipped, it is not answered at all.
    const skipped = await server.gql('query ($no: Boolean!) { publicMessage __schema @include(if: $no) { queryType { name } } }', {
      headers: as['USER'],
      variables: { no: false },
    });
    expect(Object.keys(skipped.body.data ?? {})).toEqual(['publicMessage']);
  });

  it('a fragment bomb around __schema is answered quickly, from the visible schema', async () => {
    const n = 20;
    const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const started = performance.now();
    const response = await server.gql(`{ ...F0 }\n${fragments}\nfragment F${n} on Query { __schema { queryType { fields { name } } } }`, {
      headers: as['USER'],
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(200);
    expect(response.body.data?.['__schema'].queryType.fields.map((f: { name: string }) => f.name)).toContain('me');
    expect(response.text).not.toContain('"users"');
  });

  it('executing a hidden field still answers as before: null and FORBIDDEN / UNAUTHENTICATED at its path', async () => {
    const forUser = await server.gql('{ publicMessage users { totalCount } }', { headers: as['USER'] });
    expect(forUser.body.data?.['users']).toBeNull();
    expect(forUser.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['users'], 'FORBIDDEN']]);
    const anonymous = await server.gql('{ me { id } }');
    expect(anonymous.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['me'], 'UNAUTHENTICATED']]);
  });
});

describe('npm run auth:map -- --as prints what introspection answers', () => {
  it('the same SDL for anonymous, USER, ADMIN and a notes:write key as the server shows them', async () => {
    const server = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    try {
      const as = await callers(server);
      const cases: [string, string[]][] = [
        ['anonymous', ['--as', 'anonymous']],
        ['USER', ['--as', 'USER']],
        ['ADMIN', ['--as', 'ADMIN']],
        ['USER key, notes:write', ['--as', 'USER', '--via', 'api-key', '--scopes', 'notes:write']],
      ];
      for (const [who, args] of cases) {
        const response = await server.gql(getIntrospectionQuery(), { headers: as[who] });
        const served = printSchema(buildClientSchema(response.body.data as unknown as IntrospectionQuery));
        const { stdout } = await run(join('node_modules', '.bin', 'tsx'), [
          join('src', 'cli', 'auth-map.ts'),
          '--schema',
          join('examples', 'notes', 'schema.graphql'),
          ...args,
        ]);
        expect(stdout.trim()).toBe(served.trim());
      }
    } finally {
      await server.close();
    }
  });
});

describe('visible schemas are built once per kind of caller', () => {
  it('counts one build per (roles, credential kind, scopes), however many callers and requests', async () => {
    const server = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    try {
      const as = await callers(server);
      const second = await callers(server); // other users and keys with the same roles and scopes
      expect(visibleSchemaBuilds(server.schema)).toBe(0);
      await server.gql('{ publicMessage }', { headers: as['USER'] });
      expect(visibleSchemaBuilds(server.schema)).toBe(0);
      for (const who of ['anonymous', 'USER', 'ADMIN']) {
        for (const headers of [as[who], as[who], second[who]]) expect((await server.gql(ROOTS, { headers })).status).toBe(200);
      }
      expect(visibleSchemaBuilds(server.schema)).toBe(3);
      for (const headers of [as['USER key, notes:write'], second['USER key, notes:write'], as['USER key, no scopes']]) {
        expect((await server.gql(ROOTS, { headers })).status).toBe(200);
      }
      expect(visibleSchemaBuilds(server.schema)).toBe(5);
    } finally {
      await server.close();
    }
  });
});

describe('introspection below the root', () => {
  it('is refused with 400 where a field returns the Query type; at the root beside such a field it is answered', async () => {
    const server = await startHttpServer({
      env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' },
      app: { typeDefs: 'extend type Query { again: Query @public }', resolvers: { Query: { again: () => ({}) } } },
    });
    try {
      const nested = await server.gql('{ again { __schema { queryType { fields { name } } } } }');
      expect(nested.status).toBe(400);
      expect(nested.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_REQUEST']);
      expect(nested.text).not.toContain('"users"');
      const atRoot = await server.gql('{ again { publicMessage } __schema { queryType { fields { name } } } }');
      expect(atRoot.status).toBe(200);
      expect(atRoot.body.data?.['again']).toEqual({ publicMessage: expect.any(String) });
    } finally {
      await server.close();
    }
  });

  // The plain form above is refused before anything runs, wherever introspection is on (off, in
  // production by default, Apollo's rule refuses every __schema / __type field, nested or not).
  const throughFragments = {
    inline: '{ again { ... on Query { __schema { types { name } } } } }',
    named: '{ again { ...Types } } fragment Types on Query { __schema { types { name } } }',
    'named, inside an inline one':
      '{ again { ... on Query { ...Types } } } fragment Types on Query { __type(name: "User") { fields { name } } }',
  };

  it.each(Object.entries(throughFragments))('is refused with 400 through a fragment (%s), as the plain form', async (_how, query) => {
    const server = await startHttpServer({
      env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' },
      app: { typeDefs: 'extend type Query { again: Query @public }', resolvers: { Query: { again: () => ({}) } } },
    });
    try {
      const nested = await server.gql(query);
      expect(nested.status).toBe(400);
      expect(nested.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_REQUEST']);
      expect(nested.body.data).toBeUndefined();
      expect(nested.text).not.toContain('"users"');
      expect(nested.text).not.toContain('"apiKeys"');
    } finally {
      await server.close();
    }
  });
});

describe('introspection in production', () => {
  it('is refused, when off, with a message naming INTROSPECTION=true (not an option of Apollo the operator cannot set)', async () => {
    const off = await startHttpServer({ env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: randomSecret() } });
    try {
      for (const query of [ROOTS, '{ ... on Query { __type(name: "User") { name } } }']) {
        const refused = await off.gql(query);
        expect(refused.status).toBe(400);
        expect(refused.body.errors?.map((e) => e.message)).toEqual([
          'Introspection (__schema, __type) is off on this server. Whoever runs it can turn it on with INTROSPECTION=true.',
        ]);
        expect(refused.body.errors?.[0]?.extensions).toMatchObject({
          code: 'GRAPHQL_VALIDATION_FAILED',
          validationErrorCode: 'INTROSPECTION_DISABLED',
        });
        expect(refused.text).not.toContain('ApolloServer');
      }
    } finally {
      await off.close();
    }
  });

  it('is off by default, and per caller when INTROSPECTION=true', async () => {
    const off = await startHttpServer({ env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: randomSecret() } });
    try {
      expect((await off.gql(ROOTS)).status).toBe(400);
    } finally {
      await off.close();
    }
    const on = await startHttpServer({
      env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: randomSecret(), INTROSPECTION: 'true' },
    });
    try {
      const as = await callers(on);
      const anonymous = await on.gql(ROOTS);
      expect(anonymous.status).toBe(200);
      const names = (anonymous.body.data as unknown as Roots).__schema.queryType.fields.map((f) => f.name);
      expect(names).not.toContain('users');
      const admin = await on.gql(ROOTS, { headers: as['ADMIN'] });
      expect((admin.body.data as unknown as Roots).__schema.queryType.fields.map((f) => f.name)).toContain('users');
    } finally {
      await on.close();
    }
  });
});
