// Rules on arguments and input fields (docs/contract.md, "Authorization"): `@auth`, `@hasRole`,
// `@requiresScopes` and `@credentials` written on an argument or an input field apply when the
// request supplies a value for it (inline or through a variable, null included; a default alone does
// not count), at any depth of input objects and lists of them; a denied one denies the field it
// belongs to. Those written after `@reportOnly` deny nothing: a supplied one that would have denied
// is reported (argument-guard.ts). `@fromViewer` marks one whose value comes from the credential
// instead (from-viewer.ts).
// This module reads those directives once per schema into a plan per field (only fields that take
// such an argument have one, so every other field pays nothing); argument-values.ts walks a request's
// arguments against a plan. Pure: reading decides nothing about a viewer.
import { declaredRoles } from './declared-roles';
import { getDirective } from '@graphql-tools/utils';
import {
  type GraphQLArgument,
  type GraphQLError,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import type { Viewer } from '../auth/viewer';
import { compileCheck } from './checks';
import { fromViewerPathProblem } from './from-viewer';
import { combineRequirements, type FieldRequirement, type RequirementSource, readDirectives } from './requirements';
import { knownScopes } from './scopes';

/** What `@fromViewer` puts in one argument or input field. */
export interface FromViewerSlot {
  readonly path: string;
  /** The declared type was non-null: a caller lacking the value is refused (UNAUTHENTICATED). */
  readonly nonNull: boolean;
  /** The declared type without its non-null wrapper; the credential's value is coerced to it. */
  readonly type: GraphQLInputType;
}

/** One argument or input field that carries a rule or `@fromViewer`, or leads to input fields that do. */
export interface Slot {
  readonly name: string;
  /** Where it is declared: `Type.field(argument)` or `Input.field`. */
  readonly coordinate: string;
  /** Its own rule (every directive on it combined); null: none. */
  readonly requirement: FieldRequirement | null;
  readonly check: ((viewer: Viewer | null) => GraphQLError | null) | null;
  /** The decision of its rules beside `@reportOnly` (requirement.reportOnly): what it would deny; null: none. */
  readonly reportCheck: ((viewer: Viewer | null) => GraphQLError | null) | null;
  readonly fromViewer: FromViewerSlot | null;
  /** The input object type its value is (through lists), when that type holds slots; else null. */
  readonly inner: InputPlan | null;
  /** The schema's default for an input field: a variable's object holding exactly it supplied nothing new. */
  readonly defaultValue: unknown;
}

/** The slots of one input object type (recursive types share one plan). */
export interface InputPlan {
  readonly type: GraphQLInputObjectType;
  readonly slots: Map<string, Slot>;
  /** Some slot here or below is `@fromViewer`. */
  hasFromViewer: boolean;
}

/** The argument rules of one field; absent for a field none of whose arguments carries any. */
export interface ArgumentPlan {
  /** `Type.field`. */
  readonly coordinate: string;
  readonly slots: ReadonlyMap<string, Slot>;
  readonly hasFromViewer: boolean;
  /** Some ruled slot here or below has rules beside `@reportOnly` (the resolver then reports what they would deny). */
  readonly hasReportOnly: boolean;
  /** Every scope the schema names: the `scopes` a credential holding every scope is given. */
  readonly everyScope: readonly string[];
}

/** Field extension holding a field's ArgumentPlan in the enforced schema. */
export const ARGUMENT_PLAN_EXTENSION = 'gatehouseArgumentRules';
/** Argument and input-field extension: its own rule, for the visible schema. */
export const SLOT_RULE_EXTENSION = 'gatehouseAuth';
/** Argument and input-field extension: its `@fromViewer` path (never shown to a caller). */
export const FROM_VIEWER_EXTENSION = 'gatehouseFromViewer';

/** The plan a field of the enforced schema was given, or undefined. */
export function argumentPlan(field: { extensions?: Readonly<Record<string, unknown>> | null }): ArgumentPlan | undefined {
  return field.extensions?.[ARGUMENT_PLAN_EXTENSION] as ArgumentPlan | undefined;
}

/** The rule an argument or input field of the enforced schema carries, or undefined. */
export function slotRequirement(slot: { extensions?: Readonly<Record<string, unknown>> | null }): FieldRequirement | undefined {
  return slot.extensions?.[SLOT_RULE_EXTENSION] as FieldRequirement | undefined;
}

/** True when an argument or input field of the enforced schema is `@fromViewer`. */
export function isFromViewerSlot(slot: { extensions?: Readonly<Record<string, unknown>> | null }): boolean {
  return slot.extensions?.[FROM_VIEWER_EXTENSION] !== undefined;
}

type Element = GraphQLArgument | GraphQLInputField;

/**
 * The rule directives on one argument or input field. `@reportOnly` beside `@fromViewer` is refused
 * before anything else is read: the client never supplies such a value, so there is nothing to try out.
 */
function slotSources(schema: GraphQLSchema, element: Element, coordinate: string): RequirementSource[] {
  const carrier = element as Parameters<typeof getDirective>[1];
  if (getDirective(schema, carrier, 'fromViewer')?.length && getDirective(schema, carrier, 'reportOnly')?.length)
    throw new TypeError(
      `${coordinate}: @reportOnly cannot be used beside @fromViewer: its value always comes from the credential (the client never supplies it), so there is no rule to try out. Remove @reportOnly.`,
    );
  return readDirectives(schema, element, 'argument', coordinate);
}

/** The rule directives on one argument or input field, combined; null when there is none. */
export function slotRule(schema: GraphQLSchema, element: Element, coordinate: string): FieldRequirement | null {
  const sources = slotSources(schema, element, coordinate);
  return sources.length === 0 ? null : combineRequirements(sources, declaredRoles(schema));
}

/** The `@fromViewer` of one argument or input field, or null; a path that cannot be served is refused. */
export function fromViewerOf(schema: GraphQLSchema, element: Element, coordinate: string): FromViewerSlot | null {
  const found = getDirective(schema, element as Parameters<typeof getDirective>[1], 'fromViewer')?.[0];
  if (found === undefined) return null;
  const path = String(found['path']);
  const problem = fromViewerPathProblem(path);
  if (problem !== null) throw new TypeError(`${coordinate}: @fromViewer(path: "${path}"): ${problem}.`);
  if (slotSources(schema, element, coordinate).length > 0)
    throw new TypeError(`${coordinate}: @fromViewer cannot carry rules as well (the client never supplies it).`);
  return { path, nonNull: isNonNullType(element.type), type: getNullableType(element.type) as GraphQLInputType };
}

/** Per schema: the input object types that hold a slot at some depth, and their plans. */
interface SchemaPlans {
  readonly interesting: ReadonlySet<string>;
  readonly inputs: Map<string, InputPlan>;
  readonly everyScope: readonly string[];
}

const perSchema = new WeakMap<GraphQLSchema, SchemaPlans>();

function schemaPlans(schema: GraphQLSchema): SchemaPlans {
  let plans = perSchema.get(schema);
  if (plans !== undefined) return plans;
  const inputTypes = Object.values(schema.getTypeMap()).filter(
    (t): t is GraphQLInputObjectType => isInputObjectType(t) && !t.name.startsWith('__'),
  );
  // Types with a slot of their own, then (until nothing changes) types with a field of such a type.
  const interesting = new Set<string>();
  for (const type of inputTypes) {
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      if (slotRule(schema, field, coordinate) !== null || fromViewerOf(schema, field, coordinate) !== null) interesting.add(type.name);
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const type of inputTypes) {
      if (interesting.has(type.name)) continue;
      if (Object.values(type.getFields()).some((f) => interesting.has(getNamedType(f.type).name))) {
        interesting.add(type.name);
        changed = true;
      }
    }
  }
  plans = { interesting, inputs: new Map(), everyScope: knownScopes(schema) };
  perSchema.set(schema, plans);
  return plans;
}

