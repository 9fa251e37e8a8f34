// Decides which gatehouse user a verified provider token acts as: (issuer, subject) linked to a
// user, created on first use, with the roles and scopes the token grants. Whether the token is
// genuine is tokens.ts's decision; whether the user may act, authenticate.ts's.
import type { App } from '../../app';
import { linkExternalUser } from '../../store/external-identities';
import type { UserRecord } from '../../store/users';
import { rolesOfAll } from '../roles';
import type { Viewer } from '../viewer';
import type { ExternalIdentity, ExternalTokens, ExternalVerifyResult } from './tokens';

export type ExternalAuthentication = { readonly ok: true; readonly viewer: Viewer; readonly user: UserRecord } | { readonly ok: false };

/** (issuer, subject) → user id, remembered per process: a link never changes once written. */
const links = new WeakMap<ExternalTokens, Map<string, string>>();
/** Per verified token (its identity object, remembered until exp): the linked user and the expanded roles, so a repeat request allocates nothing for them. */
const resolved = new WeakMap<ExternalIdentity, { readonly userId: string; readonly roles: readonly string[] }>();
/** Built only when `resolved` has no entry, so a repeat request does not pay for the string. */
const linkKeyOf = (identity: ExternalIdentity): string => `${identity.issuer}\n${identity.subject}`;

/**
 * A provider token: verified against its issuer's keys, then the linked user (created on first
 * use) is read through the store's lookups like any gatehouse credential. Whether that user may
 * act (not disabled) is authenticate.ts's decision, as for every credential. Roles and scopes come
 * from the token, not the users row.
 */
export async function authenticateExternal(
  app: App,
  external: ExternalTokens,
  token: string,
  recalled?: ExternalVerifyResult,
  relinking = false,
): Promise<ExternalAuthentication> {
  const verified = recalled ?? (await external.verify(token, app.now()));
  if (!verified.ok) return { ok: false };
  const { identity } = verified;
  let known = links.get(external);
  if (known === undefined) links.set(external, (known = new Map()));
  let found = resolved.get(identity);
  if (found === undefined) {
    const linkKey = linkKeyOf(identity);
    const userId = known.get(linkKey) ?? (await linkExternalUser(app.store.db, identity, app.now()));
    known.set(linkKey, userId);
    resolved.set(identity, (found = { userId, roles: rolesOfAll(identity.roles) }));
  }
  const user = await app.store.lookups.userById(found.userId);
  if (user === undefined) {
    // The user was deleted (its link with it): forget what this process remembered and link a new
    // user now, once, so the valid token that arrives first after the delete is not refused.
    known.delete(linkKeyOf(identity));
    resolved.delete(identity);
    return relinking ? { ok: false } : authenticateExternal(app, external, token, verified, true);
  }
  return { ok: true, user, viewer: { id: user.id, roles: found.roles, via: 'external', scopes: identity.scopes } };
}
