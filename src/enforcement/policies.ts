// `@policy`: rules written as functions by the application and named in the schema
// (docs/protecting-fields.md, "Rules that need code"; contract: Authorization › Policies).
//
// The decision, as a contract:
// - `@policy(policies: [["a", "b"], ["c"]])` passes when every policy of at least one inner list
//   returns exactly `true` (the shape of Apollo Federation's `@policy`). A type's and a field's
//   `@policy` both apply. Anything but `true` denies: `false`, a truthy non-boolean, a throw, a
//   rejection (fail closed). A failure is logged with the request id and the policy's name, never sent.
// - A policy runs at most once per (policy, object) in a request (per (policy, object, field,
//   arguments) for a field with arguments: a verdict reached with `redacted: true` must not answer
//   `redacted: false`, seen 2026-12-06): the verdict is remembered on the
//   request's context (or on the scope a subscription sets per event, as ownership.ts does), keyed
//   by the object itself; on a root field, where there is no object, by the field's response key,
//   so the mutation gate's decision is the one the resolver uses.
// - A `{ batch }` policy gets every object asked about in one tick of one request in one call: a list
//   of 10,000 items costs one call (and so one database read, if the policy reads), not 10,000.
// - Denied: UNAUTHENTICATED for an anonymous caller, FORBIDDEN for a signed-in one; a policy that
//   failed gives FORBIDDEN whoever asks.
// Pure graphql-js; no Apollo, no store.
import type { GraphQLError } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { Denial, forbidden, unauthenticated } from './denials';
import {
  argumentsKey,
  FAILED,
  type ItemPath,
  indexPrimed,
  keepPrimed,
  knownVerdict,
  type Outcome,
  PendingVerdict,
  type PolicyState,
  primedVerdict,
  scopeOf,
  stateIn,
  stateOf,
  type Verdict,
} from './policy-verdicts';

/** One `@policy(policies: …)`: an OR of AND lists of policy names. */
export type PolicyAlternatives = readonly (readonly string[])[];

/** What a policy is asked about. */
export interface PolicyInput<TObject = any, TContext = any> {
  /** The caller, or null when anonymous. */
  readonly viewer: Viewer | null;
  /** On an object's field, the object (the parent); on a root field, undefined. */
  readonly object: TObject | undefined;
  /**
   * The field's arguments. On an object's field that has none, `{}`, and the verdict holds for every
   * such field of the object; on one with arguments, the verdict holds for that field with exactly
   * these arguments.
   */
  readonly args: Readonly<Record<string, any>>;
  /** The request's context (`context.db`, `context.loadUser`, your loaders …). */
  readonly context: TContext;
  /** The field the policy is decided for, `Type.field` (the first one that asked, for an object). */
  readonly coordinate: string;
}

/** A policy deciding one object at a time: exactly `true` lets the caller through. */
export type PolicyFunction = (input: PolicyInput) => boolean | Promise<boolean>;

/**
 * A policy deciding every object asked about in one tick of one request in one call: one verdict per
 * input, in order (load what you need with one query for all of them).
 */
export interface BatchPolicy {
  readonly batch: (inputs: readonly PolicyInput[]) => readonly boolean[] | Promise<readonly boolean[]>;
}

export type Policy = PolicyFunction | BatchPolicy;

/** The application's policies, by the name `@policy` gives them. */
export type Policies = Readonly<Record<string, Policy>>;

/** The schema names policies the application does not define; thrown at start-up. */
export class UnknownPolicyError extends TypeError {
  override readonly name = 'UnknownPolicyError';
  constructor(readonly unknown: readonly { readonly policy: string; readonly coordinate: string }[]) {
    super(
      `@policy names ${unknown.length === 1 ? 'a policy' : 'policies'} the application does not define: ` +
        `${unknown.map((u) => `"${u.policy}" (on ${u.coordinate})`).join(', ')}. Add them to the policies option.`,
    );
  }
}

/** Refuses lists that would pass everyone (`[[]]`) or no one by accident (`[]`). */
export function assertPolicyAlternatives(alternatives: PolicyAlternatives, coordinate: string): void {
  if (alternatives.length === 0 || alternatives.some((group) => group.length === 0))
    throw new TypeError(`${coordinate}: @policy(policies: …) needs at least one list, and no list may be empty.`);
}

interface PolicyLog {
  error(details: object, message: string): void;
}