/**
 * An object field's argument with the same argument of each interface field it implements: a rule
 * on an interface field's argument applies in every implementation, as one on the interface field
 * does (an implementation that does not repeat it served the value to anyone).
 */
function argumentWithInherited(schema: GraphQLSchema, typeName: string, field: GraphQLField<unknown, unknown>, argument: GraphQLArgument) {
  const type = schema.getType(typeName);
  const inherited: [Element, string][] = [];
  for (const face of isObjectType(type) || isInterfaceType(type) ? type.getInterfaces() : []) {
    const same = face.getFields()[field.name]?.args.find((a) => a.name === argument.name);
    if (same !== undefined) inherited.push([same, `${face.name}.${field.name}(${argument.name})`]);
  }
  return inherited;
}

function slotOf(
  schema: GraphQLSchema,
  plans: SchemaPlans,
  element: Element,
  coordinate: string,
  inherited: readonly [Element, string][] = [],
): Slot | null {
  const sources = [[element, coordinate] as const, ...inherited].flatMap(([e, c]) => slotSources(schema, e, c));
  const requirement = sources.length === 0 ? null : combineRequirements(sources, declaredRoles(schema));
  // An implementation that does not repeat its interface's @fromViewer took the client's value.
  const fromViewer =
    [[element, coordinate] as const, ...inherited].map(([e, c]) => fromViewerOf(schema, e, c)).find((f) => f !== null) ?? null;
  const named = getNamedType(element.type);
  const inner = isInputObjectType(named) && plans.interesting.has(named.name) ? inputPlan(schema, plans, named) : null;
  if (requirement === null && fromViewer === null && inner === null) return null;
  return {
    name: element.name,
    coordinate,
    requirement,
    check: requirement === null ? null : compileCheck(requirement, coordinate, 'use'),
    reportCheck: requirement?.reportOnly ? compileCheck(requirement.reportOnly, coordinate, 'use') : null,
    fromViewer,
    inner,
    defaultValue: element.defaultValue,
  };
}

