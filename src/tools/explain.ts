// Tooling: what gatehouse would decide for one caller and one document, without running anything
// (`gatehouse explain`). It decides nothing of its own: each field's requirement comes from
// src/enforcement/requirements.ts and its decision from checks.ts, the same ones the server runs,
// so a verdict here is the server's. Rules decided on the object or the request's data (ownership,
// and what objectDependencies names) are `depends`: no object exists here to decide them on. Rules
// on arguments and input fields decide on what the document writes: explain sees no variable
// values, so a variable the document passes counts as supplied (the fields of its object do not).
import { narrowTypes } from '../enforcement/operation-gate';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  validate,
} from 'graphql';
import type { Viewer } from '../auth/viewer';
import { compileCheck } from '../enforcement/checks';
import { denialOf } from '../enforcement/denials';
import { readArgumentPlan } from '../enforcement/argument-rules';
import { argumentDenial, argumentWouldDeny, type Variables } from '../enforcement/argument-values';
import { type FieldRequirement, fieldRequirement, objectDependencies } from '../enforcement/requirements';

/** One selected field on one possible parent type. */
export interface ExplainedField {
  /** The response path (aliases as the client wrote them), e.g. `users.edges.node.email`. */
  readonly path: string;
  /** `Type.field`. */
  readonly coordinate: string;
  readonly verdict: 'allow' | 'deny' | 'depends';
  /** deny: the rule that refuses; depends: what it depends on (`ownership`); allow: null. */
  readonly because: string | null;
  /** A rule beside `@reportOnly` that would refuse this caller, or null. */
  readonly reportOnlyWouldDeny: string | null;
}

export type Explanation =
  | { readonly ok: true; readonly fields: readonly ExplainedField[] }
  | { readonly ok: false; readonly errors: string[] };

/** Why `viewer` is refused by `requirement` on `coordinate` (the rule), or null when let through. */
function refusal(requirement: FieldRequirement, coordinate: string, viewer: Viewer | null): string | null {
  const error = compileCheck(requirement, coordinate)(viewer);
  if (error === null) return null;
  return denialOf(error)?.rule ?? error.message;
}

/** Every field `document` selects, with the verdict for `viewer`; or the document's validation errors. */
export function explainDocument(schema: GraphQLSchema, document: DocumentNode, viewer: Viewer | null): Explanation {
  const errors = validate(schema, document);
  if (errors.length > 0) return { ok: false, errors: errors.map((e) => e.message) };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fields: ExplainedField[] = [];
  const seen = new Set<string>();
  const narrow = (types: readonly GraphQLObjectType[], condition: string | undefined) => narrowTypes(schema, types, condition);
  let variables: Variables = {};
  const walk = (
    selectionSet: SelectionSetNode,
    types: readonly GraphQLObjectType[],
    path: readonly string[],
    spreads: ReadonlySet<string>,
  ) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, narrow(types, selection.typeCondition?.name.value), path, spreads);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment === undefined || spreads.has(fragment.name.value)) continue;
        walk(fragment.selectionSet, narrow(types, fragment.typeCondition.name.value), path, new Set([...spreads, fragment.name.value]));
        continue;
      }
      if (selection.name.value.startsWith('__')) continue;
      const fieldPath = [...path, selection.alias?.value ?? selection.name.value];
      for (const type of types) {
        const field = type.getFields()[selection.name.value];
        if (field === undefined) continue;
        const coordinate = `${type.name}.${field.name}`;
        const key = `${fieldPath.join('.')} ${coordinate}`;
        if (!seen.has(key)) {
          seen.add(key);
          fields.push(explainField(schema, type, selection, fieldPath.join('.'), viewer, variables));
        }
        if (selection.selectionSet) {
          const named = getNamedType(field.type);
          const next = isObjectType(named) ? [named] : isAbstractType(named) ? schema.getPossibleTypes(named) : [];
          walk(selection.selectionSet, next, fieldPath, spreads);
        }
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = schema.getRootType(definition.operation);
    // Each variable as supplied, with no value: null (see the header).
    variables = Object.fromEntries((definition.variableDefinitions ?? []).map((v) => [v.variable.name.value, null]));
    if (root) walk(definition.selectionSet, [root], [], new Set());
  }
  return { ok: true, fields };
}

/** What a field's argument rules decide on the arguments `node` writes: the rule that refuses, or that would. */
function argumentVerdict(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  node: FieldNode,
  viewer: Viewer | null,
  variables: Variables,
): { readonly denied: string | null; readonly wouldDeny: string | null } {
  const field = type.getFields()[node.name.value];
  const plan = field === undefined ? null : readArgumentPlan(schema, type.name, field);
  if (plan === null) return { denied: null, wouldDeny: null };
  const denial = argumentDenial(plan, node, variables, viewer);
  if (denial !== null) return { denied: denialOf(denial)?.rule ?? denial.message, wouldDeny: null };
  const would = argumentWouldDeny(plan, node, variables, viewer);
  return { denied: null, wouldDeny: would === null ? null : (would.rule ?? would.message) };
}

function explainField(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  node: FieldNode,
  path: string,
  viewer: Viewer | null,
  variables: Variables,
): ExplainedField {
  const coordinate = `${type.name}.${node.name.value}`;
  const requirement = fieldRequirement(schema, type, node.name.value);
  const reported = requirement.reportOnly ?? null;
  const fieldDenied = refusal(requirement, coordinate, viewer);
  const argument = fieldDenied === null ? argumentVerdict(schema, type, node, viewer, variables) : { denied: null, wouldDeny: null };
  const reportOnlyWouldDeny = (reported === null ? null : refusal(reported, coordinate, viewer)) ?? argument.wouldDeny;
  const denied = fieldDenied ?? argument.denied;
  if (denied !== null) return { path, coordinate, verdict: 'deny', because: denied, reportOnlyWouldDeny };
  const depends = objectDependencies(requirement);
  if (depends.length > 0) return { path, coordinate, verdict: 'depends', because: depends.join(', '), reportOnlyWouldDeny };
  return { path, coordinate, verdict: 'allow', because: null, reportOnlyWouldDeny };
}

/** One line per field: `path  Type.field  verdict (why)`, columns aligned. */
export function formatExplanation(fields: readonly ExplainedField[]): string {
  const pathWidth = Math.max(4, ...fields.map((f) => f.path.length));
  const coordinateWidth = Math.max(5, ...fields.map((f) => f.coordinate.length));
  return fields
    .map((f) => {
      const verdict = f.because === null ? f.verdict : `${f.verdict} (${f.because})`;
      const reported = f.reportOnlyWouldDeny === null ? '' : `; report only: would deny (${f.reportOnlyWouldDeny})`;
      return `${f.path.padEnd(pathWidth)}  ${f.coordinate.padEnd(coordinateWidth)}  ${verdict}${reported}`;
    })
    .join('\n');
}
