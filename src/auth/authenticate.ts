// Decides who the caller is. Turns what a request presented (credentials.ts) into a viewer, an
// anonymous caller, or a refusal with its problem: a gatehouse access token (genuine: jwt.ts; its
// session not ended: session-ends.ts), an API key (well-formed, not revoked, not expired) or a
// provider's token (external/); and, for all three, that a disabled account cannot act. What the
// viewer may then read is src/enforcement/'s decision, not this file's.
import type { App } from '../app';
import type { CredentialProblem } from '../errors';
import { touchApiKey } from '../store/api-keys';
import type { UserRecord } from '../store/users';
import type { PresentedCredential } from './credentials';
import { authenticateExternal, type ExternalAuthentication } from './external/authenticate';
import { hasOwnHs256Header } from './jwt';
import { isWellFormedApiKey, sha256 } from './secrets';
import { sessionEnded } from './session-ends';
import { rolesOf } from './roles';
import type { Viewer } from './viewer';

export type Authentication =
  | {
      readonly ok: true;
      readonly viewer: Viewer | null;
      readonly user: UserRecord | null;
      /** The session (refresh-token family) of the access token; null for keys, anonymous callers and tokens without one. */
      readonly sessionId?: string | null;
    }
  | { readonly ok: false; readonly problem: CredentialProblem };

/**
 * A disabled account acts through none of its credentials: decided here, for the three kinds a
 * request presents and for login and refresh (src/services/accounts.ts), which ask this too.
 */
export function mayAct(user: Pick<UserRecord, 'disabledAt'>): boolean {
  return user.disabledAt === null;
}

function fromExternal(outcome: ExternalAuthentication): Authentication {
  return outcome.ok && mayAct(outcome.user)
    ? { ok: true, viewer: outcome.viewer, user: outcome.user, sessionId: null }
    : { ok: false, problem: 'invalid_token' };
}

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
      // A token that claims a configured provider's issuer goes to that provider's keys only, and
      // gatehouse's own HS256 secret verifies only tokens naming gatehouse's own issuer (jwt.ts;
      // config refuses a provider with that issuer). The remembered verifications are tried
      // before any payload is decoded, so neither kind of token pays for the other once cached.
      const external = app.externalTokens;
      const recalled = external?.recall(credential.token, app.now());
      if (external != null && recalled !== undefined)
        return fromExternal(await authenticateExternal(app, external, credential.token, recalled));
      // gatehouse's HS256 tokens start with a header no provider's token has (jwt.ts); any other
      // token naming a provider skips the HMAC check and its thrown error.
      if (external != null && !hasOwnHs256Header(credential.token) && external.issuerOf(credential.token) !== undefined) {
        return fromExternal(await authenticateExternal(app, external, credential.token));
      }
      const verified = await app.accessTokens.verifyFresh(credential.token, app.now());
      if (!verified.ok) return { ok: false, problem: 'invalid_token' };
      const user = await app.store.lookups.userById(verified.claims.sub);
      // After the lookup, which settled the change signal: a key retired before this request is known now.
      if (!(await app.accessTokens.stillTrusted(verified.claims))) return { ok: false, problem: 'invalid_token' };
      // The row that says whether the user is disabled also says which sessions have ended: no extra read.
      if (user === undefined || !mayAct(user) || sessionEnded(user, verified.claims)) return { ok: false, problem: 'invalid_token' };
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
        // A secret replaced by rotateApiKey works until its grace period ends, then like a revoked key.
        (found.matched === 'previous' && !(found.key.previousSecretExpiresAt !== null && now < found.key.previousSecretExpiresAt)) ||
        !mayAct(found.owner)
      ) {
        return { ok: false, problem: 'invalid_api_key' };
      }
      if (found.key.lastUsedAt === null || now.getTime() - found.key.lastUsedAt.getTime() >= API_KEY_TOUCH_INTERVAL_MS) {
        await touchApiKey(app.store.db, found.key.id, now, API_KEY_TOUCH_INTERVAL_MS);
      }
      const roles = rolesOf(found.owner.role);
      const viewer: Viewer =
        found.key.scopes === null
          ? { id: found.owner.id, roles, via: 'api-key' }
          : { id: found.owner.id, roles, via: 'api-key', scopes: found.key.scopes };
      return { ok: true, viewer, user: found.owner };
    }
  }
}
