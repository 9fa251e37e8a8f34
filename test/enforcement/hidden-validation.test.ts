/*
 * Validation errors do not confirm what the caller cannot see (src/enforcement/hidden-validation.ts):
 * over the real HTTP server and WebSocket, a document naming a type, field or argument hidden from
 * the caller gets the answer a document naming one that does not exist gets (same status, codes and
 * messages, the names aside), for each caller kind, in development and production; what the caller
 * sees keeps graphql's own message.
 */
import { knownScopes } from '../../src/enforcement/scopes';
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import { type GqlResponse, type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { eventually, openSocket, type Socket } from '../helpers/ws';

/** A name that exists nowhere in the schema, as long as `name` (so that error locations match). */
const absentLike = (name: string) => (name[0] === name[0]?.toUpperCase() ? 'Z' : 'z') + 'q'.repeat(name.length - 1);

/** A type and a mutation field (with required arguments) hidden from each caller kind (visible-schema.ts). */
const HIDDEN: Record<string, { readonly type: string; readonly field: string }> = {
  anonymous: { type: 'AuditEvent', field: 'setUserRole' },
  USER: { type: 'UserConnection', field: 'setUserRole' },
  'USER key, notes:write': { type: 'AuditEventConnection', field: 'createApiKey' },
  'ADMIN key, no scopes': { type: 'CreatedApiKey', field: 'setUserRole' },
};

/** Documents naming a type (%T) or a field (%F), each failing one or more of graphql 16's rules differently when the name exists. */
const DOCUMENTS: Record<string, string> = {
  'inline fragment at the root (PossibleFragmentSpreads)': '{ ... on %T { __typename } }',
  'named fragment (PossibleFragmentSpreads)': '{ ...Frag } fragment Frag on %T { __typename }',
  'a field of the type (FieldsOnCorrectType)': '{ ...Frag } fragment Frag on %T { nope }',
  'a variable of the type (VariablesAreInputTypes, NoUnusedVariables)': 'query ($v: %T) { publicMessage }',
  'a variable of the type, as a list (VariablesAreInputTypes)': 'query ($v: [%T!]) { publicMessage }',
  'the field without selection or arguments (ScalarLeafs, ProvidedRequiredArguments)': 'mutation { %F }',
  'an unknown argument of the field (KnownArgumentNames)': 'mutation { %F(nope: 1) { __typename } }',
  'a wrong argument value of the field (ValuesOfCorrectType)': 'mutation { %F(userId: {}, role: 7, name: []) { __typename } }',
  'the field twice with different arguments (OverlappingFieldsCanBeMerged)':
    'mutation { a: %F(userId: "1") { __typename } a: %F(userId: "2") { __typename } }',
};

const fill = (document: string, type: string, field: string) => document.replaceAll('%T', type).replaceAll('%F', field);

/** Status, codes and messages; names of the hidden things replaced by the absent ones; suggestions dropped when `suggestions` is false. */
function shape(response: GqlResponse, names: Record<string, string> = {}, suggestions = true) {
  const rename = (message: string) =>
    Object.entries(names).reduce((text, [from, to]) => text.replace(new RegExp(`\\b${from}\\b`, 'g'), to), message);
  return {
    status: response.status,
    data: response.body.data,
    errors: (response.body.errors ?? []).map((error) => ({
      message: suggestions ? rename(error.message) : rename(error.message).replace(/ Did you mean [^?]*\?$/, ''),
      code: error.extensions?.['code'],
      locations: error['locations'],
    })),
  };
}

async function callers(server: HttpHarness): Promise<Record<string, Record<string, string>>> {
  const origin = { actorId: null, address: 'hidden-validation', source: 'request' } as const;
  const headers: Record<string, Record<string, string>> = { anonymous: {} };
  for (const role of ['USER', 'ADMIN'] as const) {
    const email = `${role.toLowerCase()}-${randomSecret().slice(0, 8)}@hidden-validation.test`;
    const user = await createUser(server.app, { email, password: 'hidden validation pw', role }, origin);
    const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "hidden validation pw") { accessToken } }', {
      variables: { e: email },
    });
    headers[role] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    const maker = { id: user.id, roles: [role], via: 'jwt' } as const;
    const scopes = role === 'USER' ? ['notes:write'] : [];
    const key = await createApiKey(server.app, maker, { name: 'k', scopes }, origin, knownScopes(server.schema));
    headers[role === 'USER' ? 'USER key, notes:write' : 'ADMIN key, no scopes'] = { 'x-api-key': key.secret };
  }
  return headers;
}

