import { newId } from '../store/ids';
import type { App } from '../app';
import { TOP_ROLE } from '../auth/roles';
import { generateApiKey } from '../auth/secrets';
import type { Viewer } from '../auth/viewer';
import { scopesForNewKey } from '../enforcement/scopes';
import { Forbidden, InvalidInput, NotFound } from '../errors';
import {
  type ApiKeyRecord,
  countAllApiKeys,
  listAllApiKeys as listAllStoredKeys,
  findApiKeyById,
  insertApiKeyWithinCap,
  listApiKeysOfUser,
  revokeApiKey as revokeStoredKey,
  rotateApiKeySecret,
} from '../store/api-keys';
import { audit, type RequestOrigin } from './audit';
import { type Connection, decodeCursor, toConnection } from './pagination';
import { LIMITS, requiredText, validId, validPageSize } from './validation';

export interface CreatedApiKey {
  /** The whole key. Shown once, here; only its hash is stored. */
  readonly secret: string;
  readonly apiKey: ApiKeyRecord;
}

/**
 * Makes a key acting as `viewer`. `input.scopes`: exactly the scopes it holds, each one of
 * `schemaScopes` (the scopes the schema's @requiresScopes name) and held by the viewer; absent: the
 * viewer's own scopes (every scope for a gatehouse session: such a key is what keys were before scopes).
 * Without `schemaScopes` (the command line), no scope can be asked for by name.
 */
export async function createApiKey(
  app: App,
  viewer: Viewer,
  input: { name: string; expiresInDays?: number | null; scopes?: readonly string[] | null },
  origin: RequestOrigin,
  schemaScopes: readonly string[] = [],
): Promise<CreatedApiKey> {
  const name = requiredText(input.name, LIMITS.apiKeyNameMax, 'name');
  const days = input.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > LIMITS.apiKeyMaxDays)) {
    throw new InvalidInput(`expiresInDays must be between 1 and ${LIMITS.apiKeyMaxDays}.`, 'expiresInDays');
  }
  // Through GraphQL, the schema's @policy decided both rules below before this ran (the auth map shows
  // them); they stay here for the callers that are not GraphQL requests (the admin CLI, the test kit).
  await requireOwnersRole(app, viewer);
  const scopes = scopesForNewKey(input.scopes, viewer.scopes, schemaScopes);
  if (!scopes.ok) {
    const names = scopes.scopes.map((s) => JSON.stringify(s)).join(', ');
    if (scopes.problem === 'unknown') {
      const knownList = schemaScopes.length === 0 ? 'none' : schemaScopes.join(', ');
      throw new InvalidInput(`Unknown scope(s) ${names}; the scopes this API knows are: ${knownList}.`, 'scopes');
    }
    throw new Forbidden(`Your credential does not hold the scope(s) ${names}, so a key made with it cannot either.`);
  }
  const now = app.now();
  const generated = generateApiKey();
  // The cap is decided inside the insert, so parallel requests cannot all pass a count made first.
  const apiKey = await insertApiKeyWithinCap(
    app.store.db,
    {
      id: newId(),
      userId: viewer.id,
      name,
      prefix: generated.displayPrefix,
      secretHash: generated.secretHash,
      now,
      expiresAt: days === null ? null : new Date(now.getTime() + days * 86_400_000),
      scopes: scopes.scopes,
    },
    LIMITS.apiKeysPerUser,
  );
  if (apiKey === undefined)
    throw new InvalidInput(`You have ${LIMITS.apiKeysPerUser} API keys that are not revoked; revoke one first.`, 'name');
  await audit(app, origin, 'api_key.created', {
    subjectId: viewer.id,
    detail: { keyId: apiKey.id, prefix: apiKey.prefix, name, scopes: apiKey.scopes === null ? 'all' : apiKey.scopes.join(' ') },
  });
  return { secret: generated.secret, apiKey };
}

/**
 * The roles of `viewer`'s account its credential does not hold. A key acts with its owner's granted
 * roles (src/auth/authenticate.ts). An identity provider's token takes its roles from the token
 * instead, and may hold less than those rows (a linked user's row is USER, or what an ADMIN granted):
 * a key secret handed to it must not act with more than it. Asked by the `gatehouse.apiKeyRoles`
 * policy (src/graphql/policies.ts) before createApiKey runs, and by rotateApiKey for the caller's own key.
 */
export async function rolesTheCredentialLacks(app: App, viewer: Viewer): Promise<readonly string[]> {
  const owner = await app.store.lookups.userById(viewer.id);
  return owner === undefined ? ['USER'] : owner.roles.filter((role) => !app.roles.holds(viewer.roles, role));
}

