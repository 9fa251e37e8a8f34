import type { FailureWindow } from '../store/login-failures';

export interface ThrottlePolicy {
  /** Failures per account within `windowMs` that lock it. */
  readonly perAccount: number;
  /** Failures per client address within `windowMs` that lock it. */
  readonly perAddress: number;
  readonly windowMs: number;
  /** The longest a lockout lasts, however often it repeats. */
  readonly maxLockMs: number;
}

/** How far back failures count toward the back-off. */
export const BACK_OFF_HORIZON_MS = 24 * 3600 * 1000;

/**
 * When the next login attempt may be made, or null when it may be made now. Pure.
 *
 * - An account with `perAccount` failures in the window is locked until the oldest of them leaves
 *   it (docs/contract.md, "Running it": LOGIN_FAILURES_PER_ACCOUNT); an address likewise with `perAddress`.
 * - Exponential back-off for an account that keeps failing: with k × `perAccount` failures in the
 *   last 24 hours (k ≥ 2), it is locked for window × 2^(k−1) after its latest failure, at most
 *   `maxLockMs`. Five failures lock for 15 minutes, five more after that for 30, then 60, …
 *
 * The failure counts must leave out the attempt being decided.
 */
export function lockedUntil(
  policy: ThrottlePolicy,
  failures: { account: FailureWindow; accountDay: FailureWindow; address: FailureWindow },
): Date | null {
  const ends: number[] = [];
  if (failures.account.count >= policy.perAccount && failures.account.oldest)
    ends.push(failures.account.oldest.getTime() + policy.windowMs);
  if (failures.address.count >= policy.perAddress && failures.address.oldest)
    ends.push(failures.address.oldest.getTime() + policy.windowMs);
  const bursts = Math.floor(failures.accountDay.count / policy.perAccount);
  if (bursts >= 2 && failures.accountDay.newest) {
    ends.push(failures.accountDay.newest.getTime() + Math.min(policy.maxLockMs, policy.windowMs * 2 ** Math.min(bursts - 1, 30)));
  }
  return ends.length === 0 ? null : new Date(Math.max(...ends));
}
