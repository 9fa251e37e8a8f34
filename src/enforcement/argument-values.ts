// A request's arguments against a field's ArgumentPlan (argument-rules.ts): which ruled or
// `@fromViewer` arguments and input fields the request supplies, the one denial that follows for the
// field, and the arguments with the credential's values put in. Both the field's resolver (queries)
// and the operation gate (mutations and subscriptions, before anything runs) ask here, with the
// variables as execution sees them. What counts as supplied: an argument or input field written in
// the document (a literal, null included, or a variable the request gives a value, the operation's
// own variable default included); inside a variable's object, a key the object holds, except one
// holding exactly the schema's default for that input field (coercion puts defaults there, and a
// value equal to the default changes nothing the resolver sees). Pure.
import { isDeepStrictEqual } from 'node:util';
import { coerceInputValue, type FieldNode, GraphQLError, Kind, type ValueNode } from 'graphql';
import type { Viewer } from '../auth/viewer';
import type { ArgumentPlan, InputPlan, Slot } from './argument-rules';
import { Denial, denialOf, unauthenticated } from './denials';
import { viewerValue } from './from-viewer';

export type Variables = Readonly<Record<string, unknown>>;

/** A ruled or `@fromViewer` argument or input field the request supplies, with its path from the field. */
export interface SuppliedSlot {
  readonly slot: Slot;
  readonly path: string;
}

const NONE: readonly SuppliedSlot[] = Object.freeze([]);

function found(out: SuppliedSlot[] | undefined, slot: Slot, path: string): SuppliedSlot[] | undefined {
  if (slot.requirement === null && slot.fromViewer === null) return out;
  (out ??= []).push({ slot, path });
  return out;
}

function inValue(slot: Slot, value: unknown, path: string, out: SuppliedSlot[] | undefined): SuppliedSlot[] | undefined {
  const next = found(out, slot, path);
  return slot.inner === null || value === null || value === undefined ? next : inObjectValue(slot.inner, value, path, next);
}

function inObjectValue(plan: InputPlan, value: unknown, path: string, out: SuppliedSlot[] | undefined): SuppliedSlot[] | undefined {
  if (Array.isArray(value)) {
    for (const item of value) out = inObjectValue(plan, item, path, out);
    return out;
  }
  if (typeof value !== 'object' || value === null) return out;
  for (const [name, slot] of plan.slots) {
    if (!Object.hasOwn(value, name)) continue;
    const held = (value as Record<string, unknown>)[name];
    if (slot.defaultValue !== undefined && isDeepStrictEqual(held, slot.defaultValue)) continue;
    out = inValue(slot, held, `${path}.${name}`, out);
  }
  return out;
}

function inNode(
  slot: Slot,
  node: ValueNode,
  path: string,
  variables: Variables,
  out: SuppliedSlot[] | undefined,
): SuppliedSlot[] | undefined {
  if (node.kind === Kind.VARIABLE) {
    const name = node.name.value;
    return Object.hasOwn(variables, name) ? inValue(slot, variables[name], path, out) : out;
  }
  const next = found(out, slot, path);
  return slot.inner === null ? next : inObjectNode(slot.inner, node, path, variables, next);
}

function inObjectNode(
  plan: InputPlan,
  node: ValueNode,
  path: string,
  variables: Variables,
  out: SuppliedSlot[] | undefined,
): SuppliedSlot[] | undefined {
  if (node.kind === Kind.LIST) {
    for (const item of node.values) out = inObjectNode(plan, item, path, variables, out);
  } else if (node.kind === Kind.VARIABLE) {
    const name = node.name.value;
    if (Object.hasOwn(variables, name)) out = inObjectValue(plan, variables[name], path, out);
  } else if (node.kind === Kind.OBJECT) {
    for (const field of node.fields) {
      const slot = plan.slots.get(field.name.value);
      if (slot !== undefined) out = inNode(slot, field.value, `${path}.${field.name.value}`, variables, out);
    }
  }
  return out;
}

/** The ruled and `@fromViewer` arguments and input fields `node` supplies, in document order. */
export function suppliedSlots(plan: ArgumentPlan, node: FieldNode, variables: Variables): readonly SuppliedSlot[] {
  const args = node.arguments;
  if (args === undefined || args.length === 0) return NONE;
  let out: SuppliedSlot[] | undefined;
  for (const argument of args) {
    const slot = plan.slots.get(argument.name.value);
    if (slot !== undefined) out = inNode(slot, argument.value, slot.name, variables, out);
  }
  return out ?? NONE;
}

/**
 * The denial for the field `node` selects, from what its arguments supply, or null: the first
 * supplied `@fromViewer` (BAD_USER_INPUT), else the first ruled one the viewer may not use
 * (UNAUTHENTICATED or FORBIDDEN, as for a field), with `extensions.argument` its path.
 */
