// Tooling: the auth map's rows for arguments and input fields (src/tools/auth-map.ts adds them
// after their field's row). One row per rule a field's arguments carry, at its path from the field:
// `Mutation.createInvoice(input.discount)`, reached by the callers who reach the field and whom the
// rule lets supply it (with the field's own label, e.g. `USER (owner)`); one row per `@fromViewer`
// one, reached by nobody, since no caller may supply it. Decides nothing of its own: the plan is
// argument-rules.ts's, the check checks.ts's.
import type { GraphQLField, GraphQLSchema } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { argumentRulePaths, readArgumentPlan, type Slot } from '../enforcement/argument-rules';
import type { FieldRequirement, RequirementSource } from '../enforcement/requirements';

/** One row of the map for an argument or input field. */
export interface ArgumentEntryParts {
  readonly coordinate: string;
  /** The path from the field, e.g. `input.lines.discount`. */
  readonly argument: string;
  readonly requirement: FieldRequirement | null;
  /** `@fromViewer`: the credential's path it takes its value from. */
  readonly fromViewer: string | null;
  readonly sources: readonly RequirementSource[];
  /** The labels of the field's `reachableBy` whose caller the rule lets supply it. */
  readonly reachableBy: readonly string[];
}

/** The caller a `reachableBy` label names (`USER (owner)` names USER). */
const callerOf = (label: string): string => label.replace(/ \(.*$/, '');

/** Every `@fromViewer` of a field's arguments, at its path, each once. */
function fromViewerPaths(slots: ReadonlyMap<string, Slot>): { path: string; slot: Slot }[] {
  const found: { path: string; slot: Slot }[] = [];
  const walk = (from: ReadonlyMap<string, Slot>, prefix: string, seen: ReadonlySet<unknown>) => {
    for (const slot of from.values()) {
      const path = prefix === '' ? slot.name : `${prefix}.${slot.name}`;
      if (slot.fromViewer !== null) found.push({ path, slot });
      if (slot.inner !== null && !seen.has(slot.inner)) walk(slot.inner.slots, path, new Set([...seen, slot.inner]));
    }
  };
  walk(slots, '', new Set());
  return found;
}

/**
 * The rows for the arguments of `typeName.field`, whose own row says `fieldReachableBy`; `callers`
 * are the map's callers by name (anonymous: a null viewer).
 */
export function argumentEntries(
  schema: GraphQLSchema,
  typeName: string,
  field: GraphQLField<unknown, unknown>,
  fieldReachableBy: readonly string[],
  callers: ReadonlyMap<string, Viewer | null>,
): ArgumentEntryParts[] {
  const plan = readArgumentPlan(schema, typeName, field);
  if (plan === null) return [];
  const rows: ArgumentEntryParts[] = argumentRulePaths(plan).map(({ path, slot }) => ({
    coordinate: `${plan.coordinate}(${path})`,
    argument: path,
    requirement: slot.requirement,
    fromViewer: null,
    sources: slot.requirement?.sources ?? [],
    reachableBy: fieldReachableBy.filter((label) => slot.check?.(callers.get(callerOf(label)) ?? null) === null),
  }));
  for (const { path, slot } of fromViewerPaths(plan.slots)) {
    rows.push({
      coordinate: `${plan.coordinate}(${path})`,
      argument: path,
      requirement: null,
      fromViewer: slot.fromViewer?.path ?? null,
      sources: [],
      reachableBy: [],
    });
  }
  return rows;
}
