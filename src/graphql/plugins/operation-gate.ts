// The Apollo plugin that runs the operation gate (src/enforcement/operation-gate.ts) before any
// resolver: a mutation (and, with REFUSE_DENIED_QUERIES, a query) that selects a field the viewer may
// not read is answered with one error per denied field, no data, and nothing changed. The decision is
// the gate's; this module only hooks it into Apollo's request pipeline.
import { type ApolloServerPlugin, type GraphQLRequestListener, HeaderMap } from '@apollo/server';
import { getVariableValues, type OperationDefinitionNode } from 'graphql';
import { createOperationGate } from '../../enforcement/operation-gate';
import type { GraphQLContext } from '../context';
import { explained } from '../error-masking';
import { recordGateDenials } from '../request-telemetry';

/**
 * Refuses a mutation (and, with `refuseQueries`, a query) that selects any field the viewer may not
 * read, before any resolver runs: no data, one error per denied field, nothing changed. The
 * resolver-level checks stay; this gate only stops side effects from running first.
 */
export function operationGatePlugin(refuseQueries: boolean, explainDenials: boolean): ApolloServerPlugin<GraphQLContext> {
  const gate = createOperationGate();
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async responseForOperation({ operation: resolved, document, schema, contextValue, request }) {
      // Apollo calls this hook even when it picked out no operation (an operationName the document
      // does not hold, or several operations and none named), though its type says otherwise;
      // execution then answers 400 OPERATION_RESOLUTION_FAILURE.
      const operation = resolved as OperationDefinitionNode | undefined;
      if (operation === undefined) return null;
      if (operation.operation !== 'mutation' && !(refuseQueries && operation.operation === 'query')) return null;
      // @skip/@include are judged with the variables as execution will see them: defaults filled
      // in. Variables that do not coerce fail execution anyway; then every field counts.
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
      const variables = coerced.coerced ?? {};
      const denied = gate.deniedFields(schema, document, operation, contextValue.viewer, variables);
      denied.push(...(await gate.deniedOwnership(schema, document, operation, contextValue.viewer, variables, contextValue)));
      if (denied.length === 0) return null;
      recordGateDenials(contextValue, denied);
      return {
        http: { status: 200, headers: new HeaderMap() },
        body: { kind: 'single', singleResult: { errors: denied.map((error) => explained(error.toJSON(), error, explainDenials)) } },
      };
    },
  };
  return { requestDidStart: async () => listeners };
}
