/*
 * authenticate (src/auth/authenticate.ts): every outcome of a presented credential, against a real
 * SQLite file with the credential cache on, real access tokens and real API keys. Changes are made
 * through a second connection to the same file, as the admin CLI or another instance would make
 * them, so "the next request sees it" is checked through the cache's freshness rule too.
 */
import { type App, createApp } from '../../src/app';
import { authenticate as decide } from '../../src/auth/authenticate';
import { authenticateCaller as authenticate } from '../../src/services/authentication';
import { createAccessTokens } from '../../src/auth/jwt';
import { generateApiKey } from '../../src/auth/secrets';
import { withEndedSessions, serializeEndedSessions } from '../../src/auth/session-ends';
import { parseConfig } from '../../src/config';
import { findApiKeyById, insertApiKey, revokeApiKey } from '../../src/store/api-keys';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import { insertUser, setUserDisabled, updateSessionEnds, updateUserRole, type UserRecord } from '../../src/store/users';
import { sqliteFile, type ThrowawayDatabase } from '../helpers/databases';
import { randomSecret } from '../helpers/http';

const START = new Date('2026-03-01T00:00:00.000Z');
const TTL_SECONDS = 900;

let database: ThrowawayDatabase;
let store: Store;
/** A second connection to the same file: the writes of "someone else". */
let other: Store;
let app: App;
let clock = START;

beforeAll(async () => {
  database = sqliteFile();
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `file:${database.config.dialect === 'sqlite' ? database.config.path : ''}`,
    JWT_SECRET: randomSecret(),
    ACCESS_TOKEN_TTL: String(TTL_SECONDS),
    CREDENTIAL_CACHE_SIZE: '100',
  });
  store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  await migrateToLatest(store);
  other = openStore(config.database, { credentialCacheSize: 0 });
  app = createApp(config, store, { now: () => clock });
});
afterAll(async () => {
  await other?.close();
  await store?.close();
  await database?.drop();
});
beforeEach(() => {
  clock = START;
});

async function aUser(role: 'USER' | 'ADMIN' = 'USER'): Promise<UserRecord> {
  return insertUser(other.db, { id: newId(), email: `${newId()}@example.test`, name: null, passwordHash: 'h', roles: [role], now: START });
}

async function aKey(userId: string, expiresAt: Date | null = null): Promise<{ id: string; secret: string }> {
  const { secret, displayPrefix, secretHash } = generateApiKey();
  const key = await insertApiKey(other.db, { id: newId(), userId, name: 'k', prefix: displayPrefix, secretHash, now: START, expiresAt });
  return { id: key.id, secret };
}

const jwt = (token: string) => authenticate(app, { kind: 'jwt', token });
const apiKey = (key: string) => authenticate(app, { kind: 'api-key', key });
const sorted = (roles: readonly string[] | undefined) => [...(roles ?? [])].sort();

describe('no credential', () => {
  it('is anonymous: no viewer, no user', async () => {
    expect(await authenticate(app, { kind: 'none' })).toEqual({ ok: true, viewer: null, user: null });
  });

  it('a credential refused while reading the headers stays refused with its problem', async () => {
    expect(await authenticate(app, { kind: 'refused', problem: 'invalid_request' })).toEqual({ ok: false, problem: 'invalid_request' });
  });
});

describe('access tokens', () => {
  it('a valid token is its user, with the expanded roles and the session it names', async () => {
    const user = await aUser('ADMIN');
    const { token } = app.accessTokens.issue(user.id, clock, 'session-1');
    const result = await jwt(token);
    expect(result).toMatchObject({ ok: true, viewer: { id: user.id, via: 'jwt' }, user: { id: user.id }, sessionId: 'session-1' });
    expect(result.ok && sorted(result.viewer?.roles)).toEqual(['ADMIN', 'USER']);
  });

  it('a malformed token, and one signed with another secret, are invalid_token', async () => {
    const user = await aUser();
    const forged = createAccessTokens({
      secret: randomSecret(),
      issuer: app.config.jwt.issuer,
      audience: app.config.jwt.audience,
      ttlSeconds: TTL_SECONDS,
      clockToleranceSeconds: 0,
    }).issue(user.id, clock).token;
    expect(await jwt('not.a.token')).toEqual({ ok: false, problem: 'invalid_token' });
    expect(await jwt(forged)).toEqual({ ok: false, problem: 'invalid_token' });
  });

  it('an expired token is invalid_token; the same token just before expiry is accepted', async () => {
    const user = await aUser();
    const { token } = app.accessTokens.issue(user.id, clock);
    clock = new Date(START.getTime() + (TTL_SECONDS - 1) * 1000);
    expect(await jwt(token)).toMatchObject({ ok: true, viewer: { id: user.id } });
    clock = new Date(START.getTime() + (TTL_SECONDS + app.config.jwt.clockToleranceSeconds + 1) * 1000);
    expect(await jwt(token)).toEqual({ ok: false, problem: 'invalid_token' });
  });

  it('a token of a user that does not exist is invalid_token', async () => {
    const { token } = app.accessTokens.issue(newId(), clock);
    expect(await jwt(token)).toEqual({ ok: false, problem: 'invalid_token' });
  });

  it('a disabled user is refused from the next request, with the token still unexpired; enabled again, accepted', async () => {
    const user = await aUser();
    const { token } = app.accessTokens.issue(user.id, clock);
    expect(await jwt(token)).toMatchObject({ ok: true }); // now in the cache
    await setUserDisabled(other.db, user.id, clock);
    expect(await jwt(token)).toEqual({ ok: false, problem: 'invalid_token' });
    await setUserDisabled(other.db, user.id, null);
    expect(await jwt(token)).toMatchObject({ ok: true, viewer: { id: user.id } });
  });

  it('a role change applies from the next request', async () => {
    const user = await aUser('USER');
    const { token } = app.accessTokens.issue(user.id, clock);
    const before = await jwt(token);
    expect(before.ok && sorted(before.viewer?.roles)).toEqual(['USER']);
    expect(await updateUserRole(other.db, user.id, 'ADMIN', new Date())).toMatchObject({ status: 'changed' });
    const after = await jwt(token);
    expect(after.ok && sorted(after.viewer?.roles)).toEqual(['ADMIN', 'USER']);
  });

  it('a token of an ended session is refused; a token of another session of the same user is not', async () => {
    const user = await aUser();
    const ended = app.accessTokens.issue(user.id, clock, 'ended-session');
    const kept = app.accessTokens.issue(user.id, clock, 'kept-session');
    expect(await jwt(ended.token)).toMatchObject({ ok: true });
    await updateSessionEnds(other.db, user.id, (current) =>
      serializeEndedSessions(withEndedSessions(current, ['ended-session'], ended.claims.exp, clock.getTime() / 1000)),
    );
    expect(await jwt(ended.token)).toEqual({ ok: false, problem: 'invalid_token' });
    expect(await jwt(kept.token)).toMatchObject({ ok: true, sessionId: 'kept-session' });
  });
});

