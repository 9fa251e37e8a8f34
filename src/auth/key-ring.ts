// Holds the keys gatehouse's own access tokens are signed and verified with, in memory, so that
// verifying a token never queries the database (jwt.ts), and decides how fresh they are.
//
// The rule: a token whose key was retired is refused by every instance from the first request that
// starts after the retirement committed; a key made by any instance verifies on every instance
// from its first token. How it holds:
// - The ES256 keys live in `signing_keys` (src/store/signing-keys.ts). The ring loads them at
//   start-up (making the first key when there is none, race-safe) and again whenever the store's
//   change signal announces a change to them (src/store/credential-lookups.ts: on PostgreSQL a
//   `signing_keys:<kid>` notification from the table's trigger).
// - A change that only may touch them (on SQLite any commit, seen through `PRAGMA data_version`; on
//   PostgreSQL the signal lost or re-established), a token naming a kid not held, and a tick every
//   RELOAD_INTERVAL_MS whatever the signal says (it may be down, or absent with
//   CREDENTIAL_CACHE_SIZE=0) first read the keys' version (`SigningKeySource.version`: kid, signing
//   time, retirement of each, no key material) and reload only when it differs from the loaded
//   one. So a failed login on SQLite (a commit) costs that small read, not a reload.
// - Authentication asks `trusts(kid)` after its user lookup, which settled the change signal: a
//   retirement committed before the request was announced by then, and `trusts` waits for the
//   reload it started. Remembered verifications (verified-tokens.ts) go through the same question,
//   and are forgotten when their key goes.
// - A token naming a kid the ring does not hold makes it reload once (shared by concurrent callers)
//   before the token is refused: the key may have been made a moment ago by another instance
//   (plain `keys rotate`; a `rotate --publish-first` key is loaded long before it signs). At most once per
//   LEARN_COOLDOWN_MS, so that tokens with made-up kids cannot keep the database busy.
// - Which key signs is asked per token, by the clock (signing-keys.ts `signingRecord`): the next
//   key `keys rotate --publish-first` made is loaded (and published) long before its signing time, so every
//   instance switches to it at that time without any signal.
// HS256 keys come from configuration (JWT_SECRET, JWT_SECRET_PREVIOUS) and never change while the
// process runs.
import { createSecretKey, type KeyObject } from 'node:crypto';
import {
  hs256Kid,
  type KeyTiming,
  makeSigningKey,
  privateKeyOf,
  publicKeyOf,
  publishedJwk,
  publishedRecords,
  type NewSigningKey,
  type SigningAlgorithm,
  type SigningKeyRecord,
  signingRecord,
} from './signing-keys';

/**
 * Where the ES256 keys are kept (app.ts gives src/store/signing-keys.ts's functions), and the
 * store's change signal.
 */
export interface SigningKeySource {
  list(): Promise<readonly SigningKeyRecord[]>;
  /** A cheap fingerprint of what `list` answers: equal while no key is made, retired or rescheduled. */
  version(): Promise<string>;
  /** Inserts `key` only while no key is active; whether it was inserted (race-safe across instances). */
  insertFirst(key: NewSigningKey): Promise<boolean>;
  /** `certain`: the change is to the keys; otherwise it may be (SQLite: any commit). */
  onChange(listener: (certain: boolean) => void): void;
}

/** The ring reloads at least this often (see KEY_PROPAGATION_SECONDS in signing-keys.ts). */
export const RELOAD_INTERVAL_MS = 5_000;

/** A token naming a kid not held reloads the keys at most this often (real time, whatever `now` says). */
export const LEARN_COOLDOWN_MS = 1_000;

export interface VerificationKey {
  /** null: HS256 tokens issued before tokens carried a kid. */
  readonly kid: string | null;
  readonly algorithm: SigningAlgorithm;
  readonly key: KeyObject;
}

export interface SigningKey {
  readonly kid: string;
  readonly algorithm: SigningAlgorithm;
  readonly key: KeyObject;
}

