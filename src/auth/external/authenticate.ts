import type { App } from '../../app';
import type { Arrival } from '../../store/credential-lookups';
import { linkExternalUser } from '../../store/external-identities';
import type { UserRecord } from '../../store/users';
import { rolesOf, type Viewer } from '../viewer';
import type { ExternalTokens } from './tokens';

export type ExternalAuthentication =
  | { readonly ok: true; readonly viewer: Viewer; readonly user: UserRecord }
  | { readonly ok: false };

/** (issuer, subject) → user id, remembered per process: a link never changes once written. */
const links = new WeakMap<ExternalTokens, Map<string, string>>();

function expand(roles: readonly string[]): readonly string[] {
  if (roles.length === 1) return rolesOf(roles[0] as string);
  const all = new Set<string>();
  for (const role of roles) for (const r of rolesOf(role)) all.add(r);
  return [...all];
}

/**
 * A provider token: verified against its issuer's keys, then the linked user (created on first
 * use) is read through the store's lookups like any gatehouse credential, so a disabled user is
 * refused on the next request. Roles and scopes come from the token, not the users row.
 */
export async function authenticateExternal(app: App, external: ExternalTokens, token: string, arrival?: Arrival): Promise<ExternalAuthentication> {
  const verified = await external.verify(token, app.now());
  if (!verified.ok) return { ok: false };
  const { identity } = verified;
  let known = links.get(external);
  if (known === undefined) links.set(external, (known = new Map()));
  const linkKey = `${identity.issuer}\n${identity.subject}`;
  let userId = known.get(linkKey);
  if (userId === undefined) {
    userId = await linkExternalUser(app.store.db, identity, app.now());
    known.set(linkKey, userId);
  }
  const user = await app.store.lookups.userById(userId, arrival);
  if (user === undefined) {
    // The user was deleted (its link with it): the next request links a new one.
    known.delete(linkKey);
    return { ok: false };
  }
  if (user.disabledAt !== null) return { ok: false };
  return { ok: true, user, viewer: { id: user.id, roles: expand(identity.roles), via: 'external', scopes: identity.scopes } };
}