/** Logs a failed policy on the request's logger (it carries the request id), else on stderr. Never sent. */
function reportFailure(context: unknown, policy: string, coordinate: string, error: unknown): void {
  const { log, requestId } = (context ?? {}) as { log?: PolicyLog; requestId?: string };
  const details = { err: error, policy, coordinate, requestId };
  if (log !== undefined && typeof log.error === 'function') log.error(details, 'policy failed: the caller is denied');
  else console.error(`gatehouse: policy "${policy}" failed on ${coordinate} (request ${requestId ?? 'unknown'}); denied:`, error);
}

/** Runs `fn` on the next tick after the promise jobs queued now (as DataLoader does), so chained asks join the batch. */
function afterThisTick(fn: () => void): void {
  void Promise.resolve().then(() => process.nextTick(fn));
}

/**
 * One call of a batch policy: its verdicts, synchronously when the policy answers synchronously (a
 * list then needs no promise at all), else a promise of them. Never rejects: a failure is logged
 * and every input is FAILED.
 */
function runBatch(policy: BatchPolicy, name: string, inputs: readonly PolicyInput[]): readonly Outcome[] | Promise<readonly Outcome[]> {
  const failed = (error: unknown): readonly Outcome[] => {
    reportFailure(inputs[0]?.context, name, inputs[0]?.coordinate ?? '?', error);
    return inputs.map(() => FAILED);
  };
  const verdicts = (results: unknown): readonly Outcome[] => {
    if (!Array.isArray(results) || results.length !== inputs.length)
      throw new TypeError(`batch returned ${Array.isArray(results) ? results.length : 'no'} verdicts for ${inputs.length} inputs`);
    return results.map((r) => r === true);
  };
  try {
    const results = policy.batch(inputs);
    if (typeof (results as Partial<Promise<unknown>> | null)?.then === 'function')
      return Promise.resolve(results).then(verdicts).catch(failed);
    return verdicts(results);
  } catch (error) {
    return failed(error);
  }
}

function enqueue(state: PolicyState, policy: BatchPolicy, name: string, input: PolicyInput): Promise<Outcome> {
  let pending = state.pending;
  if (pending === null) {
    const inputs: PolicyInput[] = [];
    const results = new Promise<readonly Outcome[]>((resolve) =>
      afterThisTick(() => {
        state.pending = null;
        resolve(runBatch(policy, name, inputs as PolicyInput[]));
      }),
    );
    pending = state.pending = { inputs, results };
  }
  const index = pending.inputs.push(input) - 1;
  return pending.results.then((results) => results[index] ?? FAILED);
}

function callOne(policy: PolicyFunction, name: string, input: PolicyInput): Verdict {
  const failed = (error: unknown): Outcome => {
    reportFailure(input.context, name, input.coordinate, error);
    return FAILED;
  };
  try {
    const result = policy(input);
    if (typeof result === 'boolean') return result;
    if (typeof (result as Promise<unknown> | null)?.then === 'function')
      return Promise.resolve(result).then((value) => value === true, failed);
    return false; // Only `true` lets a caller through.
  } catch (error) {
    return failed(error);
  }
}

/** What a field asks a policy about; the PolicyInput is built from it only when the policy must run. */
interface Question {
  readonly viewer: Viewer | null;
  readonly object: object | undefined;
  readonly args: Readonly<Record<string, unknown>>;
  readonly context: unknown;
  readonly coordinate: string;
  readonly rootKey: string;
  /** On the field of an object that has arguments: the field and its arguments, as a key (argumentsKey). */
  readonly argumentsKey?: string;
}

