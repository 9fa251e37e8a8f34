import type { App } from '../app';
import type { CredentialProblem } from '../errors';
import { touchApiKey } from '../store/api-keys';
import type { UserRecord } from '../store/users';
import type { PresentedCredential } from './credentials';
import { isWellFormedApiKey, sha256 } from './secrets';
import { sessionEnded } from './session-ends';
import { rolesOf, type Viewer } from './viewer';

export type Authentication =
  | {
      readonly ok: true;
      readonly viewer: Viewer | null;
      readonly user: UserRecord | null;
      /** The session (refresh-token family) of the access token; null for keys, anonymous callers and tokens without one. */
      readonly sessionId?: string | null;
    }
  | { readonly ok: false; readonly problem: CredentialProblem };

/** `lastUsedAt` is written at most this often per key. */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;

const ANONYMOUS: Authentication = Object.freeze({ ok: true, viewer: null, user: null });

/**
 * Turns the presented credential into a viewer. The user (and key) come from the store's lookups,
 * which reflect every change committed before they are called (src/store/credential-lookups.ts): a
 * disabled user, a deleted user, a revoked key, a role change or an ended session takes effect on
 * the next request, not when the token expires.
 */
export async function authenticate(app: App, credential: PresentedCredential): Promise<Authentication> {
  switch (credential.kind) {
    case 'none':
      return ANONYMOUS;
    case 'refused':
      return { ok: false, problem: credential.problem };
    case 'jwt': {
      const verified = app.accessTokens.verify(credential.token, app.now());
      if (!verified.ok) return { ok: false, problem: 'invalid_token' };
      const user = await app.store.lookups.userById(verified.claims.sub);
      // The row that says whether the user is disabled also says which sessions have ended: no extra read.
      if (user === undefined || user.disabledAt !== null || sessionEnded(user, verified.claims))
        return { ok: false, problem: 'invalid_token' };
      return { ok: true, viewer: { id: user.id, roles: rolesOf(user.role), via: 'jwt' }, user, sessionId: verified.claims.sid ?? null };
    }
    case 'api-key': {
      if (!isWellFormedApiKey(credential.key)) return { ok: false, problem: 'invalid_api_key' };
      const found = await app.store.lookups.apiKeyBySecretHash(sha256(credential.key));
      const now = app.now();
      if (
        found === undefined ||
        found.key.revokedAt !== null ||
        (found.key.expiresAt !== null && found.key.expiresAt <= now) ||
        found.owner.disabledAt !== null
      ) {
        return { ok: false, problem: 'invalid_api_key' };
      }
      if (found.key.lastUsedAt === null || now.getTime() - found.key.lastUsedAt.getTime() >= API_KEY_TOUCH_INTERVAL_MS) {
        await touchApiKey(app.store.db, found.key.id, now, API_KEY_TOUCH_INTERVAL_MS);
      }
      return { ok: true, viewer: { id: found.owner.id, roles: rolesOf(found.owner.role), via: 'api-key' }, user: found.owner };
    }
  }
}
