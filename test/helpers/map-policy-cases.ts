// What the auth map claims of a policy-labelled field, as cases a test can play against a server
// (test/http/auth-matrix-policies.test.ts). The claim, read from the map alone: a caller the map
// lists plainly reaches the field whatever the policies say; one listed `(policy)` reaches it
// exactly when every `@policy` of the entry (its `policies`: one OR of AND lists per directive)
// passes; one not listed does not reach it at all. A caller's other qualifiers (owner, member) and
// gatehouse's own policies depend on data and are not generated here: they come back as unplayed,
// with the reason.
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import type { AuthMap, AuthMapEntry } from '../../src/tools/auth-map';
import { pathTo, type Step } from './matrix-operations';

/** gatehouse's own policies (src/graphql/policies.ts): their verdicts are its code, not the test's. */
export const GATEHOUSE_POLICY = /^gatehouse\./;

/** A caller's label on an entry, taken apart: `USER (ADMIN member, policy)`. */
export interface CallerLabel {
  /** Listed `(… policy)`: the policies decide. */
  readonly policy: boolean;
  /** The other qualifiers: `owner`, `ADMIN member`, `only visibility PUBLIC`… */
  readonly others: readonly string[];
}

/** The caller's label on `entry`, or null when the map says it does not reach the field. */
export function callerLabel(entry: AuthMapEntry | undefined, caller: string): CallerLabel | null {
  const label = entry?.reachableBy.find((name) => name === caller || name.startsWith(`${caller} (`));
  if (label === undefined) return null;
  if (label === caller) return { policy: false, others: [] };
  let inside = label.slice(caller.length + 2, -1);
  const policy = inside === 'policy' || inside.endsWith(', policy');
  if (policy) inside = inside === 'policy' ? '' : inside.slice(0, -', policy'.length);
  return { policy, others: inside === '' ? [] : inside.split('; ') };
}

/**
 * Every policy name the entry's `from` shows, those of `@reportOnly` rules included (`policies`
 * has only the enforced ones): the server may ask them all.
 */
export function policyNamesShown(entry: AuthMapEntry): string[] {
  const lists = [...entry.from.matchAll(/@policy\(policies: (\[.*?\]\])\)/g)].map((m) => JSON.parse(m[1]!) as string[][]);
  return [...new Set([...(entry.policies ?? []).flat(2), ...lists.flat(2)])];
}

/** Whether every directive's alternatives pass under `verdicts`: some AND list wholly true. */
export function policiesPass(policies: AuthMapEntry['policies'], verdicts: Readonly<Record<string, boolean>>): boolean {
  return (policies ?? []).every((alternatives) => alternatives.some((list) => list.every((name) => verdicts[name] === true)));
}

export interface PolicyCase {
  readonly coordinate: string;
  readonly caller: string;
  /** From a root to the field. */
  readonly path: readonly Step[];
  /** The verdict of each policy the path's entries enforce (any other answers false). */
  readonly verdicts: Readonly<Record<string, boolean>>;
  /** The policies the path's entries show, report-only ones included: the only ones the server may ask. */
  readonly shownOnPath: readonly string[];
  /** `a=1 b=0`, for the test's name. */
  readonly shown: string;
  /** The first step of the path the map says this caller does not reach under these verdicts; -1: none. */
  readonly deniedAt: number;
  /**
   * What denies there: its policies (the map lists the caller `(policy)`), or its other rules (the
   * map does not list the caller). Below a mutation, a policy is decided when the object is read;
   * the rest before anything runs.
   */
  readonly deniedBy: 'policy' | 'rules' | null;
}

export interface Unplayed {
  readonly coordinate: string;
  readonly caller: string;
  readonly reason: string;
}

/** Every assignment of true and false to `names` (2^n; the names are a path's few policies). */
function assignments(names: readonly string[]): Record<string, boolean>[] {
  return names.reduce<Record<string, boolean>[]>(
    (all, name) =>
      all.flatMap((verdicts) => [
        { ...verdicts, [name]: true },
        { ...verdicts, [name]: false },
      ]),
    [{}],
  );
}

