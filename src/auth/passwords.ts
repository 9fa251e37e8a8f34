// Decides whether a password matches its stored scrypt hash, and how many hashes run at once (the
// rest wait in a bounded queue; beyond it, HashQueueFull).
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HashQueueFull } from '../errors';

/**
 * Hashes and checks passwords with scrypt, off the main thread (libuv's pool), so logins never block
 * requests. Each method rejects with HashQueueFull when no hash can be queued; nothing else is
 * expected.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `stored`. False for a malformed `stored`, after the same work as a real check. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Spends the same time as a real check (and meets a full queue the same way); used when the account does not exist. */
  verifyDummy(password: string): Promise<void>;
  /** Hashes waiting for a turn now (the gatehouse_password_hash_queue_depth gauge). */
  queueDepth(): number;
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

/**
 * At most `limit` tasks at once; the rest wait in order. Hashing at OWASP's cost takes a core for a
 * good part of a second: with one hash per spare core, the event loop keeps a core of its own and
 * requests that need no hash are not slowed by a wave of logins; the logins queue instead.
 */
function createLimiter(limit: number, maxWaiting: number): { run<T>(task: () => Promise<T>): Promise<T>; waiting(): number } {
  let running = 0;
  const waiting: Array<() => void> = [];
  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) {
      // A flood of sign-ups or logins must not queue without end: refuse, and say when to retry.
      if (waiting.length >= maxWaiting) throw new HashQueueFull(1);
      // The slot is handed over by the task that finishes (running is not decremented then), so a
      // newcomer cannot take it between the release and the waiter's turn.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return { run, waiting: () => waiting.length };
}

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function optionsFor(logN: number, r: number, p: number): ScryptOptions {
  const N = 2 ** logN;
  // scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is below OWASP's parameters.
  return { N, r, p, maxmem: 256 * N * r };
}

const STORED_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Hashes waiting for a turn before more are refused with HashQueueFull, unless told otherwise. */
export const MAX_WAITING_HASHES = 64;

export interface HasherLimits {
  /** Hashes computed at once. Default: cores − 1, at least 1. */
  readonly concurrency?: number;
  /** Hashes that may wait for a turn. Default MAX_WAITING_HASHES. */
  readonly maxWaiting?: number;
}

function encode(costLog2: number, salt: Buffer, key: Buffer): string {
  return `$scrypt$ln=${costLog2},r=${BLOCK_SIZE},p=${PARALLELISM}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
}

/**
 * scrypt with N = 2^costLog2, r = 8, p = 1 (OWASP's recommendation is costLog2 = 17). The parameters
 * are stored with each hash (`$scrypt$ln=17,r=8,p=1$salt$hash`), so raising the cost later keeps old
 * hashes verifiable.
 */
export function createPasswordHasher(costLog2: number, limits: HasherLimits = {}): PasswordHasher {
  const limiter = createLimiter(limits.concurrency ?? Math.max(1, availableParallelism() - 1), limits.maxWaiting ?? MAX_WAITING_HASHES);
  const limited = limiter.run;
  // What an unknown account's login is checked against: the format and cost of a real hash, a
  // random key that no password produces. Made here, with no hashing, so it exists from the start
  // and cannot fail: a check against it costs exactly what a real check costs, queue included.
  const dummy = encode(costLog2, randomBytes(SALT_LENGTH), randomBytes(KEY_LENGTH));
  /** The scrypt check of `password` against a stored hash already known to be well-formed. */
  const matches = async (password: string, match: RegExpExecArray): Promise<boolean> => {
    const [, ln, r, p, salt, expected] = match as unknown as [string, string, string, string, string, string];
    const expectedKey = Buffer.from(expected, 'base64');
    const key = await limited(() => scryptAsync(password, Buffer.from(salt, 'base64'), optionsFor(Number(ln), Number(r), Number(p))));
    return expectedKey.length === key.length && timingSafeEqual(expectedKey, key);
  };
  const dummyMatch = STORED_FORMAT.exec(dummy) as RegExpExecArray;
  const hasher: PasswordHasher = {
    queueDepth: limiter.waiting,
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const key = await limited(() => scryptAsync(password, salt, optionsFor(costLog2, BLOCK_SIZE, PARALLELISM)));
      return encode(costLog2, salt, key);
    },
    async verify(password, stored) {
      const match = STORED_FORMAT.exec(stored);
      // A hash no password can match (a provider-linked account's `!external`, a malformed or
      // absurdly costly one) still costs a real check, against the dummy: the answer must not
      // come back sooner than a wrong password's, or the timing tells which accounts exist and how.
      if (match === null || Number(match[1]) > 22) return matches(password, dummyMatch).then(() => false);
      return matches(password, match);
    },
    async verifyDummy(password) {
      await matches(password, dummyMatch);
    },
  };
  return hasher;
}