describe.each(['development', 'production'])('validation errors in %s do not confirm hidden types and fields', (nodeEnv) => {
  let server: HttpHarness;
  let as: Record<string, Record<string, string>>;
  beforeAll(async () => {
    server = await startHttpServer({ env: { NODE_ENV: nodeEnv, LOG_LEVEL: 'silent' } });
    as = await callers(server);
  });
  afterAll(() => server.close());

  describe.each(Object.keys(HIDDEN))('%s', (who) => {
    const hidden = HIDDEN[who] as { type: string; field: string };
    it.each(Object.entries(DOCUMENTS))('%s: answered as for a type or field that does not exist', async (_kind, document) => {
      const headers = as[who];
      const shown = await server.gql(fill(document, hidden.type, hidden.field), { headers });
      const names = { [hidden.type]: absentLike(hidden.type), [hidden.field]: absentLike(hidden.field) };
      const absent = await server.gql(fill(document, absentLike(hidden.type), absentLike(hidden.field)), { headers });
      expect(shown.status).toBe(400);
      // Suggestions follow the name asked for ("Did you mean" names what is similar to it), not
      // whether it exists; in production there are none, and the answers are equal outright.
      const keep = nodeEnv === 'production';
      expect(shape(shown, names, keep)).toEqual(shape(absent, {}, keep));
      expect(shown.text).not.toMatch(/can never be of type|must have a selection|is required|cannot be non-input/);
      if (nodeEnv === 'production') expect(shown.text + absent.text).not.toContain('Did you mean');
    });
  });

  it('what the caller sees keeps graphql’s own message; an ADMIN sees all of it', async () => {
    const note = await server.gql('{ ... on Note { __typename } }', { headers: as['anonymous'] });
    expect(note.body.errors?.map((e) => e.message)).toEqual([
      'Fragment cannot be spread here as objects of type "Query" can never be of type "Note".',
    ]);
    const audit = await server.gql('{ ... on AuditEvent { __typename } }', { headers: as['ADMIN'] });
    expect(audit.body.errors?.map((e) => e.message)).toEqual([
      'Fragment cannot be spread here as objects of type "Query" can never be of type "AuditEvent".',
    ]);
    const role = await server.gql('mutation { setUserRole { __typename } }', { headers: as['ADMIN'] });
    expect(role.body.errors?.map((e) => e.message)).toEqual([
      'Field "setUserRole" argument "userId" of type "ID!" is required, but it was not provided.',
      'Field "setUserRole" argument "role" of type "Role!" is required, but it was not provided.',
    ]);
    expect(role.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
  });

  it('a valid document reading a hidden field still runs and answers UNAUTHENTICATED / FORBIDDEN at its path', async () => {
    const anonymous = await server.gql('{ me { id } }', { headers: as['anonymous'] });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['me'], 'UNAUTHENTICATED']]);
    const user = await server.gql('{ users { totalCount } }', { headers: as['USER'] });
    expect(user.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['users'], 'FORBIDDEN']]);
  });
});

describe('subscribe over WebSocket', () => {
  let server: HttpHarness;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await server.close();
  });

  const refusal = async (socket: Socket, query: string) => {
    const { received } = socket.subscribe(query);
    await eventually(() => received.completed, 'the subscribe answered');
    return (received.errors ?? []).map((error) => ({ message: error.message, code: error.extensions?.['code'] }));
  };

  it('a hidden type or field is answered as an absent one; a visible one keeps its message', async () => {
    const socket = openSocket(server.url);
    sockets.push(socket);
    await socket.connected;
    const type = await refusal(socket, 'subscription { noteAdded { ... on AuditEvent { __typename } } }');
    expect(type).toEqual([{ message: 'Unknown type "AuditEvent".', code: 'GRAPHQL_VALIDATION_FAILED' }]);
    // User.apiKeys is for ADMINs: without a selection it would name its type (ScalarLeafsRule).
    const field = await refusal(socket, 'subscription { noteAdded { author { apiKeys } } }');
    const absent = await refusal(socket, `subscription { noteAdded { author { ${absentLike('apiKeys')} } } }`);
    expect(field.map((error) => ({ ...error, message: error.message.replace('apiKeys', absentLike('apiKeys')) }))).toEqual(absent);
    expect(field).toEqual([{ message: 'Cannot query field "apiKeys" on type "User".', code: 'GRAPHQL_VALIDATION_FAILED' }]);
    const visible = await refusal(socket, 'subscription { noteAdded { ... on User { __typename } } }');
    expect(visible).toEqual([
      {
        message: 'Fragment cannot be spread here as objects of type "Note" can never be of type "User".',
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
    ]);
  });
});