/** At most this many distinct policies on one path: 2^n requests per caller. */
const MAX_NAMES = 6;

/**
 * The cases for every entry of `map` whose policies include one of the application's, and every
 * other field of its type, for each of `callers`: every combination of verdicts of the policies
 * named along the path to it (a policy not named there answers false). A path runs
 * through fields the map lets the caller through (plainly or by policy) where there is one.
 */
export function applicationPolicyCases(
  schema: GraphQLSchema,
  map: AuthMap,
  callers: readonly string[],
): { cases: PolicyCase[]; unplayed: Unplayed[]; entries: string[] } {
  const entries = new Map(map.entries.map((e) => [e.coordinate, e]));
  const cases: PolicyCase[] = [];
  const unplayed: Unplayed[] = [];
  const named = (e: AuthMapEntry) => e.argument === undefined && (e.policies ?? []).flat(2).some((name) => !GATEHOUSE_POLICY.test(name));
  // And their neighbours: a field of a type with a policy that the map says the policy does not
  // concern (`@public` opens a field inside a protected type).
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name);
  const types = new Set(map.entries.filter(named).map((e) => e.coordinate.split('.')[0]!));
  for (const root of roots) if (root !== undefined) types.delete(root);
  const played = map.entries.filter((e) => named(e) || (e.argument === undefined && types.has(e.coordinate.split('.')[0]!)));
  for (const entry of played) {
    const [typeName, fieldName] = entry.coordinate.split('.') as [string, string];
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const caller of callers) {
      const skip = (reason: string) => unplayed.push({ coordinate: entry.coordinate, caller, reason });
      const entryOf = (step: Step) => entries.get(`${step.type.name}.${step.field.name}`);
      const passable = (t: GraphQLObjectType, f: string) => {
        const label = callerLabel(entries.get(`${t.name}.${f}`), caller);
        return label !== null && label.others.length === 0;
      };
      // A subscription's root field: played over WebSocket, on its own.
      const path =
        type === schema.getSubscriptionType()
          ? [{ type, field: type.getFields()[fieldName]! }]
          : (pathTo(schema, { type, field: fieldName }, passable) ?? pathTo(schema, { type, field: fieldName }));
      if (path === undefined) throw new Error(`${entry.coordinate} is not reachable from a root`);
      const labels = path.map((step) => callerLabel(entryOf(step), caller));
      const dataDependent = labels.find((label): label is CallerLabel => label !== null && label.others.length > 0);
      if (dataDependent !== undefined) {
        skip(`reached only as ${dataDependent.others.join('; ')}`);
        continue;
      }
      const names = [...new Set(path.flatMap((step) => (entryOf(step)?.policies ?? []).flat(2)))];
      if (names.some((name) => GATEHOUSE_POLICY.test(name))) {
        skip('a path through gatehouse’s own policies');
        continue;
      }
      if (names.length > MAX_NAMES)
        throw new Error(`${entry.coordinate}: ${names.length} policies on its path; the matrix plays ${MAX_NAMES}`);
      for (const verdicts of assignments(names)) {
        const deniedAt = labels.findIndex(
          (label, i) => label === null || (label.policy && !policiesPass(entryOf(path[i]!)?.policies, verdicts)),
        );
        const shown = names.map((name) => `${name}=${verdicts[name] ? 1 : 0}`).join(' ') || 'every policy false (none on the path)';
        const deniedBy = deniedAt === -1 ? null : labels[deniedAt] === null ? 'rules' : 'policy';
        const shownOnPath = [...new Set(path.flatMap((step) => (entryOf(step) ? policyNamesShown(entryOf(step)!) : [])))];
        cases.push({ coordinate: entry.coordinate, caller, path, verdicts, shownOnPath, shown, deniedAt, deniedBy });
      }
    }
  }
  return { cases, unplayed, entries: played.map((e) => e.coordinate) };
}