export interface KeyRing {
  readonly algorithm: SigningAlgorithm;
  /** Loads the keys (ES256: makes the first one); SealedKeyError when SIGNING_KEYS_SECRET does not open them. */
  ready(): Promise<void>;
  /** The key new tokens are signed with. */
  signing(): SigningKey;
  /** The keys that may verify a token naming `kid` (none: unknown or retired). */
  verifying(kid: string | null): readonly VerificationKey[];
  /** Reloads once when `kid` is not held (shared by concurrent callers); resolves when done. */
  learn(kid: string): Promise<void>;
  /** Whether tokens naming `kid` verify, once every change announced so far is loaded. */
  trusts(kid: string | null): boolean | Promise<boolean>;
  /** The public JWKs a verifier needs now (published-records rule in signing-keys.ts). */
  published(): readonly Readonly<Record<string, string>>[];
  /** Called with each kid that stops verifying (retired, or gone). */
  onForget(listener: (kid: string) => void): void;
  close(): void;
}

export interface KeyRingOptions {
  readonly algorithm: SigningAlgorithm;
  /** JWT_SECRET: signs with HS256; verifies only with ES256. */
  readonly hsSecret: string | null;
  readonly hsPreviousSecret: string | null;
  /** ES256: opens the private keys. */
  readonly signingKeysSecret: string | null;
  readonly timing: KeyTiming;
  readonly now: () => Date;
  /** ES256: where the keys are, and the store's change signal (any change that may touch them). */
  readonly store?: SigningKeySource;
  /**
   * Tooling (`gatehouse token explain`): loads the keys to verify with, never makes one and never
   * opens a private key, so SIGNING_KEYS_SECRET is not needed; `signing()` throws.
   */
  readonly verifyOnly?: boolean;
}

function hsKeys(options: KeyRingOptions): Map<string | null, VerificationKey[]> {
  const keys = new Map<string | null, VerificationKey[]>();
  const legacy: VerificationKey[] = [];
  for (const secret of [options.hsSecret, options.hsPreviousSecret]) {
    if (secret === null) continue;
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(hs256Kid(secret), [{ kid: hs256Kid(secret), algorithm: 'HS256', key }]);
    legacy.push({ kid: null, algorithm: 'HS256', key });
  }
  if (legacy.length > 0) keys.set(null, legacy);
  return keys;
}

