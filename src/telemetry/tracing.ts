// Spans through @opentelemetry/api only: gatehouse brings no SDK. With no tracer provider registered
// the API hands out non-recording spans (a no-op); one registered by the application, before or
// after gatehouse is loaded, is found because the tracer is asked for on each use (the API's global
// provider is a proxy that delegates to whatever is registered then). The names and attributes are
// the contract's: gatehouse.authenticate (gatehouse.credential.kind) and gatehouse.authorize
// (gatehouse.denied: the coordinates denied anywhere in the request).
import { ProxyTracerProvider, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

export const TRACER_NAME = 'gatehouse';
export const AUTHENTICATE_SPAN = 'gatehouse.authenticate';
export const AUTHORIZE_SPAN = 'gatehouse.authorize';
export const CREDENTIAL_KIND_ATTRIBUTE = 'gatehouse.credential.kind';
export const DENIED_ATTRIBUTE = 'gatehouse.denied';

/** What the API's global proxy delegates to while no provider is registered (one shared object). */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True while no tracer provider is registered: then gatehouse makes no span at all (a
 * non-recording span still costs allocations and an async wrapper on every request). Asked on each
 * use, so a provider registered later is seen at once.
 */
export function tracingOff(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_PROVIDER;
}

/** A span of gatehouse's, child of whatever span is active (the application's HTTP span, say); null while tracing is off. */
export function startSpan(name: string): Span | null {
  return tracingOff() ? null : trace.getTracer(TRACER_NAME).startSpan(name);
}

/**
 * Runs `authenticate` inside a gatehouse.authenticate span whose gatehouse.credential.kind is the
 * credential presented (`jwt`, `api-key`, `none`, `refused`; `external` once it is known to be a
 * provider's). A failure to answer (the store down) ends the span as an error and rethrows.
 */
export async function traceAuthentication<T>(
  kind: string,
  authenticate: () => Promise<T>,
  kindOf?: (result: T, presented: string) => string,
): Promise<T> {
  const span = startSpan(AUTHENTICATE_SPAN);
  if (span === null) return authenticate();
  try {
    const result = await authenticate();
    span.setAttribute(CREDENTIAL_KIND_ATTRIBUTE, kindOf?.(result, kind) ?? kind);
    return result;
  } catch (error) {
    span.setAttribute(CREDENTIAL_KIND_ATTRIBUTE, kind);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

/** The credential kind of an authentication's outcome: the viewer's (a provider's token is `external`), else what was presented. */
export function authenticatedKind(result: { ok: boolean; viewer?: { via: string } | null }, presented: string): string {
  return result.ok ? (result.viewer?.via ?? 'none') : presented;
}

/** Ends a gatehouse.authorize span with the coordinates denied in its request (distinct, in order). */
export function endAuthorizeSpan(span: Span, denied: readonly string[]): void {
  span.setAttribute(DENIED_ATTRIBUTE, [...new Set(denied)]);
  span.end();
}
