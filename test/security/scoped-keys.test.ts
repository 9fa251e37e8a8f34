import { rowCount, storedRoles } from '../helpers/store';
/*
 * What a credential may do beyond its roles, over the real HTTP server (CONTRACT.md, Authorization):
 * a scoped API key does exactly what its scopes allow; an API key can never mint or revoke keys,
 * change a role or end sessions; a key never holds a scope its maker lacks; an external token holds
 * its token's scopes.
 */
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';
import { createUser } from '../../src/services/accounts';
import { createApiKey } from '../../src/services/api-keys';

const PASSWORD = 'scoped password';
const codes = (errors: readonly WireError[] | undefined) => (errors ?? []).map((e) => e.extensions?.['code']);
const CREATE_KEY = 'mutation ($s: [String!]) { createApiKey(name: "k", scopes: $s) { secret apiKey { id scopes } } }';

describe('scoped keys and credential kinds over HTTP', () => {
  let server: HttpHarness;
  let issuer: TestIssuer;
  let providerKey: TestKey;
  const session: Record<'user' | 'admin', Record<string, string>> = { user: {}, admin: {} };
  const userId: Record<'user' | 'admin', string> = { user: '', admin: '' };

  beforeAll(async () => {
    issuer = await startTestIssuer({ path: '/realms/scopes' });
    providerKey = await issuer.newKey('ES256');
    issuer.publish(providerKey);
    server = await startHttpServer({ env: { OIDC_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]) } });
    const origin = { actorId: null, address: 'scopes', source: 'request' } as const;
    for (const role of ['user', 'admin'] as const) {
      const email = `${role}@scopes.test`;
      const user = await createUser(server.app, { email, password: PASSWORD, role: role === 'admin' ? 'ADMIN' : 'USER' }, origin);
      userId[role] = user.id;
      const login = await server.gql('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
        variables: { e: email, p: PASSWORD },
      });
      session[role] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  const makeKey = async (as: Record<string, string>, scopes?: string[] | null) => {
    const made = await server.gql(CREATE_KEY, { variables: scopes === undefined ? {} : { s: scopes }, headers: as });
    return made;
  };
  const keyOf = async (as: Record<string, string>, scopes?: string[] | null) => {
    const made = await makeKey(as, scopes);
    expect(made.body.errors).toBeUndefined();
    return {
      headers: { 'x-api-key': made.body.data?.['createApiKey']?.secret as string },
      scopes: made.body.data?.['createApiKey']?.apiKey.scopes,
    };
  };
  const noteCount = () => rowCount(server.store.db, 'notes');
  const keyCount = () => rowCount(server.store.db, 'api_keys');

  it('a key holds exactly the scopes it was made with, and ApiKey.scopes shows them', async () => {
    expect((await keyOf(session.user, ['notes:write'])).scopes).toEqual(['notes:write']);
    expect((await keyOf(session.user, [])).scopes).toEqual([]);
    // No list: every scope the maker holds; a session holds every scope the schema knows.
    expect((await keyOf(session.user)).scopes).toEqual(['notes:write']);
    const listed = await server.gql('{ myApiKeys { scopes } }', { headers: session.user });
    expect(listed.body.data?.['myApiKeys']).toEqual(expect.arrayContaining([{ scopes: [] }, { scopes: ['notes:write'] }]));
  });

  it('a scoped key does exactly what its scopes allow', async () => {
    const writer = await keyOf(session.user, ['notes:write']);
    const reader = await keyOf(session.user, []);
    const create = 'mutation { createNote(title: "from a key", body: "b", visibility: PUBLIC) { id } }';

    const before = await noteCount();
    const refused = await server.gql(create, { headers: reader.headers });
    expect(refused.status).toBe(200);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['createNote'], 'FORBIDDEN']]);
    expect(refused.body.errors?.[0]?.message).toContain('notes:write');
    expect(await noteCount()).toBe(before);

    const written = await server.gql(create, { headers: writer.headers });
    expect(written.body.errors).toBeUndefined();
    const noteId = written.body.data?.['createNote']?.id as string;
    expect(await noteCount()).toBe(before + 1);

    // Fields that ask for no scope work with either key; deleting asks for notes:write.
    for (const key of [reader, writer]) {
      const read = await server.gql('query ($id: ID!) { me { id email } note(id: $id) { title } }', {
        variables: { id: noteId },
        headers: key.headers,
      });
      expect(read.body).toEqual({ data: { me: { id: userId.user, email: 'user@scopes.test' }, note: { title: 'from a key' } } });
    }
    const del = 'mutation ($id: ID!) { deleteNote(id: $id) }';
    expect(codes((await server.gql(del, { variables: { id: noteId }, headers: reader.headers })).body.errors)).toEqual(['FORBIDDEN']);
    expect(await noteCount()).toBe(before + 1);
    expect((await server.gql(del, { variables: { id: noteId }, headers: writer.headers })).body).toEqual({ data: { deleteNote: true } });
  });

  it('unknown scopes are BAD_USER_INPUT and make no key', async () => {
    const before = await keyCount();
    const made = await makeKey(session.user, ['notes:write', 'root:everything']);
    expect(made.body.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['argument']])).toEqual([['BAD_USER_INPUT', 'scopes']]);
    expect(made.body.errors?.[0]?.message).toContain('"root:everything"');
    expect(await keyCount()).toBe(before);
  });

  it('a key can never mint a key, revoke one, change a role or a password, or end sessions: FORBIDDEN before anything runs', async () => {
    const userKey = await keyOf(session.user);
    const adminKey = await keyOf(session.admin);
    const victim = (await keyOf(session.user)).headers;
    const victimId = (await server.gql('{ myApiKeys { id } }', { headers: session.user })).body.data?.['myApiKeys']?.[0]?.id as string;

    const keysBefore = await keyCount();
    for (const key of [userKey, adminKey]) {
      const minted = await makeKey(key.headers);
      expect(minted.body.data ?? null).toBeNull();
      expect(minted.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['createApiKey'], 'FORBIDDEN']]);
      const revoked = await server.gql('mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', {
        variables: { id: victimId },
        headers: key.headers,
      });
      expect(codes(revoked.body.errors)).toEqual(['FORBIDDEN']);
      expect(codes((await server.gql('mutation { logoutEverywhere }', { headers: key.headers })).body.errors)).toEqual(['FORBIDDEN']);
      // Even with the right current password: changing it ends the owner's other sessions.
      const changed = await server.gql('mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', {
        variables: { c: PASSWORD, n: 'a new password for the key' },
        headers: key.headers,
      });
      expect(changed.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['changePassword'], 'FORBIDDEN']]);
    }
    expect(await keyCount()).toBe(keysBefore);
    expect((await server.gql('{ me { id } }', { headers: victim })).status).toBe(200);

    const promote = await server.gql('mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }', {
      variables: { id: userId.user },
      headers: adminKey.headers,
    });
    expect(promote.body.data ?? null).toBeNull();
    expect(promote.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['setUserRole'], 'FORBIDDEN']]);
    expect(await storedRoles(server.store.db, userId.user)).toEqual(['USER']);
    const ended = await server.gql('mutation ($id: ID!) { endUserSessions(userId: $id) }', {
      variables: { id: userId.user },
      headers: adminKey.headers,
    });
    expect(codes(ended.body.errors)).toEqual(['FORBIDDEN']);
    expect((await server.gql('{ me { id } }', { headers: session.user })).body.data?.['me']).toEqual({ id: userId.user });
  });

  describe('external tokens hold their token’s scopes', () => {
    const token = (scope: string) =>
      issuer.sign(providerKey, { sub: `scoped-${scope || 'none'}`, scope }).then((t) => ({ authorization: `Bearer ${t}` }));
    const create = 'mutation { createNote(title: "external", body: "b") { id } }';

    it('a token with notes:write writes; one without is FORBIDDEN', async () => {
      expect((await server.gql(create, { headers: await token('openid notes:write') })).body.errors).toBeUndefined();
      const refused = await server.gql(create, { headers: await token('openid profile') });
      expect(refused.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['createNote'], 'FORBIDDEN']]);
    });

    it('a key made with a token never holds a scope the token lacks', async () => {
      const lacking = await token('openid');
      const before = await keyCount();
      const made = await makeKey(lacking, ['notes:write']);
      expect(codes(made.body.errors)).toEqual(['FORBIDDEN']);
      // Decided by gatehouse's own policy in the schema (the auth map shows it), named as such.
      expect(made.body.errors?.[0]?.extensions?.['rule']).toBe(
        '@policy(policies: [["gatehouse.apiKeyRoles", "gatehouse.apiKeyScopes"]]) on Mutation.createApiKey',
      );
      expect(await keyCount()).toBe(before);
      // Without a list, the key gets what the token holds of the schema's scopes: nothing here.
      expect((await keyOf(lacking)).scopes).toEqual([]);
      expect((await keyOf(await token('notes:write'))).scopes).toEqual(['notes:write']);
    });

    it('a key made with a token never acts with a role the token lacks', async () => {
      // A key acts with its owner's stored role; a linked user's row decides nothing for its
      // tokens (they are USER here), so an ADMIN may have set it to ADMIN. A key made with such a
      // token once acted as ADMIN: it read every user.
      const asToken = async () =>
        ({ authorization: `Bearer ${await issuer.sign(providerKey, { sub: 'row-promoted', scope: 'notes:write' })}` }) as Record<
          string,
          string
        >;
      const linked = (await server.gql('{ me { id } }', { headers: await asToken() })).body.data?.['me']?.id as string;
      const promoted = await server.gql('mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }', {
        variables: { id: linked },
        headers: session.admin,
      });
      expect(promoted.body.data?.['setUserRole']).toEqual({ role: 'ADMIN' });
      expect(codes((await server.gql('{ users { totalCount } }', { headers: await asToken() })).body.errors)).toEqual(['FORBIDDEN']);
      const before = await keyCount();
      const made = await makeKey(await asToken());
      expect(codes(made.body.errors)).toEqual(['FORBIDDEN']);
      expect(made.body.errors?.[0]?.extensions?.['rule']).toBe(
        '@policy(policies: [["gatehouse.apiKeyRoles", "gatehouse.apiKeyScopes"]]) on Mutation.createApiKey',
      );
      expect(made.body.data ?? null).toBeNull(); // refused by the gate: nothing ran
      expect(await keyCount()).toBe(before);
      // The mutation gate decides it before anything runs: a note asked for first is not written.
      const notesBefore = await noteCount();
      const both = await server.gql('mutation { createNote(title: "first", body: "b") { id } createApiKey(name: "k") { secret } }', {
        headers: await asToken(),
      });
      expect(both.body.data ?? null).toBeNull();
      expect(both.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['createApiKey'], 'FORBIDDEN']]);
      expect(await noteCount()).toBe(notesBefore);
      expect(await keyCount()).toBe(before);
      // Nor may the token rotate a key of that account (one the CLI made): the new secret would act as ADMIN.
      const origin = { actorId: null, address: 'scopes', source: 'request' } as const;
      const own = await createApiKey(server.app, { id: linked, roles: ['ADMIN', 'USER'], via: 'jwt' }, { name: 'cli' }, origin);
      const rotated = await server.gql('mutation ($id: ID!) { rotateApiKey(id: $id) { secret } }', {
        variables: { id: own.apiKey.id },
        headers: await asToken(),
      });
      expect(rotated.body.data ?? null).toBeNull();
      expect(rotated.body.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['rule']])).toEqual([
        ['FORBIDDEN', '@policy(policies: [["gatehouse.apiKeyRotation"]]) on Mutation.rotateApiKey'],
      ]);
      expect((await server.gql('{ me { id } }', { headers: { 'x-api-key': own.secret } })).body.data?.['me']?.id).toBe(linked);
    });
  });
});
