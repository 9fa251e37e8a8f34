// Which arguments and input fields a caller's visible schema (visible-schema.ts) leaves out: every
// `@fromViewer` one (the client never supplies it), and each one whose rule refuses the caller (the
// same compiled check that refuses it when supplied). Hiding spreads: an input type left with no
// field is gone, and with it the arguments and input fields of that type; a field whose hidden
// argument is required (non-null, no default) cannot be called by this caller and is hidden too; an
// interface loses an argument an implementation hides. Pure.
import {
  getNamedType,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLSchema,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import type { Viewer } from '../auth/viewer';
import { fromViewerOf, isFromViewerSlot, slotRequirement, slotRule } from './argument-rules';
import { compileCheck } from './checks';

/**
 * The coordinates hidden from `viewer`: `Type.field(argument)`, `Input.field` and the names of input
 * types left empty. Adds to `hiddenFields` each field a hidden required argument closes.
 */
export function hiddenArgumentsAndInputFields(schema: GraphQLSchema, viewer: Viewer | null, hiddenFields: Set<string>): Set<string> {
  const hidden = new Set<string>();
  // The marks applyAuthDirectives leaves; a schema that still only has its directives (the auth
  // map's `--as`) is read directly, to the same effect.
  const refuses = (slot: GraphQLArgument | GraphQLInputField, coordinate: string): boolean => {
    if (isFromViewerSlot(slot) || fromViewerOf(schema, slot, coordinate) !== null) return true;
    const requirement = slotRequirement(slot) ?? slotRule(schema, slot, coordinate);
    return requirement !== null && compileCheck(requirement, coordinate, 'use')(viewer) !== null;
  };
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
  const inputs = types.filter(isInputObjectType);
  const withFields = types.filter((t) => isObjectType(t) || isInterfaceType(t));
  for (const input of inputs) {
    for (const field of Object.values(input.getFields())) {
      const coordinate = `${input.name}.${field.name}`;
      if (refuses(field, coordinate)) hidden.add(coordinate);
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    const hide = (coordinate: string) => {
      if (hidden.has(coordinate)) return;
      hidden.add(coordinate);
      changed = true;
    };
    for (const input of inputs) {
      const fields = Object.values(input.getFields());
      for (const field of fields) if (hidden.has(getNamedType(field.type).name)) hide(`${input.name}.${field.name}`);
      if (fields.every((field) => hidden.has(`${input.name}.${field.name}`))) hide(input.name);
    }
  }
  for (const type of withFields) {
    for (const field of Object.values(type.getFields())) {
      for (const argument of field.args) {
        const coordinate = `${type.name}.${field.name}(${argument.name})`;
        if (!refuses(argument, coordinate) && !hidden.has(getNamedType(argument.type).name)) continue;
        hidden.add(coordinate);
        if (isNonNullType(argument.type) && argument.defaultValue === undefined) hiddenFields.add(`${type.name}.${field.name}`);
        if (isObjectType(type)) {
          for (const iface of type.getInterfaces()) {
            if (iface.getFields()[field.name]?.args.some((a) => a.name === argument.name))
              hidden.add(`${iface.name}.${field.name}(${argument.name})`);
          }
        }
      }
    }
  }
  return hidden;
}
