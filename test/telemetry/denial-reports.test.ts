/*
 * The denial log (src/telemetry/denial-reports.ts): every denial is counted; its line carries the
 * rule, the coordinate, the caller's kind and the request id, at most 10 per field and second; a
 * report-only rule's "would deny" line at most once per field and window, the next one saying how
 * many were left out, while the counter counts every one.
 */
import { GraphQLError } from 'graphql';
import { Denial } from '../../src/enforcement/denials';
import { createDenialReports } from '../../src/telemetry/denial-reports';
import { createMetrics } from '../../src/telemetry/metrics';

const denial = (coordinate: string) =>
  new Denial(new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } }), coordinate, `@hasRole(role: ADMIN) on ${coordinate}`);

function setUp() {
  let now = 1_000_000;
  const metrics = createMetrics();
  const reports = createDenialReports({ metrics, now: () => now, reportOnlyWindowMs: 60_000 });
  const lines: { details: Record<string, unknown>; message: string }[] = [];
  const log = { info: (details: object, message: string) => lines.push({ details: details as Record<string, unknown>, message }) };
  const value = async (name: string, labels: Record<string, string>) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      ?.value;
  return { reports, lines, log, value, advance: (ms: number) => (now += ms) };
}

it('logs a report-only would-deny once per field and window, says how many it left out, and counts every one', async () => {
  const { reports, lines, log, value, advance } = setUp();
  const viewer = { id: 'u1', roles: ['USER'], via: 'api-key' as const };
  for (let i = 0; i < 5; i++) reports.wouldDeny(denial('Query.trial'), { requestId: `r${i}`, viewer, log });
  reports.wouldDeny(denial('Query.other'), { requestId: 'o1', viewer: null, log });
  expect(lines).toEqual([
    {
      message: 'would deny (report only)',
      details: {
        requestId: 'r0',
        coordinate: 'Query.trial',
        code: 'FORBIDDEN',
        rule: '@hasRole(role: ADMIN) on Query.trial',
        caller: 'api-key',
      },
    },
    {
      message: 'would deny (report only)',
      details: {
        requestId: 'o1',
        coordinate: 'Query.other',
        code: 'FORBIDDEN',
        rule: '@hasRole(role: ADMIN) on Query.other',
        caller: 'anonymous',
      },
    },
  ]);
  advance(60_000);
  reports.wouldDeny(denial('Query.trial'), { requestId: 'r5', viewer, log });
  expect(lines[2]?.details).toEqual(expect.objectContaining({ requestId: 'r5', notLogged: 4 }));
  expect(await value('gatehouse_report_only_denials_total', { coordinate: 'Query.trial' })).toBe(6);
});

it('logs each denial with its rule, at most 10 per field and second, and counts them all by coordinate and code', async () => {
  const { reports, lines, log, value } = setUp();
  for (let i = 0; i < 12; i++) reports.denied(denial('Query.users'), { requestId: `r${i}`, viewer: null, log }, ['users']);
  expect(lines).toHaveLength(10);
  expect(lines[0]).toEqual({
    message: 'denied',
    details: {
      requestId: 'r0',
      coordinate: 'Query.users',
      code: 'FORBIDDEN',
      rule: '@hasRole(role: ADMIN) on Query.users',
      caller: 'anonymous',
      path: 'users',
    },
  });
  expect(await value('gatehouse_denials_total', { coordinate: 'Query.users', code: 'FORBIDDEN' })).toBe(12);
});
