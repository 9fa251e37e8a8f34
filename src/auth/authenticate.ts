// Decides who the caller is. Turns what a request presented (credentials.ts) into a viewer, an
// anonymous caller, or a refusal with its problem, reading top to bottom for each kind:
// - a gatehouse access token: genuine (jwt.ts), its user present and able to act, its session not
//   ended (session-ends.ts);
// - a provider's token: genuine (external/tokens.ts), the user linked to its (issuer, subject)
//   present and able to act, not issued before the account's sessions were ended;
// - an API key: well-formed, issued, not revoked, not expired, its owner able to act.
// It reads through `AuthenticationSources` (lookups and verifiers, nothing else) and writes nothing:
// what should be written (an API key's last use, a provider identity's first link) is returned for
// the caller to do (src/services/authentication.ts). What the viewer may then read is
// src/enforcement/'s decision, not this file's.
import type { CredentialProblem } from '../errors';
import type { KeyWithOwner } from '../store/credential-lookups';
import type { UserRecord } from '../store/users';
import type { PresentedCredential } from './credentials';
import type { ExternalIdentity, ExternalTokens } from './external/tokens';
import { type AccessTokens, hasOwnHs256Header } from './jwt';
import type { RoleCatalog } from './role-catalog';
import { isWellFormedApiKey, sha256 } from './secrets';
import { providerTokenEnded, sessionEnded } from './session-ends';
import type { Viewer } from './viewer';

/** What authentication reads; the composition root passes the App's (src/services/authentication.ts). */
export interface AuthenticationSources {
  readonly now: () => Date;
  /** The application's declared roles: a viewer holds its granted roles expanded through them. */
  readonly roles: RoleCatalog;
  readonly accessTokens: Pick<AccessTokens, 'verifyFresh' | 'stillTrusted'>;
  /** Null when no identity provider is configured. */
  readonly externalTokens: Pick<ExternalTokens, 'issuerOf' | 'recall' | 'verify'> | null;
  /** The user as the database has it now (src/store/credential-lookups.ts's freshness rule). */
  userById(id: string): Promise<UserRecord | undefined>;
  /** The key whose secret hashes to this, and its owner, as the database has them now. */
  apiKeyBySecretHash(secretHash: string): Promise<KeyWithOwner | undefined>;
  /**
   * The user linked to the provider identity, or undefined when none is. May answer from memory
   * (a link never moves to another user); `fresh` asks the database, after a remembered user was
   * found gone.
   */
  linkedUserId(identity: ExternalIdentity, fresh: boolean): Promise<string | undefined>;
}

export type Authentication =
  | {
      readonly ok: true;
      readonly viewer: Viewer | null;
      readonly user: UserRecord | null;
      /** The session (refresh-token family) of the access token; null for keys, anonymous callers and tokens without one. */
      readonly sessionId?: string | null;
    }
  | { readonly ok: false; readonly problem: CredentialProblem };

/** Record that the key was used now (at most once per API_KEY_TOUCH_INTERVAL_MS). */
export interface TouchApiKey {
  readonly kind: 'touch-api-key';
  readonly keyId: string;
  readonly at: Date;
}

/** Link the provider identity to a new user (with its audit row), then authenticate again. */
export interface LinkExternalIdentity {
  readonly kind: 'link-external-identity';
  readonly identity: ExternalIdentity;
  readonly at: Date;
}

/**
 * The outcome, with what the caller writes: `decided` (and perhaps a key to touch, which changes
 * nothing about the answer), or `link-first`: the identity has no user yet; once the caller has
 * linked one, the same credential is decided like any other.
 */
export type AuthenticationStep =
  | { readonly kind: 'decided'; readonly authentication: Authentication; readonly write: TouchApiKey | null }
  | { readonly kind: 'link-first'; readonly write: LinkExternalIdentity };

/** `lastUsedAt` is written at most this often per key. */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;

/**
 * A disabled account acts through none of its credentials: decided here, for the three kinds a
 * request presents and for login and refresh (src/services/accounts.ts), which ask this too.
 */
export function mayAct(user: Pick<UserRecord, 'disabledAt'>): boolean {
  return user.disabledAt === null;
}

const decided = (authentication: Authentication, write: TouchApiKey | null = null): AuthenticationStep => ({
  kind: 'decided',
  authentication,
  write,
});
const ANONYMOUS = Object.freeze(decided(Object.freeze({ ok: true, viewer: null, user: null })));
const REFUSED_TOKEN = Object.freeze(decided(Object.freeze({ ok: false, problem: 'invalid_token' })));
const REFUSED_KEY = Object.freeze(decided(Object.freeze({ ok: false, problem: 'invalid_api_key' })));

/**
 * Turns the presented credential into a viewer. The user (and key) come from the sources'
 * lookups, which reflect every change committed before they are called: a disabled user, a deleted
 * user, a revoked key, a role change or an ended session takes effect on the next request, not
 * when the token expires.
 */
export async function authenticate(
  sources: AuthenticationSources,
  credential: PresentedCredential,
  /** The request's id: a provider token's refusal is logged with it. */
  requestId?: string,
): Promise<AuthenticationStep> {
  switch (credential.kind) {
    case 'none':
      return ANONYMOUS;
    case 'refused':
      return decided({ ok: false, problem: credential.problem });
    case 'jwt':
      return isProviderToken(sources, credential.token)
        ? providerToken(sources, credential.token, requestId)
        : ownToken(sources, credential.token);
    case 'api-key':
      return apiKey(sources, credential.key);
  }
}