/** The verdict of one policy on one question, remembered for the request. */
function runPolicy(policies: Policies | undefined, name: string, q: Question): Verdict {
  const context = q.context;
  const state = typeof context === 'object' && context !== null ? stateOf(context, name) : null;
  const object = q.object;
  const byArguments = object !== undefined && q.argumentsKey !== undefined ? state?.byArguments : undefined;
  const remembered =
    state === null
      ? undefined
      : byArguments !== undefined
        ? byArguments.get(object!)?.get(q.argumentsKey!)
        : object !== undefined
          ? knownVerdict(state, object)
          : state.byRoot.get(q.rootKey);
  if (remembered !== undefined) {
    if (!(remembered instanceof PendingVerdict)) return remembered;
    return remembered.results.then((r) => r[remembered.index] ?? FAILED);
  }
  const input: PolicyInput = { viewer: q.viewer, object, args: q.args, context, coordinate: q.coordinate };
  const policy = policies?.[name];
  let verdict: Verdict;
  if (policy === undefined) {
    reportFailure(context, name, input.coordinate, new TypeError(`no policy named "${name}" was given to gatehouse`));
    verdict = FAILED;
  } else if (typeof policy === 'function') verdict = callOne(policy, name, input);
  else if (typeof policy?.batch !== 'function') {
    reportFailure(context, name, input.coordinate, new TypeError(`policy "${name}" is neither a function nor { batch }`));
    verdict = FAILED;
  } else if (state !== null) verdict = enqueue(state, policy, name, input);
  else {
    const results = runBatch(policy, name, [input]);
    verdict = results instanceof Promise ? results.then((r) => r[0] ?? FAILED) : (results[0] ?? FAILED);
  }
  if (state === null) return verdict;
  const remember = (value: Verdict) => {
    if (byArguments !== undefined) {
      let verdicts = byArguments.get(object!);
      if (verdicts === undefined) byArguments.set(object!, (verdicts = new Map()));
      verdicts.set(q.argumentsKey!, value);
    } else if (object !== undefined) state.byObject.set(object, value);
    else state.byRoot.set(q.rootKey, value);
  };
  remember(verdict);
  // Once settled, later asks about the same object get the plain value: no promise, no tick.
  if (typeof verdict === 'object') void verdict.then(remember);
  return verdict;
}

/** The arguments of an object asked about ahead of its fields: none (one shared, frozen object). */
const NO_ARGUMENTS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Decides ahead, in one call per `{ batch }` policy, every object of a list a field just returned,
 * so that its items' fields find plain verdicts and stay synchronous (graphql-js pays dearly for a
 * promise per field). Returns a promise only when some batch policy had to run. The objects' inputs
 * carry no arguments (they are asked before any of their fields is).
 */
