// Decides how a token's successful verification is remembered, for gatehouse's own tokens (jwt.ts)
// and providers' (external/tokens.ts) alike: per process, until the token expires (plus the clock
// tolerance), at most VERIFIED_TOKENS_KEPT at once, the oldest dropped first. Failures are never
// kept. Whether a remembered token's user may still act is not this module's business: the user is
// looked up on every request (authenticate.ts), so only expiry can end an entry early enough.

/** Verified tokens remembered per process, for each kind of token. */
export const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * The signature's last 12 characters: ~70 bits of a MAC or signature nobody can choose without the
 * key. A hit also needs the whole token to be equal, so two tokens with one slot only displace each
 * other, and a forged token is never recalled. Keyed by the tail, not the whole token: hashing a
 * ~330-character string cost ~0.8 µs per lookup in a loop here; the short key and the comparison,
 * ~0.2 µs together. (Under 13 characters V8 copies a slice rather than pointing into the token,
 * which makes the key quick to hash.)
 */
const slotOf = (token: string): string => token.slice(-12);

export interface VerifiedTokens<V> {
  /** What was remembered for exactly this token, or undefined; an entry past its expiry is dropped. */
  recall(token: string, nowSeconds: number): V | undefined;
  /** Remembers a successful verification until `expiresAt` (epoch seconds) plus the tolerance. */
  remember(token: string, value: V, expiresAt: number): void;
  /** Drops every entry whose value passes `test` (a provider retired the key that signed it). */
  forgetWhere(test: (value: V) => boolean): void;
}

export function createVerifiedTokens<V>(toleranceSeconds: number): VerifiedTokens<V> {
  const entries = new Map<string, { readonly token: string; readonly value: V; readonly expiresAt: number }>();
  return {
    recall(token, nowSeconds) {
      const slot = slotOf(token);
      const entry = entries.get(slot);
      if (entry === undefined || entry.token !== token) return undefined;
      if (nowSeconds < entry.expiresAt + toleranceSeconds) return entry.value;
      entries.delete(slot);
      return undefined;
    },
    remember(token, value, expiresAt) {
      if (entries.size >= VERIFIED_TOKENS_KEPT) entries.delete(entries.keys().next().value as string);
      entries.set(slotOf(token), { token, value, expiresAt });
    },
    forgetWhere(test) {
      for (const [slot, entry] of entries) if (test(entry.value)) entries.delete(slot);
    },
  };
}
