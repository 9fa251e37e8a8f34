// The Apollo plugin that answers each caller's introspection, validation errors and "Did you mean"
// suggestions with the schema that caller may see. Every decision is enforcement's, in plain
// graphql-js (src/enforcement/visible-introspection.ts, visible-schema.ts, hidden-validation.ts,
// hidden-suggestions.ts); this module only hooks them into Apollo's request pipeline. Everything
// else is as without it: a hidden field asked for by name still answers null and UNAUTHENTICATED /
// FORBIDDEN at its path, and an operation that introspects and also reads one gets both answers.
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, specifiedRules, type ValidationRule } from 'graphql';
import { hasSuggestion, withoutHiddenSuggestions } from '../../enforcement/hidden-suggestions';
import { validationErrorsSeenBy } from '../../enforcement/hidden-validation';
import { introspectionPlan, visibleIntrospectionData } from '../../enforcement/visible-introspection';
import { visibleSchemaFor } from '../../enforcement/visible-schema';
import type { GraphQLContext } from '../context';

/**
 * The plugin; `validationRules` are the rules Apollo is given besides graphql's own. Asks for
 * nothing on operations that do not introspect and carry no suggestion (one WeakMap lookup per
 * document and operation), nor on a document that passes validation.
 */
export function visibleIntrospectionPlugin(validationRules: readonly ValidationRule[] = []): ApolloServerPlugin<GraphQLContext> {
  const rules = [...specifiedRules, ...validationRules];
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async validationDidStart({ document, schema, contextValue }) {
      return async (errors) => {
        if (errors === undefined || errors.length === 0) return;
        const seen = validationErrorsSeenBy(errors, document, visibleSchemaFor(schema, contextValue.viewer), rules);
        // Apollo answers with the very array it hands this hook (requestPipeline: validationDidEnd,
        // then sendErrorResponse over the same array), as its own suggestion-hiding plugin relies on
        // when it edits those errors. src/graphql/apollo.ts installs that plugin before this one, so
        // that, end hooks running in reverse, it also sees the errors put here.
        if (seen !== errors) (errors as Error[]).splice(0, errors.length, ...seen);
      };
    },
    async didResolveOperation({ document, operation }) {
      if (operation === undefined || !introspectionPlan(document, operation)?.nested) return;
      throw new GraphQLError('Introspection (__schema, __type) is answered at the root of a query only.', {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    },
    async willSendResponse({ response, document, operation, schema, contextValue, request }) {
      if (response.body.kind !== 'single') return;
      const result = response.body.singleResult;
      const plan = document !== undefined && operation !== undefined ? introspectionPlan(document, operation) : null;
      if (plan !== null && result.data !== null && result.data !== undefined) {
        const data = result.data as Record<string, unknown>;
        const answered = await visibleIntrospectionData(schema, contextValue.viewer, plan, request.variables ?? {}, contextValue);
        // A failed visible run answers null: the whole schema's answer must not go out instead.
        for (const key of plan.keys) if (Object.hasOwn(data, key)) data[key] = answered?.[key] ?? null;
      }
      if (result.errors?.some((error) => hasSuggestion(error.message))) {
        const visible = visibleSchemaFor(schema, contextValue.viewer);
        result.errors = result.errors.map((error) =>
          hasSuggestion(error.message) ? { ...error, message: withoutHiddenSuggestions(error.message, visible) } : error,
        );
      }
    },
  };
  return { requestDidStart: async () => listeners };
}
