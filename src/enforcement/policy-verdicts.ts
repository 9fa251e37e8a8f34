// Where a request's `@policy` verdicts are kept (policies.ts decides them): per policy and per scope
// (the request's context, or the scope a subscription sets per event), by object, by a root field's
// response key, and for a list decided ahead of its fields (primeObjects) by position in that list.
//
// Why by position: putting a 10,000-item list's objects into the by-object Map cost more than all
// the rest the policy adds (one Map insert ~300 ns on this VM under load, against ~600 ns for a whole
// field of graphql's execution). An item's field finds its verdict instead through its path: the
// item's path names its index, and its parent is the list field's path, the very object the list
// was decided under. The verdict is used only when the object at that index is the object asked
// about, so a hit is always that object's verdict. Anything else asking about an object of such a
// list (a field elsewhere in the response, a second list holding the same objects) first moves the
// list into the Map (indexPrimed): a policy still runs at most once per object in a request.
import { OWNED_OBJECTS_SCOPE } from './ownership';

/** Verdicts: `true` allows, `false` denies, FAILED denies because a policy threw (logged). */
export const FAILED = 'failed';
export type Outcome = boolean | typeof FAILED;
export type Verdict = Outcome | Promise<Outcome>;

/** A verdict a batch started ahead for a list (primeObjects) will give, at this index of its results. */
export class PendingVerdict {
  constructor(
    readonly results: Promise<readonly Outcome[]>,
    readonly index: number,
  ) {}
}

/** Objects asked about in one tick, waiting for their batch call. */
export interface PendingBatch {
  readonly inputs: unknown[];
  readonly results: Promise<readonly Outcome[]>;
}

/** The part of graphql's `info.path` read here: an item's path names its index and its list's path. */
export interface ItemPath {
  readonly prev: unknown;
  readonly key: string | number;
}

/** A list decided ahead: its objects in the list's order and, once the batch answered, their verdicts. */
interface PrimedList {
  /** The list field's path (graphql's `info.path` of the field that returned it). */
  readonly path: object;
  readonly objects: readonly object[];
  results: readonly Outcome[] | null;
  readonly pending: Promise<readonly Outcome[]> | null;
  /** Moved into the by-object Map (then the Map holds its verdicts). */
  indexed: boolean;
}

/** One policy's verdicts in one request (or one subscription event). */
export interface PolicyState {
  // A Map, not a WeakMap: the state lives as long as its request, and a WeakMap of many objects is
  // an ephemeron table the garbage collector pays for on every pass.
  readonly byObject: Map<object, Verdict | PendingVerdict>;
  readonly byRoot: Map<string, Verdict>;
  /**
   * Verdicts asked for by a field with arguments, by object and then by those arguments
   * (argumentsKey): a verdict reached with one field's arguments is never another's.
   */
  readonly byArguments: Map<object, Map<string, Verdict>>;
  pending: PendingBatch | null;
  /** The last object found allowed: an item's sibling fields ask about it one after another. */
  lastAllowed: object | undefined;
  /** Lists decided ahead and not yet moved into `byObject`. */
  primed: PrimedList[];
}

const perRequest = new WeakMap<object, Map<string, PolicyState>>();

/** Where a request's verdicts are kept: the context, or the scope a subscription sets per event. */
export function scopeOf(context: object): object {
  return (context as { [OWNED_OBJECTS_SCOPE]?: object })[OWNED_OBJECTS_SCOPE] ?? context;
}

export function stateIn(scope: object, name: string): PolicyState {
  let byName = perRequest.get(scope);
  if (byName === undefined) perRequest.set(scope, (byName = new Map()));
  let state = byName.get(name);
  if (state === undefined)
    byName.set(
      name,
      (state = { byObject: new Map(), byRoot: new Map(), byArguments: new Map(), pending: null, lastAllowed: undefined, primed: [] }),
    );
  return state;
}

export function stateOf(context: object, name: string): PolicyState {
  return stateIn(scopeOf(context), name);
}

/** Moves the lists decided ahead into the by-object Map, before anything reads or extends it. */
export function indexPrimed(state: PolicyState): void {
  if (state.primed.length === 0) return;
  for (const list of state.primed) {
    list.indexed = true;
    const { objects, results, pending } = list;
    for (let i = 0; i < objects.length; i++)
      state.byObject.set(objects[i]!, results !== null ? (results[i] ?? FAILED) : new PendingVerdict(pending!, i));
  }
  state.primed = [];
}

/** What is known of `object` so far: a verdict, a pending one, or undefined. */
export function knownVerdict(state: PolicyState, object: object): Verdict | PendingVerdict | undefined {
  indexPrimed(state);
  return state.byObject.get(object);
}

/** The verdict of `object` found by its position in a list decided ahead, or undefined. */
export function primedVerdict(state: PolicyState, object: object, itemPath: ItemPath | undefined): Outcome | undefined {
  if (itemPath === undefined || typeof itemPath.key !== 'number') return undefined;
  for (const list of state.primed) {
    if (itemPath.prev === list.path && list.results !== null && list.objects[itemPath.key] === object) return list.results[itemPath.key];
  }
  return undefined;
}

/**
 * Keeps `objects` (none known yet) as a list decided ahead under the list field's `path`, with its
 * batch's verdicts or the promise of them. Resolves once the verdicts are in place.
 */
export function keepPrimed(
  state: PolicyState,
  path: object,
  objects: readonly object[],
  results: readonly Outcome[] | Promise<readonly Outcome[]>,
): Promise<void> | undefined {
  if (!(results instanceof Promise)) {
    state.primed.push({ path, objects, results, pending: null, indexed: false });
    return undefined;
  }
  const list: PrimedList = { path, objects, results: null, pending: results, indexed: false };
  state.primed.push(list);
  return results.then((r) => {
    list.results = r;
    // Moved into the Map while the batch was running: its marks there become plain verdicts.
    if (list.indexed) for (let i = 0; i < objects.length; i++) state.byObject.set(objects[i]!, r[i] ?? FAILED);
  });
}

let unkeyable = 0;

/** A value no key can be written for (or nested deeper than any query's arguments: a cycle). */
class Unkeyable extends Error {}

/**
 * `value` as text that no other value writes: strings quoted, numbers by Object.is (NaN, -0 and
 * Infinity apart from null and 0), plain objects by their sorted keys, arrays, Dates by their time.
 * Anything else (a custom scalar's class instance, a Map, a Symbol or function an enum maps to)
 * JSON would write as `{}` or leave out, the same for every value: it is not written (Unkeyable).
 */
function keyOf(value: unknown, depth: number): string {
  if (depth > 64) throw new Unkeyable();
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.map((item) => keyOf(item, depth + 1)).join(',')}]`;
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) throw new Unkeyable();
    const entries = Object.keys(value).sort();
    return `{${entries.map((key) => `${JSON.stringify(key)}:${keyOf((value as Record<string, unknown>)[key], depth + 1)}`).join(',')}}`;
  }
  throw new Unkeyable();
}

/**
 * A field's coerced arguments as a key: two keys are equal only for equal arguments. Arguments no
 * key can be written for (see keyOf) get a key of their own each time: the policy is asked again
 * rather than answered with the verdict for other arguments.
 */
export function argumentsKey(args: Readonly<Record<string, unknown>>): string {
  try {
    return keyOf(args, 0);
  } catch {
    // Unkeyable, or a getter or proxy that threw while read: asked again, as for any unkeyable value.
    return `\u0000unkeyable ${++unkeyable}`;
  }
}
