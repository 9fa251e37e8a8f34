// Validation errors that do not confirm what the caller cannot see. graphql-js validates against the
// whole schema, so a document naming a hidden type, field or argument gets a different message from
// one naming something that does not exist: `... on AuditEvent` at the root is "can never be of type
// "AuditEvent"" (PossibleFragmentSpreadsRule) where `... on Nope` is "Unknown type "Nope"."; `{ users }`
// is "must have a selection of subfields" (ScalarLeafsRule, naming the hidden return type) where
// `{ nope }` is "Cannot query field". Other graphql 16 rules whose messages differ the same way:
// FieldsOnCorrectType (a field of a hidden type), FragmentsOnCompositeTypes, KnownArgumentNames,
// KnownTypeNames, ProvidedRequiredArguments, ValuesOfCorrectType, VariablesAreInputTypes,
// VariablesInAllowedPosition, OverlappingFieldsCanBeMerged, NoUnusedVariables (a variable of a hidden
// type is "never used" instead of also "Unknown type"), and the cost limit (src/graphql/limits.ts).
// Rather than rewrite each wording, a document that fails validation is validated again on the
// caller's visible schema (visible-schema.ts), and those errors are the answer: exactly what graphql
// says when the hidden parts do not exist. A valid document is not validated again (its cost is
// unchanged): reading a hidden field executes and answers UNAUTHENTICATED / FORBIDDEN, as
// docs/contract.md requires, and so does a fragment on a hidden type where the whole schema allows
// it (a hidden member of a visible union): refusing it as an unknown type would refuse the denied
// fields it reads instead of answering them FORBIDDEN. Pure.
import { type DocumentNode, type GraphQLError, type GraphQLSchema, type ValidationRule, validate } from 'graphql';

/**
 * The errors to answer for `document`, which failed validation on the whole schema with `errors`:
 * its errors on `visible` with the same `rules`. Should that validation find nothing or throw (a
 * visible schema graphql cannot validate against, such as a Query type left with no field in an
 * application where a caller can reach no query), `errors` are answered: a document invalid on the
 * whole schema is always invalid on a part of it, so neither happens with a usable visible schema.
 */
export function validationErrorsSeenBy<E extends Error>(
  errors: readonly E[],
  document: DocumentNode,
  visible: GraphQLSchema,
  rules: readonly ValidationRule[],
): readonly (E | GraphQLError)[] {
  let seen: readonly GraphQLError[];
  try {
    seen = validate(visible, document, rules);
  } catch {
    return errors;
  }
  return seen.length > 0 ? seen : errors;
}