describe('API keys', () => {
  it('a valid key is its owner, via api-key, and records when it was used', async () => {
    const owner = await aUser('ADMIN');
    const key = await aKey(owner.id);
    const result = await apiKey(key.secret);
    expect(result).toMatchObject({ ok: true, viewer: { id: owner.id, via: 'api-key' }, user: { id: owner.id } });
    expect(result.ok && sorted(result.viewer?.roles)).toEqual(['ADMIN', 'USER']);
    expect((await findApiKeyById(other.db, key.id))?.lastUsedAt).toEqual(clock);
  });

  it('a malformed key, and a well-formed key that was never issued, are invalid_api_key', async () => {
    expect(await apiKey('gth_nonsense')).toEqual({ ok: false, problem: 'invalid_api_key' });
    expect(await apiKey(generateApiKey().secret)).toEqual({ ok: false, problem: 'invalid_api_key' });
  });

  it('a revoked key is refused from the next request', async () => {
    const owner = await aUser();
    const key = await aKey(owner.id);
    expect(await apiKey(key.secret)).toMatchObject({ ok: true }); // now in the cache
    await revokeApiKey(other.db, key.id, clock);
    expect(await apiKey(key.secret)).toEqual({ ok: false, problem: 'invalid_api_key' });
  });

  it('an expired key is refused from its expiry on', async () => {
    const owner = await aUser();
    const expiresAt = new Date(START.getTime() + 60_000);
    const key = await aKey(owner.id, expiresAt);
    clock = new Date(expiresAt.getTime() - 1);
    expect(await apiKey(key.secret)).toMatchObject({ ok: true });
    clock = expiresAt;
    expect(await apiKey(key.secret)).toEqual({ ok: false, problem: 'invalid_api_key' });
  });

  it("a disabled owner's key is refused, and a role change of the owner applies from the next request", async () => {
    const owner = await aUser('USER');
    const key = await aKey(owner.id);
    const before = await apiKey(key.secret);
    expect(before.ok && sorted(before.viewer?.roles)).toEqual(['USER']);
    await updateUserRole(other.db, owner.id, 'ADMIN', new Date());
    const after = await apiKey(key.secret);
    expect(after.ok && sorted(after.viewer?.roles)).toEqual(['ADMIN', 'USER']);
    await setUserDisabled(other.db, owner.id, clock);
    expect(await apiKey(key.secret)).toEqual({ ok: false, problem: 'invalid_api_key' });
  });
});

describe('the decision alone (src/auth/authenticate.ts)', () => {
  it('writes nothing: a key in use is returned as a touch for the caller to write, and the store is unchanged', async () => {
    const owner = await aUser();
    const key = await aKey(owner.id);
    const sources = {
      now: () => clock,
      roles: app.roles,
      accessTokens: app.accessTokens,
      externalTokens: null,
      userById: (id: string) => store.lookups.userById(id),
      apiKeyBySecretHash: (hash: string) => store.lookups.apiKeyBySecretHash(hash),
      linkedUserId: async () => undefined,
    };
    const step = await decide(sources, { kind: 'api-key', key: key.secret });
    expect(step).toMatchObject({
      kind: 'decided',
      authentication: { ok: true, viewer: { id: owner.id, via: 'api-key' } },
      write: { kind: 'touch-api-key', keyId: key.id, at: clock },
    });
    expect((await findApiKeyById(other.db, key.id))?.lastUsedAt).toBeNull();
  });
});