export function primeObjects(
  policies: Policies | undefined,
  names: ReadonlyMap<string, string>,
  objects: readonly object[],
  listPath: object,
  viewer: Viewer | null,
  context: unknown,
): Promise<void> | undefined {
  if (typeof context !== 'object' || context === null || objects.length === 0) return undefined;
  let pending: Promise<void>[] | undefined;
  for (const [name, coordinate] of names) {
    const policy = policies?.[name];
    if (policy === undefined || typeof policy === 'function' || typeof policy.batch !== 'function') continue;
    const state = stateOf(context, name);
    indexPrimed(state);
    const known = state.byObject.size > 0 ? state.byObject : null;
    const inputs: PolicyInput[] = [];
    for (const object of objects) {
      if (known?.has(object)) continue;
      inputs.push({ viewer, object, args: NO_ARGUMENTS, context, coordinate });
    }
    if (inputs.length === 0) continue;
    const results = runBatch(policy, name, inputs);
    // The common case, none of the list known yet: its items find their verdicts by position.
    if (inputs.length === objects.length) {
      const ready = keepPrimed(state, listPath, objects, results);
      if (ready !== undefined) (pending ??= []).push(ready);
      continue;
    }
    if (!(results instanceof Promise)) {
      for (let i = 0; i < inputs.length; i++) state.byObject.set(inputs[i]!.object, results[i] ?? FAILED);
      continue;
    }
    // Until the batch answers, a mark (no promise per object) says where each verdict will be.
    for (let i = 0; i < inputs.length; i++) state.byObject.set(inputs[i]!.object, new PendingVerdict(results, i));
    (pending ??= []).push(
      results.then((r) => {
        for (let i = 0; i < inputs.length; i++) state.byObject.set(inputs[i]!.object, r[i] ?? FAILED);
      }),
    );
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}

/** Every name of `group` allows (stops at the first that does not). */
function allOf(group: readonly string[], from: number, run: (name: string) => Verdict): Verdict {
  for (let i = from; i < group.length; i++) {
    const verdict = run(group[i] as string);
    if (verdict === true) continue;
    if (verdict !== false && verdict !== FAILED) return verdict.then((v) => (v === true ? allOf(group, i + 1, run) : v));
    return verdict;
  }
  return true;
}

/** Some group of `alternatives` allows; else FAILED when one failed, else false. */
function anyOf(alternatives: PolicyAlternatives, from: number, failedSoFar: boolean, run: (name: string) => Verdict): Verdict {
  let failed = failedSoFar;
  for (let i = from; i < alternatives.length; i++) {
    const verdict = allOf(alternatives[i] as readonly string[], 0, run);
    if (verdict === true) return true;
    if (verdict === false || verdict === FAILED) {
      failed ||= verdict === FAILED;
      continue;
    }
    return verdict.then((v) => (v === true ? true : anyOf(alternatives, i + 1, failed || v === FAILED, run)));
  }
  return failed ? FAILED : false;
}

/** Every `@policy` of the field (type and field) passes. */
function everyRule(rules: readonly PolicyAlternatives[], from: number, run: (name: string) => Verdict): Verdict {
  for (let i = from; i < rules.length; i++) {
    const verdict = anyOf(rules[i] as PolicyAlternatives, 0, false, run);
    if (verdict === true) continue;
    if (verdict !== false && verdict !== FAILED) return verdict.then((v) => (v === true ? everyRule(rules, i + 1, run) : v));
    return verdict;
  }
  return true;
}

/**
 * A field's policy decision: null when the caller may go on, the denial otherwise, or a promise of
 * either while a policy is still deciding. Synchronous policies keep the field synchronous.
 */
export type PolicyCheck = (
  viewer: Viewer | null,
  object: object | undefined,
  args: Readonly<Record<string, unknown>>,
  context: unknown,
  /** On a root field: its response key (alias or name), shared by the mutation gate and the resolver. */
  rootKey: string,
  /** On an object's field: the object's own path (`info.path.prev`), which finds a list's verdict by position. */
  itemPath?: ItemPath,
) => GraphQLError | null | Promise<GraphQLError | null>;

/** Builds the policy decision of one field from its `@policy` rules and the application's functions. */
export function compilePolicyCheck(
  rules: readonly PolicyAlternatives[],
  coordinate: string,
  policies: Policies | undefined,
  /** The `@policy` rules as written (`@policy(policies: [["a"]]) on Type.field`), for `extensions.rule` and the denial log. */
  ruleText: string | null = null,
  /**
   * The field (of an object) has arguments: its verdicts are kept per object, field and arguments,
   * never taken from, nor given to, another field or the same field with other arguments.
   */
  withArguments = false,
): PolicyCheck {
  const denial = (viewer: Viewer | null, outcome: Outcome): GraphQLError | null => {
    if (outcome === true) return null;
    if (outcome === false && viewer === null)
      return new Denial(unauthenticated(`You must be signed in to use ${coordinate}.`), coordinate, ruleText);
    const message = `A policy does not allow you to use ${coordinate}${outcome === FAILED ? ' (it could not decide)' : ''}.`;
    return new Denial(forbidden(message), coordinate, ruleText);
  };
  // The common shape, one policy name: no lists to walk.
  const single = rules.length === 1 && rules[0]!.length === 1 && rules[0]![0]!.length === 1 ? rules[0]![0]![0]! : undefined;
  // The last scope's state of the single policy: a list's items ask one after another. Keyed by the
  // scope, not the context: a subscription keeps its context and changes the scope per event.
  let lastScope: object | undefined;
  let lastState: PolicyState | undefined;
  return (viewer, object, args, context, rootKey, itemPath) => {
    if (!withArguments && single !== undefined && object !== undefined && typeof context === 'object' && context !== null) {
      const scope = scopeOf(context);
      if (scope !== lastScope) {
        lastState = stateIn(scope, single);
        lastScope = scope;
      }
      const state = lastState!;
      // Decided already for this object (by a sibling field, or ahead for its list): no allocation.
      if (state.lastAllowed === object) return null;
      // Found by its place in a list decided ahead, a denial too: the list need not become a map.
      const known = state.primed.length > 0 ? primedVerdict(state, object, itemPath) : state.byObject.get(object);
      if (known === true) {
        state.lastAllowed = object;
        return null;
      }
      if (known === false || known === FAILED) return denial(viewer, known);
    }
    const q: Question = {
      viewer,
      object,
      args,
      context,
      coordinate,
      rootKey: object === undefined ? `${coordinate}@${rootKey}` : '',
      ...(withArguments && object !== undefined ? { argumentsKey: `${coordinate} ${argumentsKey(args)}` } : {}),
    };
    const verdict = single !== undefined ? runPolicy(policies, single, q) : everyRule(rules, 0, (name) => runPolicy(policies, name, q));
    if (verdict === true) return null;
    return typeof verdict === 'object' ? verdict.then((v) => denial(viewer, v)) : denial(viewer, verdict);
  };
}

/** Field extension holding a field's compiled PolicyCheck, for the mutation gate. */
export const POLICY_EXTENSION = 'gatehousePolicy';

/** The policy check a guarded field carries, or undefined. */
export function policyCheckOf(field: { extensions?: Readonly<Record<string, unknown>> | null }): PolicyCheck | undefined {
  return field.extensions?.[POLICY_EXTENSION] as PolicyCheck | undefined;
}