/**
 * Whether `viewer` may rotate the key `rawId` names as far as roles go: its own key only with a
 * credential holding its account's roles (the new secret acts with them). Another's key, a key that
 * does not exist or an invalid id pass here: `@owner` and the resolver answer those.
 */
export async function mayRotateAsOwner(app: App, viewer: Viewer, rawId: string): Promise<boolean> {
  let id: string;
  try {
    id = validId(rawId);
  } catch {
    return true;
  }
  const key = await findApiKeyById(app.store.db, id);
  if (key === undefined || key.userId !== viewer.id) return true;
  return (await rolesTheCredentialLacks(app, viewer)).length === 0;
}

async function requireOwnersRole(app: App, viewer: Viewer): Promise<void> {
  const missing = await rolesTheCredentialLacks(app, viewer);
  if (missing.length > 0) {
    throw new Forbidden(
      `Your credential does not hold the role ${missing.join(', ')} a key of this account acts with, so it cannot make one.`,
    );
  }
}

/**
 * Gives a key a new secret (same id, name, scopes and expiry): the owner's own key, or any key for
 * an ADMIN. The former secret keeps working for `graceSeconds` (0 to 30 days), then is refused like a
 * revoked key, on every instance: authentication reads the key through the credential lookups,
 * whose freshness rule is the one revocation relies on. Rotating again ends an earlier grace at once.
 */
export async function rotateApiKey(
  app: App,
  viewer: Viewer,
  rawId: string,
  graceSeconds: number,
  origin: RequestOrigin,
): Promise<CreatedApiKey> {
  const id = validId(rawId);
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > LIMITS.apiKeyMaxGraceSeconds) {
    throw new InvalidInput(`graceSeconds must be between 0 and ${LIMITS.apiKeyMaxGraceSeconds}.`, 'graceSeconds');
  }
  const key = await findApiKeyById(app.store.db, id);
  if (key === undefined) throw new NotFound('API key');
  const own = key.userId === viewer.id;
  if (!own && !app.roles.holds(viewer.roles, TOP_ROLE)) throw new Forbidden('Only the owner of this API key or an ADMIN may rotate it.');
  if (own) await requireOwnersRole(app, viewer);
  const now = app.now();
  if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) {
    throw new InvalidInput('A revoked or expired key cannot be rotated; create a new one.', 'id');
  }
  const generated = generateApiKey();
  const rotated = await rotateApiKeySecret(app.store.db, id, {
    secretHash: generated.secretHash,
    prefix: generated.displayPrefix,
    previousExpiresAt: new Date(now.getTime() + graceSeconds * 1000),
  });
  if (rotated === undefined) throw new InvalidInput('A revoked or expired key cannot be rotated; create a new one.', 'id');
  await audit(app, origin, 'api_key.rotated', {
    subjectId: key.userId,
    detail: { keyId: key.id, prefix: rotated.prefix, previousPrefix: key.prefix, graceSeconds },
  });
  return { secret: generated.secret, apiKey: rotated };
}

export function listApiKeys(app: App, userId: string): Promise<ApiKeyRecord[]> {
  return listApiKeysOfUser(app.store.db, userId);
}

/** Every user's keys, newest first (for an ADMIN: the directive decides); `activeOnly` (default true): only keys that work now. */
export async function listAllApiKeys(
  app: App,
  args: { first?: number | null; after?: string | null; activeOnly?: boolean | null },
): Promise<Connection<ApiKeyRecord>> {
  const limit = validPageSize(args.first);
  const before = decodeCursor(args.after);
  const active = args.activeOnly === false ? null : app.now();
  const [rows, total] = await Promise.all([
    listAllStoredKeys(app.store.db, limit + 1, before, active),
    countAllApiKeys(app.store.db, active),
  ]);
  return toConnection(rows, limit, total);
}

/** Revokes a key: the owner's own, or any key for an ADMIN. Revoking twice keeps the first time. */
export async function revokeApiKey(app: App, viewer: Viewer, rawId: string, origin: RequestOrigin): Promise<ApiKeyRecord> {
  const id = validId(rawId);
  const key = await findApiKeyById(app.store.db, id);
  if (key === undefined) throw new NotFound('API key');
  if (key.userId !== viewer.id && !app.roles.holds(viewer.roles, TOP_ROLE))
    throw new Forbidden('Only the owner of this API key or an ADMIN may revoke it.');
  const revoked = await revokeStoredKey(app.store.db, id, app.now());
  if (revoked === undefined) throw new NotFound('API key');
  if (key.revokedAt === null)
    await audit(app, origin, 'api_key.revoked', { subjectId: key.userId, detail: { keyId: key.id, prefix: key.prefix } });
  return revoked;
}
