/*
 * The GraphQL-over-HTTP conformance audit (graphql-http's auditServer) against the real server in
 * development mode (two MUST audits query `__type`, so introspection must be on). No MUST-level
 * audit may end in `error`.
 */
import { type AuditResult, auditServer } from 'graphql-http';
import { type HttpHarness, startHttpServer } from '../helpers/http';

describe('GraphQL over HTTP audit (graphql-http auditServer)', () => {
  let h: HttpHarness;
  let results: AuditResult[];

  beforeAll(async () => {
    h = await startHttpServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    results = await auditServer({ url: `${h.url}/graphql`, fetchFn: fetch });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ran the whole audit against the loopback server', () => {
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThan(10);
    for (const result of results) expect(['ok', 'notice', 'warn', 'error']).toContain(result.status);
  });

  it('no MUST-level audit fails', () => {
    const failedMusts = results
      .filter((r) => r.name.startsWith('MUST') && r.status === 'error')
      .map((r) => ({ id: r.id, name: r.name, reason: 'reason' in r ? r.reason : undefined }));
    expect(failedMusts).toEqual([]);
  });

  it('no audit at all ends in error', () => {
    const errors = results.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.name}`);
    expect(errors).toEqual([]);
  });
});
