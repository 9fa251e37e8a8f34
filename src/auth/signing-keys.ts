// Decides what gatehouse's signing keys are and what may be done with them: the kid of a key, which
// key signs (the newest not retired whose signing time has come), which keys are published (the
// next key, ahead of its signing time, and those that may still verify a live token), and whether a
// key may be retired (not while a token it signed may still be live). Pure functions over the rows
// of src/store/signing-keys.ts, apart from making a new key.
//
// Two rotations. `gatehouse keys rotate` (the contract's): the new key signs from now on, on every
// instance within seconds; a verifier caching the JWKS meets its kid before it has fetched it.
// `keys rotate --publish-first` keeps this rule: a verifier that fetches the JWKS at most every
// JWKS_MAX_AGE seconds (the Cache-Control max-age gatehouse sends) never meets a kid it has not
// seen. It makes the next key with `signsFrom` = now + JWKS_MAX_AGE + KEY_PROPAGATION_SECONDS
// (`nextKeySignsFrom`): every instance publishes it within KEY_PROPAGATION_SECONDS, every polling
// verifier has it JWKS_MAX_AGE later, and only then does any instance sign with it. Instances switch
// by their clocks, not by a signal, so they switch together.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { open, seal } from './key-encryption';

/** The algorithms gatehouse signs its own access tokens with (JWT_ALGORITHM). */
export type SigningAlgorithm = 'ES256' | 'HS256';

/** A row of signing_keys (src/store/signing-keys.ts reads and writes them). */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly algorithm: string;
  /** The public key as a JWK, JSON. */
  readonly publicJwk: string;
  /** The private key, sealed (src/auth/key-encryption.ts). */
  readonly privateKey: string;
  readonly createdAt: Date;
  /** When it starts signing (the newest key not retired whose time has come signs). */
  readonly signsFrom: Date;
  readonly retiredAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'retiredAt'>;

/** Whether `a` took over signing after `b` (later signing time; ties by kid, so every instance agrees). */
function after(a: SigningKeyRecord, b: SigningKeyRecord): boolean {
  return a.signsFrom > b.signsFrom || (+a.signsFrom === +b.signsFrom && a.kid > b.kid);
}

/**
 * Longest an instance may go without knowing a change to the keys (a new key, a retirement) when no
 * change signal reaches it: the key ring reloads at least this often (key-ring.ts), plus a second of
 * slack. Counted into a replaced key's last signing time, and into how far ahead of its signing
 * time the next key is published.
 */
export const KEY_PROPAGATION_SECONDS = 6;

export interface KeyTiming {
  /** ACCESS_TOKEN_TTL. */
  readonly accessTokenTtlSeconds: number;
  /** JWT_CLOCK_TOLERANCE: a verifier accepts a token this much past its exp. */
  readonly clockToleranceSeconds: number;
}

/** RFC 7638 thumbprint of an EC public JWK: the kid, the same wherever it is computed. */
export function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The kid of tokens signed with an HS256 secret: a hash that names the secret without revealing it. */
export function hs256Kid(secret: string): string {
  return `hs256-${createHash('sha256').update(`gatehouse hs256 kid\0${secret}`).digest('base64url').slice(0, 22)}`;
}

/**
 * When the key a rotation at `now` makes starts signing. `immediately` (plain `keys rotate`): at
 * `now`. Otherwise (`keys rotate --publish-first`): once every instance publishes it
 * (KEY_PROPAGATION_SECONDS) and every verifier polling at the JWKS max-age has fetched it.
 */
export function nextKeySignsFrom(now: Date, jwksMaxAgeSeconds: number, immediately: boolean): Date {
  return immediately ? now : new Date(now.getTime() + (jwksMaxAgeSeconds + KEY_PROPAGATION_SECONDS) * 1000);
}

/** A new P-256 key made at `now` that signs from `signsFrom` (default `now`), its private half sealed with `secret`. */
export function makeSigningKey(secret: string, now: Date, signsFrom: Date = now): NewSigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = thumbprint(jwk);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { kid, algorithm: 'ES256', publicJwk: JSON.stringify(jwk), privateKey: seal(secret, kid, der), createdAt: now, signsFrom };
}

