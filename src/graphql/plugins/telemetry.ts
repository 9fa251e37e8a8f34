// The Apollo plugin that tells each request's outcome to the instance's telemetry
// (src/telemetry/): the gatehouse.authorize span with every coordinate denied in the request, one
// denial line per denied field (with its rule, in every mode) and gatehouse_denials_total, and
// gatehouse_requests_total by operation type and HTTP status. Denials come from field errors
// (what graphql-js raised from a guarded resolver) and from the operation gate, which refuses
// before execution and hands its denials here (recordGateDenials).
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Span } from '@opentelemetry/api';
import type { GraphQLError } from 'graphql';
import { type Denial, denialOf } from '../../enforcement/denials';
import { AUTHORIZE_SPAN, endAuthorizeSpan, startSpan } from '../../telemetry/tracing';
import type { OperationLabel } from '../../telemetry/metrics';
import type { GraphQLContext } from '../context';

/** Per request (its context): the operation, the span and the denials so far. */
interface Observed {
  operation: OperationLabel;
  span: Span | null;
  denials: { readonly denial: Denial; readonly path: readonly (string | number)[] | undefined }[];
}

const observedRequests = new WeakMap<object, Observed>();

function observedOf(context: object): Observed {
  let observed = observedRequests.get(context);
  if (observed === undefined) observedRequests.set(context, (observed = { operation: 'none', span: null, denials: [] }));
  return observed;
}

/** The operation gate's refusals (src/graphql/plugins/operation-gate.ts), told before it answers. */
export function recordGateDenials(context: object, errors: readonly GraphQLError[]): void {
  const observed = observedOf(context);
  for (const error of errors) {
    const denial = denialOf(error);
    if (denial !== null) observed.denials.push({ denial, path: error.path });
  }
}

export function telemetryPlugin(): ApolloServerPlugin<GraphQLContext> {
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async didResolveOperation({ operation, contextValue }) {
      const observed = observedOf(contextValue);
      observed.operation = operation?.operation ?? 'none';
      observed.span = startSpan(AUTHORIZE_SPAN);
    },
    async didEncounterErrors({ errors, contextValue }) {
      let observed: Observed | undefined;
      for (const error of errors) {
        if (error.extensions['code'] === 'RATE_LIMITED') contextValue.app.telemetry.metrics.rateLimited();
        const denial = denialOf(error);
        if (denial === null) continue;
        observed ??= observedOf(contextValue);
        observed.denials.push({ denial, path: error.path });
      }
    },
    async willSendResponse({ contextValue, response }) {
      const { telemetry } = contextValue.app;
      const observed = observedRequests.get(contextValue);
      telemetry.metrics.request(observed?.operation ?? 'none', response.http.status ?? 200);
      if (observed === undefined) return;
      const request = { requestId: contextValue.requestId, viewer: contextValue.viewer, log: contextValue.log ?? contextValue.app.log };
      for (const { denial, path } of observed.denials) telemetry.denials.denied(denial, request, path);
      if (observed.span !== null)
        endAuthorizeSpan(
          observed.span,
          observed.denials.map(({ denial }) => denial.coordinate),
        );
    },
  };
  return { requestDidStart: async () => listeners };
}
