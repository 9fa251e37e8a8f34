// Decides when an issuer's signing keys are fetched, and which set serves while the provider is
// unreachable (the last good one).
//
// The freshness rule: a key set is good for the provider's own Cache-Control max-age on its JWKS
// (kept between MIN_SET_AGE_MS and maxAgeMs; maxAgeMs when it sends none). From half that age on,
// a use refreshes it in the background; past it, a token (a remembered one too: tokens.ts) waits
// for the refresh before it is accepted, so a key the provider stopped publishing is trusted for
// at most its max-age after the provider dropped it. Only while the provider cannot be reached does
// the last good set serve on (logged), retried every cooldown.
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTHeaderParameters, type KeyLike } from 'jose';
import { isFetchableUrl } from './config';

/**
 * One issuer's signing keys. jose does the key selection and the cryptography (createLocalJWKSet);
 * this module decides when to fetch. jose's own remote set (5.x) throws when a refresh fails and
 * has no body-size limit, which is the failure its users report: one failed JWKS fetch locks out
 * valid tokens. Here the last good set keeps serving while the provider is unreachable.
 */
export interface KeyFetchOptions {
  /** Per request (discovery or JWKS). Default 5 s. */
  readonly timeoutMs: number;
  /** Largest discovery document or JWKS accepted. Default 512 KiB. */
  readonly maxBytes: number;
  /** After a fetch (good or failed), an unknown `kid` waits this long before the next one. Default 30 s. */
  readonly cooldownMs: number;
  /** Longest a set is used without a refresh, whatever the provider's Cache-Control says. Default 10 minutes. */
  readonly maxAgeMs: number;
  readonly now: () => number;
  readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export const DEFAULT_KEY_FETCH: Omit<KeyFetchOptions, 'now' | 'log'> = Object.freeze({
  timeoutMs: 5000,
  maxBytes: 512 * 1024,
  cooldownMs: 30_000,
  maxAgeMs: 10 * 60_000,
});

/**
 * A key set that cannot serve, or a token's `kid` not in it. `message` is fixed text (it keys the
 * refusal log's rate limit); `detail` is the caller-chosen value it is about, if any.
 */
export class KeyProblem extends Error {
  constructor(
    message: string,
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

/** Why a token is refused without a fetch: fixed text, and the token's `kid`. */
export interface KeyRefusal {
  readonly reason: string;
  readonly detail: string | null;
}

const UNKNOWN_KID = "kid is not in the issuer's key set";

/** The shortest max-age honoured: a provider saying less (or no-cache) is fetched at most this often per instance. */
export const MIN_SET_AGE_MS = 5_000;

/** The max-age a JWKS answer's Cache-Control gives, in ms; undefined without one. */
export function cacheMaxAgeMs(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  if (/(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?\s*(?:,|$)/i.exec(cacheControl);
  return match === null ? undefined : Number(match[1]) * 1000;
}

/** GET with a deadline and a size cap; JSON object (and the answer's Cache-Control) or a KeyProblem. */
async function fetchJson(url: string, options: KeyFetchOptions): Promise<{ json: Record<string, unknown>; cacheControl: string | null }> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new KeyProblem(
      `${url}: ${error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : 'unreachable'}`,
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new KeyProblem(`${url}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new KeyProblem(`${url}: larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > options.maxBytes) throw new KeyProblem(`${url}: larger than ${options.maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof KeyProblem) throw error;
    throw new KeyProblem(`${url}: the answer broke off`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new KeyProblem(`${url}: not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KeyProblem(`${url}: not a JSON object`);
  return { json: parsed as Record<string, unknown>, cacheControl: response.headers.get('cache-control') };
}

/** Only public asymmetric signing keys: an `oct` key in a provider's set must never verify anything. */
function usableKeys(set: Record<string, unknown>, url: string): JWK[] {
  if (!Array.isArray(set['keys'])) throw new KeyProblem(`${url}: no "keys" array`);
  return (set['keys'] as unknown[]).filter(
    (k): k is JWK =>
      typeof k === 'object' &&
      k !== null &&
      ['RSA', 'EC', 'OKP'].includes((k as JWK).kty as string) &&
      (k as JWK).d === undefined &&
      ((k as JWK).use === undefined || (k as JWK).use === 'sig'),
  );
}

export type KeySelector = (header: JWTHeaderParameters) => Promise<KeyLike | Uint8Array>;

export interface IssuerKeys {
  /** For jose's jwtVerify. Unknown `kid`: at most one fetch per cooldown, shared by every caller waiting. */
  readonly select: KeySelector;
  /**
   * Why a token with this `kid` would be refused without a fetch (unknown, and the cooldown not yet
   * passed), or null. Lets a flood of made-up kids be refused before any signature work.
   */
  refusedAtOnce(kid: string | undefined): KeyRefusal | null;
  /**
   * For every use of a remembered token (cheap): starts a background refresh from half the set's
   * max-age on; false once the set is past its max-age (the token must be verified again, waiting
   * for the refresh), unless the provider is unreachable and the last good set serves on.
   */
  maintain(): boolean;
  /**
   * Fetches the set when none is in hand yet (start-up), sharing a fetch already under way. Never
   * rejects: a failure is logged once, like any other, and the first token retries after the cooldown.
   */
  prefetch(): Promise<void>;
  /** Called with the `kid`s a refresh removed, so verified tokens signed with them are forgotten. */
  onRemoved(listener: (kids: readonly string[]) => void): void;
}

export function createIssuerKeys(issuer: string, explicitJwksUri: string | null, options: KeyFetchOptions): IssuerKeys {
  let jwksUri = explicitJwksUri;
  let local: ReturnType<typeof createLocalJWKSet> | null = null;
  let kids = new Set<string>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  /** The max-age of the set in hand (the freshness rule above). */
  let setMaxAgeMs = options.maxAgeMs;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | null = null;
  let failing = false;
  const removedListeners: ((kids: readonly string[]) => void)[] = [];

  async function discover(): Promise<string> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const { json: doc } = await fetchJson(url, options);
    // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one asked about.
    if (doc['issuer'] !== issuer) throw new KeyProblem(`${url}: names issuer ${JSON.stringify(doc['issuer'])}, not ${issuer}`);
    const uri = doc['jwks_uri'];
    if (typeof uri !== 'string') throw new KeyProblem(`${url}: no jwks_uri`);
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new KeyProblem(`${url}: jwks_uri is not a URL`);
    }
    if (!isFetchableUrl(parsed)) throw new KeyProblem(`${url}: jwks_uri must use https`);
    return uri;
  }

  async function load(): Promise<void> {
    attemptedAt = options.now();
    try {
      jwksUri ??= await discover();
      const answer = await fetchJson(jwksUri, options);
      const keys = usableKeys(answer.json, jwksUri);
      const said = cacheMaxAgeMs(answer.cacheControl);
      const set: JSONWebKeySet = { keys };
      const next = new Set(keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
      const removed = [...kids].filter((kid) => !next.has(kid));
      local = createLocalJWKSet(set);
      kids = next;
      loadedAt = options.now();
      setMaxAgeMs = Math.min(options.maxAgeMs, Math.max(MIN_SET_AGE_MS, said ?? options.maxAgeMs));
      if (failing) options.log.info({ issuer }, 'identity provider keys reachable again');
      failing = false;
      if (removed.length > 0) for (const listener of removedListeners) listener(removed);
    } catch (error) {
      // Logged once per outage; the last good set (if any) keeps serving.
      if (!failing) {
        options.log.warn(
          { issuer, problem: error instanceof Error ? error.message : String(error), servingLastGoodSet: local !== null },
          'identity provider keys unreachable',
        );
      }
      failing = true;
    }
  }

  function refresh(): Promise<void> {
    inflight ??= load().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  /** A failing provider is retried once per cooldown; meanwhile its last good set serves. */
  const mayFetch = (now: number): boolean => !failing || now - attemptedAt >= options.cooldownMs;
  /** Refreshes in the background from half the max-age on; whether the set in hand may serve without waiting. */
  function fresh(now: number): boolean {
    if (local === null) return false;
    const age = now - loadedAt;
    if (age > setMaxAgeMs / 2 && mayFetch(now)) void refresh();
    return age <= setMaxAgeMs || !mayFetch(now);
  }

  /**
   * A set past its max-age may be fetched again whatever the cooldown: an unknown kid then is most
   * likely the provider's next key, published since (a routine fetch is no reason to refuse it).
   */
  const stale = (now: number): boolean => local !== null && now - loadedAt > setMaxAgeMs && mayFetch(now);

  return {
    maintain: () => fresh(options.now()),
    prefetch: () => (local === null ? refresh() : Promise.resolve()),
    refusedAtOnce(kid) {
      const now = options.now();
      if (kid === undefined || kids.has(kid) || inflight !== null || now - attemptedAt >= options.cooldownMs || stale(now)) return null;
      return local === null ? { reason: 'no keys fetched yet (cooldown)', detail: null } : { reason: UNKNOWN_KID, detail: kid };
    },
    async select(header) {
      const now = options.now();
      const known = local !== null && (header.kid === undefined || kids.has(header.kid));
      if (known) {
        if (!fresh(now)) await refresh();
      } else if (inflight !== null) {
        await inflight;
      } else if (now - attemptedAt >= options.cooldownMs || stale(now)) {
        await refresh();
      }
      if (local === null) throw new KeyProblem(failing ? "the issuer's keys could not be fetched" : 'no keys fetched yet (cooldown)');
      if (header.kid !== undefined && !kids.has(header.kid)) throw new KeyProblem(UNKNOWN_KID, String(header.kid));
      return local(header);
    },
    onRemoved(listener) {
      removedListeners.push(listener);
    },
  };
}