export function argumentDenial(plan: ArgumentPlan, node: FieldNode, variables: Variables, viewer: Viewer | null): GraphQLError | null {
  const supplied = suppliedSlots(plan, node, variables);
  if (supplied.length === 0) return null;
  const fromClient = supplied.find((s) => s.slot.fromViewer !== null);
  if (fromClient !== undefined) {
    return new GraphQLError(
      `${plan.coordinate}(${fromClient.path}) takes its value from the caller's credential; a request may not supply it.`,
      { extensions: { code: 'BAD_USER_INPUT', argument: fromClient.path } },
    );
  }
  for (const { slot, path } of supplied) {
    const denial = slot.check?.(viewer) ?? null;
    if (denial !== null) return fieldDenial(plan, slot, path, denial);
  }
  return null;
}

/**
 * What the rules beside `@reportOnly` would deny on the field `node` selects, for a request the
 * enforced rules let through (argumentDenial null): the first supplied argument or input field whose
 * reported rules refuse the viewer, as the Denial enforcing them would raise; else null. Nothing is
 * refused with it: the resolver tells it to the report sink and goes on.
 */
export function argumentWouldDeny(plan: ArgumentPlan, node: FieldNode, variables: Variables, viewer: Viewer | null): Denial | null {
  if (!plan.hasReportOnly) return null;
  for (const { slot, path } of suppliedSlots(plan, node, variables)) {
    const denial = slot.reportCheck?.(viewer) ?? null;
    if (denial !== null) return fieldDenial(plan, slot, path, denial);
  }
  return null;
}

/** A slot's denial as its field's: coordinate `Type.field`, the path in the message and `extensions.argument`. */
function fieldDenial(plan: ArgumentPlan, slot: Slot, path: string, denial: GraphQLError): Denial {
  // Named as the request wrote it: `Mutation.createInvoice(input.lines.discount)`, not `LineInput.discount`.
  const message = denial.message.replace(slot.coordinate, `${plan.coordinate}(${path})`);
  // Still a Denial, so the rule that refused reaches extensions.rule and the denial log.
  return new Denial(
    new GraphQLError(message, { extensions: { ...denial.extensions, argument: path } }),
    plan.coordinate,
    denialOf(denial)?.rule ?? null,
  );
}

/** The credential's value for a `@fromViewer` slot, coerced to its type; undefined when lacking or not of that type. */
function credentialValue(slot: Slot, viewer: Viewer | null, everyScope: readonly string[]): unknown {
  const fromViewer = slot.fromViewer!;
  const raw = viewerValue(fromViewer.path, viewer, everyScope);
  if (raw === undefined) return undefined;
  try {
    return coerceInputValue(raw, fromViewer.type, (_path, _value, error) => {
      throw error;
    });
  } catch {
    return undefined;
  }
}

function lacking(coordinate: string, slot: Slot): GraphQLError {
  const path = slot.fromViewer!.path;
  const error = unauthenticated(`${coordinate} needs ${path} from your credential, which it does not hold.`);
  const rule = `@fromViewer(path: ${JSON.stringify(path)}) on ${slot.coordinate}`;
  return new Denial(new GraphQLError(error.message, { extensions: { ...error.extensions, argument: path } }), coordinate, rule);
}

function injectInto(
  slots: ReadonlyMap<string, Slot>,
  values: Readonly<Record<string, unknown>>,
  viewer: Viewer | null,
  everyScope: readonly string[],
  context: { readonly coordinate: string; readonly path: string },
): Record<string, unknown> | GraphQLError {
  const out: Record<string, unknown> = { ...values };
  for (const [name, slot] of slots) {
    const path = context.path === '' ? name : `${context.path}.${name}`;
    if (slot.fromViewer !== null) {
      const value = credentialValue(slot, viewer, everyScope);
      if (value === undefined && slot.fromViewer.nonNull) return lacking(context.coordinate, slot);
      out[name] = value ?? null;
    } else if (slot.inner?.hasFromViewer && out[name] !== null && out[name] !== undefined) {
      const inner = slot.inner;
      const injectOne = (item: unknown): unknown =>
        typeof item === 'object' && item !== null
          ? injectInto(inner.slots, item as Record<string, unknown>, viewer, everyScope, { coordinate: context.coordinate, path })
          : item;
      const held = out[name];
      const replaced = Array.isArray(held) ? held.map(injectOne) : injectOne(held);
      const failed = (Array.isArray(replaced) ? replaced : [replaced]).find((r) => r instanceof GraphQLError);
      if (failed !== undefined) return failed as GraphQLError;
      out[name] = replaced;
    }
  }
  return out;
}

/**
 * The field's arguments (as coerced for its resolver) with every `@fromViewer` argument and input
 * field set from the viewer, or UNAUTHENTICATED when a non-null one's value is lacking. The
 * arguments given are not changed: a variable's object may be shared by several fields.
 */
export function withViewerValues(
  plan: ArgumentPlan,
  args: Readonly<Record<string, unknown>>,
  viewer: Viewer | null,
): Record<string, unknown> | GraphQLError {
  return injectInto(plan.slots, args, viewer, plan.everyScope, { coordinate: plan.coordinate, path: '' });
}