function inputPlan(schema: GraphQLSchema, plans: SchemaPlans, type: GraphQLInputObjectType): InputPlan {
  const known = plans.inputs.get(type.name);
  if (known !== undefined) return known;
  // Registered before its fields are read, so a type that holds itself (through a field) ends.
  const plan: InputPlan = { type, slots: new Map(), hasFromViewer: false };
  plans.inputs.set(type.name, plan);
  for (const field of Object.values(type.getFields())) {
    const slot = slotOf(schema, plans, field, `${type.name}.${field.name}`);
    if (slot !== null) plan.slots.set(field.name, slot);
  }
  return plan;
}

/** Whether a plan holds a `@fromViewer` anywhere, recursive types included. */
function markFromViewer(plans: SchemaPlans): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const plan of plans.inputs.values()) {
      if (plan.hasFromViewer) continue;
      if ([...plan.slots.values()].some((s) => s.fromViewer !== null || s.inner?.hasFromViewer === true)) {
        plan.hasFromViewer = true;
        changed = true;
      }
    }
  }
}

/**
 * The argument plan of `field` (of `typeName`) in a schema that still has its directives, or null
 * when none of its arguments carries a rule or `@fromViewer`, at any depth. Throws (start-up) on a
 * `@fromViewer` path that cannot be served.
 */
export function readArgumentPlan(schema: GraphQLSchema, typeName: string, field: GraphQLField<unknown, unknown>): ArgumentPlan | null {
  const plans = schemaPlans(schema);
  const coordinate = `${typeName}.${field.name}`;
  const slots = new Map<string, Slot>();
  for (const argument of field.args) {
    const slot = slotOf(
      schema,
      plans,
      argument,
      `${coordinate}(${argument.name})`,
      argumentWithInherited(schema, typeName, field, argument),
    );
    if (slot !== null) slots.set(argument.name, slot);
  }
  if (slots.size === 0) return null;
  markFromViewer(plans);
  const hasFromViewer = [...slots.values()].some((s) => s.fromViewer !== null || s.inner?.hasFromViewer === true);
  const hasReportOnly = argumentRulePaths({ slots }).some(({ slot }) => slot.reportCheck !== null);
  return { coordinate, slots, hasFromViewer, hasReportOnly, everyScope: plans.everyScope };
}

/** Every rule a field's arguments carry, with its path from the field (`input.lines.discount`), each once. */
export function argumentRulePaths(plan: Pick<ArgumentPlan, 'slots'>): { readonly path: string; readonly slot: Slot }[] {
  const found: { path: string; slot: Slot }[] = [];
  const walk = (slots: ReadonlyMap<string, Slot>, prefix: string, seen: ReadonlySet<InputPlan>) => {
    for (const slot of slots.values()) {
      const path = prefix === '' ? slot.name : `${prefix}.${slot.name}`;
      if (slot.requirement !== null) found.push({ path, slot });
      if (slot.inner !== null && !seen.has(slot.inner)) walk(slot.inner.slots, path, new Set([...seen, slot.inner]));
    }
  };
  walk(plan.slots, '', new Set());
  return found;
}