/**
 * A token that names a configured provider's issuer goes to that provider's keys only; gatehouse's
 * own keys verify only tokens naming gatehouse's issuer (jwt.ts; config refuses a provider with
 * that issuer). A remembered provider verification is found before any payload is decoded, and a
 * token with gatehouse's own HS256 header (one no provider's token has) skips decoding, so neither
 * kind pays for the other.
 */
function isProviderToken({ externalTokens, now }: AuthenticationSources, token: string): boolean {
  if (externalTokens === null) return false;
  if (externalTokens.recall(token, now()) !== undefined) return true;
  return !hasOwnHs256Header(token) && externalTokens.issuerOf(token) !== undefined;
}

/** A user who is a member of no organization (or a row read outside the credential lookups). */
const NO_ORGANIZATIONS: Readonly<Record<string, string>> = Object.freeze({});

async function ownToken(sources: AuthenticationSources, token: string): Promise<AuthenticationStep> {
  const verified = await sources.accessTokens.verifyFresh(token, sources.now());
  if (!verified.ok) return REFUSED_TOKEN;
  const user = await sources.userById(verified.claims.sub);
  // After the lookup, which settled the change signal: a key retired before this request is known now.
  if (!(await sources.accessTokens.stillTrusted(verified.claims))) return REFUSED_TOKEN;
  // The row that says whether the user is disabled also says which sessions have ended: no extra read.
  if (user === undefined || !mayAct(user) || sessionEnded(user, verified.claims)) return REFUSED_TOKEN;
  return decided({
    ok: true,
    viewer: {
      id: user.id,
      roles: sources.roles.expandAll(user.roles),
      via: 'jwt',
      email: user.email,
      organizations: user.organizations ?? NO_ORGANIZATIONS,
    },
    user,
    sessionId: verified.claims.sid ?? null,
  });
}

/**
 * Roles and scopes come from the token on every request, not from the users row; the user says
 * only who the caller is and whether it may act.
 */
async function providerToken(sources: AuthenticationSources, token: string, requestId: string | undefined): Promise<AuthenticationStep> {
  const external = sources.externalTokens as NonNullable<AuthenticationSources['externalTokens']>;
  const now = sources.now();
  const verified = external.recall(token, now) ?? (await external.verify(token, now, requestId));
  if (!verified.ok) return REFUSED_TOKEN;
  const { identity } = verified;
  let userId = await sources.linkedUserId(identity, false);
  let user = userId === undefined ? undefined : await sources.userById(userId);
  if (userId !== undefined && user === undefined) {
    // The remembered user was deleted, and its link with it: the database says whether another
    // request has linked a new one since.
    userId = await sources.linkedUserId(identity, true);
    user = userId === undefined ? undefined : await sources.userById(userId);
  }
  if (userId === undefined) return { kind: 'link-first', write: { kind: 'link-external-identity', identity, at: now } };
  if (user === undefined || !mayAct(user) || providerTokenEnded(user, identity.issuedAt)) return REFUSED_TOKEN;
  // Expanded once per remembered verification: expandAll remembers the identity's (unchanging) list.
  const roles = sources.roles.expandAll(identity.roles);
  // Memberships from the token when its issuer names an organizationsClaim, else the user's stored ones.
  const organizations = identity.organizations ?? user.organizations ?? NO_ORGANIZATIONS;
  return decided({
    ok: true,
    viewer: { id: user.id, roles, via: 'external', scopes: identity.scopes, email: user.email, claims: identity.claims, organizations },
    user,
    sessionId: null,
  });
}

async function apiKey(sources: AuthenticationSources, key: string): Promise<AuthenticationStep> {
  if (!isWellFormedApiKey(key)) return REFUSED_KEY;
  const found = await sources.apiKeyBySecretHash(sha256(key));
  const now = sources.now();
  if (
    found === undefined ||
    found.key.revokedAt !== null ||
    (found.key.expiresAt !== null && found.key.expiresAt <= now) ||
    // A secret replaced by rotateApiKey works until its grace period ends, then like a revoked key.
    (found.matched === 'previous' && !(found.key.previousSecretExpiresAt !== null && now < found.key.previousSecretExpiresAt)) ||
    !mayAct(found.owner)
  ) {
    return REFUSED_KEY;
  }
  const roles = sources.roles.expandAll(found.owner.roles);
  // A key acts with its owner's memberships, within its scopes (@requiresScopes still applies).
  const organizations = found.owner.organizations ?? NO_ORGANIZATIONS;
  const email = found.owner.email;
  const viewer: Viewer =
    found.key.scopes === null
      ? { id: found.owner.id, roles, via: 'api-key', email, organizations }
      : { id: found.owner.id, roles, via: 'api-key', scopes: found.key.scopes, email, organizations };
  const stale = found.key.lastUsedAt === null || now.getTime() - found.key.lastUsedAt.getTime() >= API_KEY_TOUCH_INTERVAL_MS;
  return decided({ ok: true, viewer, user: found.owner }, stale ? { kind: 'touch-api-key', keyId: found.key.id, at: now } : null);
}