/** HS256: the configured secrets, which never change while the process runs. */
function hsRing(options: KeyRingOptions, hs: Map<string | null, VerificationKey[]>): KeyRing {
  const secret = options.hsSecret;
  if (secret === null) throw new TypeError('createKeyRing: HS256 needs a secret');
  const signing: SigningKey = { kid: hs256Kid(secret), algorithm: 'HS256', key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return {
    algorithm: 'HS256',
    ready: async () => undefined,
    signing: () => signing,
    verifying: (kid) => hs.get(kid) ?? [],
    learn: async () => undefined,
    trusts: (kid) => hs.has(kid),
    published: () => [],
    onForget: () => undefined,
    close: () => undefined,
  };
}

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const hs = hsKeys(options);
  if (options.algorithm === 'HS256') return hsRing(options, hs);
  const forgetListeners: ((kid: string) => void)[] = [];
  const { store, signingKeysSecret } = options;
  const verifyOnly = options.verifyOnly === true;
  if (store === undefined || (signingKeysSecret === null && !verifyOnly))
    throw new TypeError('createKeyRing: ES256 needs the store and SIGNING_KEYS_SECRET');

  let records: readonly SigningKeyRecord[] = [];
  let active = new Map<string, VerificationKey[]>();
  let loadedOnce = false;
  /** Announcements so far, the last one certain to be a change of the keys, and the one the last finished load started after. */
  let announced = 0;
  let certainAt = 0;
  let loaded = -1;
  /** The version (`SigningKeySource.version`) read just before the records held were listed. */
  let loadedVersion: string | undefined;
  let loading: Promise<void> | undefined;
  let learnedAt = Number.NEGATIVE_INFINITY;

  const publicKeys = new Map<string, KeyObject>();
  /** Private keys opened so far (or why one does not open), by kid. */
  const privateKeys = new Map<string, SigningKey | Error>();
  /**
   * The key that signs now (signing-keys.ts `signingRecord`): asked per token, because a next key
   * takes over at its signing time on every instance at once, with no signal. A key whose private
   * half SIGNING_KEYS_SECRET does not open fails loudly; verification goes on with the public keys.
   */
  const currentSigning = (): SigningKey | Error => {
    if (!loadedOnce) return new TypeError('signing keys not loaded yet (KeyRing.ready)');
    if (signingKeysSecret === null) return new TypeError('a verify-only key ring signs nothing');
    const current = signingRecord(records, options.now());
    if (current === undefined) return new TypeError('no signing key');
    let key = privateKeys.get(current.kid);
    if (key === undefined) {
      try {
        key = { kid: current.kid, algorithm: 'ES256', key: privateKeyOf(current, signingKeysSecret) };
      } catch (error) {
        key = error as Error;
      }
      privateKeys.set(current.kid, key);
    }
    return key;
  };
  const install = (next: readonly SigningKeyRecord[]): void => {
    const nextActive = new Map<string, VerificationKey[]>();
    for (const record of next) {
      if (record.retiredAt !== null) continue;
      let key = publicKeys.get(record.kid);
      if (key === undefined) publicKeys.set(record.kid, (key = publicKeyOf(record)));
      nextActive.set(record.kid, [{ kid: record.kid, algorithm: 'ES256', key }]);
    }
    const gone = [...active.keys()].filter((kid) => !nextActive.has(kid));
    records = next;
    active = nextActive;
    loadedOnce = true;
    for (const kid of gone) {
      privateKeys.delete(kid);
      for (const listener of forgetListeners) listener(kid);
    }
  };
  const loadOnce = async (): Promise<void> => {
    const startedAt = announced;
    const mustList = certainAt > loaded || loadedVersion === undefined;
    // Read before the list: a change committed in between makes the next comparison differ.
    let version = await store.version();
    if (mustList || version !== loadedVersion) {
      let next = await store.list();
      if (signingKeysSecret !== null && signingRecord(next, options.now()) === undefined) {
        // First start, or every key retired from a database shell: one instance makes the key.
        await store.insertFirst(makeSigningKey(signingKeysSecret, options.now()));
        version = await store.version();
        next = await store.list();
      }
      install(next);
      loadedVersion = version;
    }
    loaded = Math.max(loaded, startedAt);
  };
  /** Resolves once a load that started after every announcement so far has finished. */
  const fresh = (): Promise<void> => {
    if (loaded >= announced) return Promise.resolve();
    loading ??= (async () => {
      try {
        while (loaded < announced) await loadOnce();
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };
  /** `certain`: reload whatever the version says; otherwise reload only if the version changed. */
  const announce = (certain: boolean): void => {
    announced++;
    if (certain) certainAt = announced;
    void fresh().catch(() => undefined); // a failed load is retried by the next question or tick
  };
  store.onChange(announce);
  const timer = setInterval(() => announce(false), RELOAD_INTERVAL_MS);
  timer.unref();

  return {
    algorithm: 'ES256',
    async ready() {
      announce(true);
      await fresh();
      if (verifyOnly) return;
      const signing = currentSigning();
      if (signing instanceof Error) throw signing;
    },
    signing() {
      const signing = currentSigning();
      if (signing instanceof Error) throw signing;
      return signing;
    },
    verifying: (kid) => (kid === null ? hs.get(null) : (active.get(kid) ?? hs.get(kid))) ?? [],
    async learn(kid) {
      if (active.has(kid) || hs.has(kid)) return;
      const at = performance.now();
      if (at - learnedAt >= LEARN_COOLDOWN_MS) {
        learnedAt = at;
        announce(false);
      }
      await fresh();
    },
    trusts(kid) {
      if (kid === null || hs.has(kid)) return hs.has(kid);
      if (loaded >= announced) return active.has(kid);
      return fresh().then(() => active.has(kid));
    },
    published: () => publishedRecords(records, options.now(), options.timing).map(publishedJwk),
    onForget: (listener) => forgetListeners.push(listener),
    close: () => clearInterval(timer),
  };
}