export function publicKeyOf(record: SigningKeyRecord): KeyObject {
  return createPublicKey({ key: JSON.parse(record.publicJwk) as JsonWebKey, format: 'jwk' });
}

/** SealedKeyError when `secret` is not the one the key was sealed with. */
export function privateKeyOf(record: SigningKeyRecord, secret: string): KeyObject {
  return createPrivateKey({ key: open(secret, record.kid, record.privateKey), format: 'der', type: 'pkcs8' });
}

/**
 * The key that signs at `now`: the newest one not retired whose signing time has come (ties by kid,
 * so every instance picks the same). When none has come yet (a clock behind the one that made the
 * keys), the earliest of those waiting, so that something always signs.
 */
export function signingRecord(records: readonly SigningKeyRecord[], now: Date): SigningKeyRecord | undefined {
  let newest: SigningKeyRecord | undefined;
  let earliest: SigningKeyRecord | undefined;
  for (const r of records) {
    if (r.retiredAt !== null) continue;
    if (r.signsFrom <= now) {
      if (newest === undefined || after(r, newest)) newest = r;
    } else if (earliest === undefined || after(earliest, r)) earliest = r;
  }
  return newest ?? earliest;
}

/** Whether `record` waits to sign at `now`: published, not signing yet, no token signed with it. */
export function isNext(record: SigningKeyRecord, now: Date): boolean {
  return record.retiredAt === null && record.signsFrom > now;
}

/**
 * Until when a token signed with `record` may be live: undefined while no later key took over
 * (or is due to); otherwise the first successor's signing time, plus the propagation allowance, the
 * token lifetime and the tolerance. A successor retired before its signing time never took over.
 */
export function liveUntil(records: readonly SigningKeyRecord[], record: SigningKeyRecord, timing: KeyTiming): Date | undefined {
  const successors = records.filter((r) => after(r, record) && (r.retiredAt === null || r.retiredAt > r.signsFrom));
  if (successors.length === 0) return undefined;
  const replacedAt = Math.min(...successors.map((r) => r.signsFrom.getTime()));
  const seconds = KEY_PROPAGATION_SECONDS + timing.accessTokenTtlSeconds + timing.clockToleranceSeconds;
  return new Date(replacedAt + seconds * 1000);
}

/** The keys a remote verifier needs: not retired, and signing, due to sign, or with tokens that may be live. */
export function publishedRecords(records: readonly SigningKeyRecord[], now: Date, timing: KeyTiming): SigningKeyRecord[] {
  return records.filter((r) => {
    if (r.retiredAt !== null) return false;
    const until = liveUntil(records, r, timing);
    return until === undefined || now < until;
  });
}

export type RetireDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown' | 'retired' | 'signing' }
  | { readonly ok: false; readonly reason: 'live'; readonly liveUntil: Date };

/**
 * Whether `kid` may be retired now. Never the key that signs (rotate first: retiring it would leave
 * no key to sign with); a next key not signing yet at once (no token carries it); others not while
 * their tokens may be live unless `force` (a leaked key: its tokens are then refused at once).
 */
export function retireDecision(
  records: readonly SigningKeyRecord[],
  kid: string,
  now: Date,
  timing: KeyTiming,
  force: boolean,
): RetireDecision {
  const record = records.find((r) => r.kid === kid);
  if (record === undefined) return { ok: false, reason: 'unknown' };
  if (record.retiredAt !== null) return { ok: false, reason: 'retired' };
  if (signingRecord(records, now) === record) return { ok: false, reason: 'signing' };
  if (isNext(record, now)) return { ok: true };
  const until = liveUntil(records, record, timing);
  if (until === undefined) return { ok: false, reason: 'signing' };
  if (now < until && !force) return { ok: false, reason: 'live', liveUntil: until };
  return { ok: true };
}

/** The JWK a verifier reads for this key. */
export function publishedJwk(record: SigningKeyRecord): Readonly<Record<string, string>> {
  const jwk = JSON.parse(record.publicJwk) as Record<string, string>;
  return {
    kty: jwk['kty'] as string,
    crv: jwk['crv'] as string,
    x: jwk['x'] as string,
    y: jwk['y'] as string,
    kid: record.kid,
    alg: 'ES256',
    use: 'sig',
  };
}
