/**
 * A subscribe message's document, checked as HTTP checks a request before anything runs: parsed
 * within the token limit, validated with HTTP's operation limits (depth, aliases, directives,
 * cost), validation errors as the caller would get them were the parts hidden from it absent, a
 * subscription operation only, no introspection below the root, variables coerced, and at least
 * one root field left once @skip/@include apply. Pure: the same payload and viewer give the same
 * answer, with no I/O.
 */
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  type ValidationRule,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { Viewer } from '../auth/viewer';
import { validationErrorsSeenBy } from '../enforcement/hidden-validation';
import { included } from '../enforcement/operation-gate';
import { readsIntrospection } from '../enforcement/visible-introspection';
import { visibleSchemaFor } from '../enforcement/visible-schema';

/** A subscription that passed the checks above, ready for the viewer's own checks. */
export interface CheckedOperation {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables: Readonly<Record<string, unknown>>;
}

export interface OperationRules {
  readonly schema: GraphQLSchema;
  /** graphql's specified rules and HTTP's limit rules. */
  readonly validationRules: readonly ValidationRule[];
  /** MAX_QUERY_TOKENS. */
  readonly maxTokens: number;
}

/** An error with a code, as a refusal of the client's message. */
export function refusal(message: string, code: string): GraphQLError[] {
  return [new GraphQLError(message, { extensions: { code } })];
}

/** Is `result` the errors that refuse an operation (rather than the checked operation)? */
export function isRefusal(result: CheckedOperation | readonly GraphQLError[]): result is readonly GraphQLError[] {
  return Array.isArray(result);
}

/** The checked operation of `payload` for `viewer`, or the errors that refuse it. */
export function readOperation(
  rules: OperationRules,
  payload: SubscribePayload,
  viewer: Viewer | null,
): CheckedOperation | readonly GraphQLError[] {
  const document = parseDocument(payload.query, rules.maxTokens);
  if (Array.isArray(document)) return document;
  const invalid = validationErrors(rules, document, viewer);
  if (invalid.length > 0) return invalid;
  const operation = getOperationAST(document, payload.operationName);
  if (operation === null || operation === undefined) return refusal('Name the operation to run.', 'BAD_REQUEST');
  if (operation.operation !== 'subscription') {
    return refusal('Only subscriptions are served over WebSocket; send queries and mutations over HTTP.', 'BAD_REQUEST');
  }
  // Below the root (a field returning Query) introspection would answer from the whole schema,
  // whoever asks and whether or not INTROSPECTION is on: refused, as HTTP refuses it there.
  if (readsIntrospection(document, operation)) {
    return refusal('Introspection (__schema, __type) is answered at the root of a query only.', 'BAD_REQUEST');
  }
  const coerced = getVariableValues(rules.schema, operation.variableDefinitions ?? [], payload.variables ?? {});
  if (coerced.errors !== undefined) {
    return coerced.errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } }));
  }
  // graphql 16's subscribe() throws a TypeError when no root field is left (not a GraphQLError
  // it could answer), which graphql-ws turns into closing the whole socket.
  if (!selectsSomething(document, operation.selectionSet, coerced.coerced)) {
    return refusal('@skip/@include leave this subscription without a root field.', 'BAD_REQUEST');
  }
  return { document, operation, variables: coerced.coerced };
}

function parseDocument(query: string, maxTokens: number): DocumentNode | GraphQLError[] {
  try {
    return parse(query, { maxTokens });
  } catch (error) {
    const message = error instanceof GraphQLError ? error.message : 'The document could not be parsed.';
    return [new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
  }
}

function validationErrors(rules: OperationRules, document: DocumentNode, viewer: Viewer | null): readonly GraphQLError[] {
  let invalid: readonly GraphQLError[];
  try {
    invalid = validate(rules.schema, document, rules.validationRules);
  } catch (error) {
    // graphql 16's SingleFieldSubscriptionsRule evaluates a root @skip/@include without the
    // variables and throws when one is required; an answer, not a closed socket.
    if (!(error instanceof GraphQLError)) throw error;
    invalid = [error];
  }
  if (invalid.length === 0) return invalid;
  // As over HTTP: the errors the caller would get were the parts hidden from it absent.
  const seen = validationErrorsSeenBy(invalid, document, visibleSchemaFor(rules.schema, viewer), rules.validationRules);
  return seen.map((error) =>
    error.extensions['code'] === undefined
      ? new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })
      : error,
  );
}

/** Does `selectionSet` select at least one field once @skip/@include are applied with `variables`? */
function selectsSomething(
  document: DocumentNode,
  selectionSet: SelectionSetNode,
  variables: Record<string, unknown>,
  seen = new Set<string>(),
): boolean {
  for (const selection of selectionSet.selections) {
    if (!included(selection, variables)) continue;
    if (selection.kind === Kind.FIELD) return true;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (selectsSomething(document, selection.selectionSet, variables, seen)) return true;
      continue;
    }
    const name = selection.name.value;
    if (seen.has(name)) continue;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    if (fragment?.kind === Kind.FRAGMENT_DEFINITION && selectsSomething(document, fragment.selectionSet, variables, seen)) return true;
  }
  return false;
}
