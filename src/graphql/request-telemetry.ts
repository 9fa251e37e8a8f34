// What tells each GraphQL request's outcome to the instance's telemetry
// (src/telemetry/): the gatehouse.authorize span with every coordinate denied in the request, one
// denial line per denied field (with its rule, in every mode) and gatehouse_denials_total, and
// gatehouse_requests_total by operation type and HTTP status. Denials come from field errors
// (what graphql-js raised from a guarded resolver) and from the operation gate, which refuses
// before execution and hands its denials here (recordGateDenials).
import type { Span } from '@opentelemetry/api';
import type { GraphQLError } from 'graphql';
import { type Denial, denialOf } from '../enforcement/denials';
import { AUTHORIZE_SPAN, endAuthorizeSpan, startSpan } from '../telemetry/tracing';
import type { OperationLabel } from '../telemetry/metrics';
import type { GraphQLContext } from './context';

/** Per request (its context), made only when there is something to keep: the span and the denials so far. */
interface Observed {
  span: Span | null;
  denials: { readonly denial: Denial; readonly path: readonly (string | number)[] | undefined }[];
}

const observedRequests = new WeakMap<object, Observed>();

function observedOf(context: object): Observed {
  let observed = observedRequests.get(context);
  if (observed === undefined) observedRequests.set(context, (observed = { span: null, denials: [] }));
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

/**
 * The request's operation is known: the gatehouse.authorize span starts, when tracing is on. These
 * functions are synchronous and called from listeners that exist anyway (src/graphql/apollo.ts): a
 * listener of their own would cost each request a promise per hook.
 */
export function observeOperation(context: GraphQLContext): void {
  const span = startSpan(AUTHORIZE_SPAN);
  if (span !== null) observedOf(context).span = span;
}

/** The request's errors: the denials among them (and RATE_LIMITED refusals, counted). */
export function observeErrors(context: GraphQLContext, errors: readonly GraphQLError[]): void {
  let observed: Observed | undefined;
  for (const error of errors) {
    if (error.extensions['code'] === 'RATE_LIMITED') context.app.telemetry.metrics.rateLimited();
    const denial = denialOf(error);
    if (denial === null) continue;
    observed ??= observedOf(context);
    observed.denials.push({ denial, path: error.path });
  }
}

/** The answer is going out: the request is counted, its denials logged and counted, its span ended. */
export function observeResponse(context: GraphQLContext, operation: OperationLabel, status: number): void {
  const { telemetry } = context.app;
  telemetry.metrics.request(operation, status);
  const observed = observedRequests.get(context);
  if (observed === undefined) return;
  if (observed.denials.length > 0) {
    const request = { requestId: context.requestId, viewer: context.viewer, log: context.log ?? context.app.log };
    for (const { denial, path } of observed.denials) telemetry.denials.denied(denial, request, path);
  }
  if (observed.span !== null)
    endAuthorizeSpan(
      observed.span,
      observed.denials.map(({ denial }) => denial.coordinate),
    );
}
