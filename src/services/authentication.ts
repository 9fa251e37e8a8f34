// Authenticates a caller for every transport (HTTP's GraphQL route, the WebSocket handshake and
// its live re-check): asks src/auth/authenticate.ts, which reads and decides, and does the writes
// it returns (an API key's last use; a provider identity's first link, with its audit row).
import type { App } from '../app';
import {
  API_KEY_TOUCH_INTERVAL_MS,
  type Authentication,
  type AuthenticationSources,
  authenticate,
  type LinkExternalIdentity,
} from '../auth/authenticate';
import type { PresentedCredential } from '../auth/credentials';
import type { ExternalIdentity } from '../auth/external/tokens';
import { touchApiKey } from '../store/api-keys';
import { findLinkedUserId, linkExternalUser } from '../store/external-identities';

/**
 * The credential's viewer (or refusal). A provider identity seen for the first time is linked and
 * then decided like any other; two rounds are enough, since a link, once written, stays (unless
 * its user is deleted at that very moment: then the next request links again).
 */
export async function authenticateCaller(app: App, credential: PresentedCredential, requestId?: string): Promise<Authentication> {
  const sources = sourcesOf(app);
  let step = await authenticate(sources, credential, requestId);
  if (step.kind === 'link-first') {
    await link(app, sources, step.write);
    step = await authenticate(sources, credential, requestId);
    if (step.kind === 'link-first') return { ok: false, problem: 'invalid_token' };
  }
  if (step.write !== null) await touchApiKey(app.store.db, step.write.keyId, step.write.at, API_KEY_TOUCH_INTERVAL_MS);
  return step.authentication;
}

interface LinkMemory extends AuthenticationSources {
  remember(identity: ExternalIdentity, userId: string): void;
}

/** Per App: (issuer, subject) → user id, remembered per process; a link never moves to another user. */
const sourcesByApp = new WeakMap<App, LinkMemory>();

function sourcesOf(app: App): LinkMemory {
  let sources = sourcesByApp.get(app);
  if (sources === undefined) sourcesByApp.set(app, (sources = createSources(app)));
  return sources;
}

function createSources(app: App): LinkMemory {
  const { lookups } = app.store;
  const links = new Map<string, string>();
  /** Per verified token, so a repeat request does not build the key string. */
  const byIdentity = new WeakMap<ExternalIdentity, string>();
  const keyOf = (identity: ExternalIdentity): string => `${identity.issuer}\n${identity.subject}`;
  const remember = (identity: ExternalIdentity, userId: string): void => {
    if (links.size >= 10_000) links.clear();
    links.set(keyOf(identity), userId);
    byIdentity.set(identity, userId);
  };
  return {
    now: app.now,
    roles: app.roles,
    accessTokens: app.accessTokens,
    externalTokens: app.externalTokens,
    userById: (id) => lookups.userById(id),
    apiKeyBySecretHash: (hash) => lookups.apiKeyBySecretHash(hash),
    async linkedUserId(identity, fresh) {
      if (!fresh) {
        const known = byIdentity.get(identity) ?? links.get(keyOf(identity));
        if (known !== undefined) return known;
      } else {
        byIdentity.delete(identity);
        links.delete(keyOf(identity));
      }
      const stored = await findLinkedUserId(app.store.db, identity.issuer, identity.subject);
      if (stored !== undefined) remember(identity, stored);
      return stored;
    },
    remember,
  };
}

async function link(app: App, sources: LinkMemory, write: LinkExternalIdentity): Promise<void> {
  const userId = await linkExternalUser(app.store.db, write.identity, write.at);
  sources.remember(write.identity, userId);
}
