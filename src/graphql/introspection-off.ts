// Refuses introspection when it is off: in production, unless INTROSPECTION=true (src/config.ts).
// Apollo's own rule for this (its `introspection: false`) tells the caller to "pass introspection:
// true to ApolloServer", which no one running gatehouse can do; this rule refuses the same documents
// (any `__schema` or `__type` field, at any depth and in fragments, as graphql visits them all) and
// names the variable that turns introspection on. Apollo answers it as any validation error: 400,
// GRAPHQL_VALIDATION_FAILED, with Apollo's validationErrorCode INTROSPECTION_DISABLED kept.
import { GraphQLError, type ValidationRule } from 'graphql';

export const INTROSPECTION_OFF_MESSAGE =
  'Introspection (__schema, __type) is off on this server. Whoever runs it can turn it on with INTROSPECTION=true.';

export const introspectionOffRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type')
      context.reportError(
        new GraphQLError(INTROSPECTION_OFF_MESSAGE, { nodes: [node], extensions: { validationErrorCode: 'INTROSPECTION_DISABLED' } }),
      );
  },
});
