// `gatehouse keys list | rotate | retire`: the signing-key operations an operator runs, each
// audited. The decisions (which key signs, whether one may be retired) are src/auth/signing-keys.ts's.
import type { App } from '../app';
import { SealedKeyError } from '../auth/key-encryption';
import { isNext, liveUntil, makeSigningKey, nextKeySignsFrom, privateKeyOf, retireDecision, signingRecord } from '../auth/signing-keys';
import { insertSigningKey, listSigningKeys, retireSigningKey, type SigningKeyRecord } from '../store/signing-keys';
import { audit, type RequestOrigin } from './audit';

/** A key operation that was refused; the message says why and what to do. Nothing was changed. */
export class KeyOperationRefused extends Error {
  override readonly name = 'KeyOperationRefused';
  constructor(
    readonly code: 'HS256_CONFIGURED' | 'UNKNOWN_KEY' | 'ALREADY_RETIRED' | 'SIGNING_KEY' | 'TOKENS_MAY_BE_LIVE' | 'WRONG_SECRET',
    message: string,
  ) {
    super(message);
  }
}

export interface KeyListing {
  readonly key: SigningKeyRecord;
  /** `next`: published, signs from `key.signsFrom`. */
  readonly state: 'signing' | 'next' | 'verifying' | 'retired';
  /** Until when tokens it signed may be live; undefined while it signs or once retired. */
  readonly liveUntil: Date | undefined;
}

function timing(app: App) {
  return { accessTokenTtlSeconds: app.config.jwt.accessTokenTtlSeconds, clockToleranceSeconds: app.config.jwt.clockToleranceSeconds };
}

function requireEs256(app: App): void {
  if (app.config.jwt.algorithm !== 'ES256') {
    throw new KeyOperationRefused(
      'HS256_CONFIGURED',
      'JWT_ALGORITHM is HS256: its key is JWT_SECRET. Rotate it by moving the old value to JWT_SECRET_PREVIOUS and setting a new JWT_SECRET, or switch to JWT_ALGORITHM=ES256',
    );
  }
}

export async function listKeys(app: App): Promise<KeyListing[]> {
  const records = await listSigningKeys(app.store.db);
  const now = app.now();
  const signing = signingRecord(records, now);
  return records.map((key) => ({
    key,
    state: key.retiredAt !== null ? 'retired' : key === signing ? 'signing' : isNext(key, now) ? 'next' : 'verifying',
    liveUntil: key.retiredAt === null ? liveUntil(records, key, timing(app)) : undefined,
  }));
}

/**
 * Makes a new key that signs from now on (`keys rotate`, the contract's rotation): every instance
 * loads it within seconds, and a token naming a kid not held reloads the ring at once (key-ring.ts).
 * `publishFirst` (`keys rotate --publish-first`): published in the JWKS by every instance within
 * seconds, it signs from JWKS_MAX_AGE + KEY_PROPAGATION_SECONDS later (signing-keys.ts
 * `nextKeySignsFrom`), so a verifier polling the JWKS knows it before its first token. The older keys keep verifying until retired, so nobody is signed out.
 * Refused when SIGNING_KEYS_SECRET does not open the current key: the new key would be sealed with
 * a secret the other instances lack.
 */
export async function rotateKey(
  app: App,
  origin: RequestOrigin,
  signingKeysSecret: string,
  publishFirst = false,
): Promise<SigningKeyRecord> {
  requireEs256(app);
  const now = app.now();
  const records = await listSigningKeys(app.store.db);
  const current = signingRecord(records, now);
  if (current !== undefined) {
    try {
      privateKeyOf(current, signingKeysSecret);
    } catch (error) {
      if (error instanceof SealedKeyError) throw new KeyOperationRefused('WRONG_SECRET', error.message);
      throw error;
    }
  }
  const key = makeSigningKey(signingKeysSecret, now, nextKeySignsFrom(now, app.config.jwt.jwksMaxAgeSeconds, !publishFirst));
  await insertSigningKey(app.store.db, key, false);
  await audit(app, origin, 'signing_key.rotated', {
    detail: { kid: key.kid, previousKid: current?.kid ?? null, signsFrom: key.signsFrom.toISOString() },
  });
  return { ...key, retiredAt: null };
}

/**
 * Retires `kid`: every instance refuses its tokens from the next request, and it leaves the JWKS.
 * Refused for the key that signs (rotate first), and while a token it signed may be live unless
 * `force` (a leaked key: its holders are signed out). A next key not signing yet retires at once.
 */
export async function retireKey(app: App, origin: RequestOrigin, kid: string, force: boolean): Promise<SigningKeyRecord> {
  requireEs256(app);
  const now = app.now();
  const records = await listSigningKeys(app.store.db);
  const decision = retireDecision(records, kid, now, timing(app), force);
  if (!decision.ok) {
    switch (decision.reason) {
      case 'unknown':
        throw new KeyOperationRefused('UNKNOWN_KEY', `no signing key ${kid}`);
      case 'retired':
        throw new KeyOperationRefused('ALREADY_RETIRED', `signing key ${kid} is retired already`);
      case 'signing':
        throw new KeyOperationRefused('SIGNING_KEY', `signing key ${kid} signs new tokens; run \`gatehouse keys rotate\` first`);
      case 'live':
        throw new KeyOperationRefused(
          'TOKENS_MAY_BE_LIVE',
          `tokens signed with ${kid} may be live until ${decision.liveUntil.toISOString()}; retire it then, or now with --force (their holders must sign in again)`,
        );
    }
  }
  if (!(await retireSigningKey(app.store.db, kid, now)))
    throw new KeyOperationRefused('ALREADY_RETIRED', `signing key ${kid} is retired already`);
  await audit(app, origin, 'signing_key.retired', { detail: { kid, forced: force } });
  return { ...(records.find((r) => r.kid === kid) as SigningKeyRecord), retiredAt: now };
}
