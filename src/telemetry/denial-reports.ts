// Where a denial is told: one log line per denied field (rate-limited per field) carrying the rule
// as written, the field's coordinate, the caller's kind and the request id, in every mode; and the
// counters of src/telemetry/metrics.ts. A rule beside `@reportOnly` that would have denied is logged
// as "would deny", at most once per field and window (the next line says how many were left out),
// and counted every time. What a client is told of the rule is decided at the edge (EXPLAIN_DENIALS).
import type { Viewer } from '../auth/viewer';
import type { Denial } from '../enforcement/denials';
import type { GatehouseMetrics } from './metrics';

/** Where denial lines go: the request's logger (it names the request) or the server's. */
export interface DenialLog {
  info(details: object, message: string): void;
}

/** Who was denied, for the line. */
export interface DeniedRequest {
  readonly requestId: string;
  readonly viewer: Viewer | null;
  readonly log?: DenialLog | undefined;
}

export interface DenialReports {
  /** A field refused; `path` where it was (a response path), when known. */
  denied(denial: Denial, request: DeniedRequest, path?: readonly (string | number)[]): void;
  /** A field a `@reportOnly` rule would have refused, served anyway. */
  wouldDeny(denial: Denial, request: DeniedRequest): void;
}

export interface DenialReportOptions {
  readonly metrics: GatehouseMetrics;
  readonly now: () => number;
  /** Report-only lines: at most one per field per this many ms. Default 60 s. */
  readonly reportOnlyWindowMs?: number;
  /** Denial lines: at most this many per field per second. Default 10. */
  readonly denialsPerSecond?: number;
}

/** Per key: how many lines this window, and how many were left out since the last line. */
function createBudget(windowMs: number, perWindow: number, now: () => number): (key: string) => number | null {
  const windows = new Map<string, { start: number; logged: number; skipped: number }>();
  return (key) => {
    const at = now();
    let entry = windows.get(key);
    if (entry === undefined) {
      if (windows.size >= 10_000) windows.clear(); // keys are coordinates: bounded by the schema anyway
      windows.set(key, (entry = { start: at, logged: 0, skipped: 0 }));
    }
    if (at - entry.start >= windowMs) {
      entry.start = at;
      entry.logged = 0;
    }
    if (entry.logged >= perWindow) {
      entry.skipped++;
      return null;
    }
    entry.logged++;
    const skipped = entry.skipped;
    entry.skipped = 0;
    return skipped;
  };
}

const callerOf = (viewer: Viewer | null): string => viewer?.via ?? 'anonymous';

export function createDenialReports(options: DenialReportOptions): DenialReports {
  const { metrics } = options;
  const denialBudget = createBudget(1_000, options.denialsPerSecond ?? 10, options.now);
  const reportBudget = createBudget(options.reportOnlyWindowMs ?? 60_000, 1, options.now);
  const line = (denial: Denial, request: DeniedRequest, skipped: number) => ({
    requestId: request.requestId,
    coordinate: denial.coordinate,
    // An argument rule's denial is its field's (coordinate `Type.field`); the path says which argument.
    ...(typeof denial.extensions['argument'] === 'string' ? { argument: denial.extensions['argument'] } : {}),
    code: denial.extensions['code'],
    rule: denial.rule,
    caller: callerOf(request.viewer),
    ...(skipped > 0 ? { notLogged: skipped } : {}),
  });
  return {
    denied(denial, request, path) {
      metrics.denial(denial.coordinate, String(denial.extensions['code']));
      const skipped = denialBudget(denial.coordinate);
      if (skipped === null || request.log === undefined) return;
      request.log.info({ ...line(denial, request, skipped), ...(path ? { path: path.join('.') } : {}) }, 'denied');
    },
    wouldDeny(denial, request) {
      metrics.reportOnlyDenial(denial.coordinate);
      const skipped = reportBudget(denial.coordinate);
      if (skipped === null || request.log === undefined) return;
      request.log.info(line(denial, request, skipped), 'would deny (report only)');
    },
  };
}

/** The whole telemetry of one gatehouse instance (App.telemetry). */
export interface Telemetry {
  readonly metrics: GatehouseMetrics;
  readonly denials: DenialReports;
}
