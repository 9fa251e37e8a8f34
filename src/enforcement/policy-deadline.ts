// A time bound on `@policy` functions. A policy that returns a promise (or any thenable) that never
// settles (a lost database connection, a lock, a forgotten `resolve`) held its request open for good:
// no answer, no timeout (Node's requestTimeout bounds only the request's arrival), and a SIGTERM
// waiting for it. Past `timeoutMs` such a policy now rejects, and a rejection denies (FORBIDDEN,
// "it could not decide"), logged with the request id like any failed policy (policies.ts). A
// policy that answers synchronously costs nothing more: only a thenable gets a timer.
// Pure; no Apollo, no store.
import type { BatchPolicy, Policies, Policy, PolicyFunction, PolicyInput } from './policies';

/** What a policy that did not settle in time is rejected with (logged, never sent). */
export class PolicyTimeoutError extends Error {
  override readonly name = 'PolicyTimeoutError';
  constructor(
    readonly policy: string,
    readonly timeoutMs: number,
  ) {
    super(`policy "${policy}" did not settle within ${timeoutMs} ms (POLICY_TIMEOUT_MS)`);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `result` itself when it is no thenable; else a promise of it that rejects after `timeoutMs`. */
function bounded<T>(result: T | PromiseLike<T>, name: string, timeoutMs: number): T | Promise<T> {
  if (!isThenable(result)) return result;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PolicyTimeoutError(name, timeoutMs)), timeoutMs);
    // A pending policy never keeps the process alive by itself.
    timer.unref();
    Promise.resolve(result).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function boundedPolicy(name: string, policy: Policy, timeoutMs: number): Policy {
  if (typeof policy === 'function') {
    const fn: PolicyFunction = (input: PolicyInput) => bounded(policy(input), name, timeoutMs);
    return fn;
  }
  if (typeof policy?.batch !== 'function') return policy; // policies.ts reports and denies it.
  const batch: BatchPolicy = { batch: (inputs) => bounded(policy.batch(inputs), name, timeoutMs) };
  return batch;
}

/** `policies` with each one's thenable answers bounded by `timeoutMs`; unchanged without a bound. */
export function withPolicyDeadline(policies: Policies, timeoutMs: number | undefined): Policies {
  if (timeoutMs === undefined) return policies;
  // fromEntries defines each name as its own property, "__proto__" included (assignment would not).
  return Object.fromEntries(Object.entries(policies).map(([name, policy]) => [name, boundedPolicy(name, policy, timeoutMs)]));
}
