import { type HttpHarness, startHttpServer } from '../helpers/http';

const FAILED_LOGIN = 'mutation { login(email: "nobody@example.test", password: "wrong password") { expiresIn } }';

async function lastAuditAddress(server: HttpHarness): Promise<string | null> {
  const row = await server.store.db
    .selectFrom('audit_events')
    .select('address')
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.address ?? null;
}

describe('client address', () => {
  let direct: HttpHarness;
  let proxied: HttpHarness;
  beforeAll(async () => {
    direct = await startHttpServer();
    proxied = await startHttpServer({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is on', async () => {
    await direct.gql(FAILED_LOGIN, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(await lastAuditAddress(direct)).toBe('127.0.0.1');
  });

  it('behind one proxy, takes the entry that proxy added, not one the client wrote', async () => {
    // The client sent "198.51.100.1"; the proxy appended the address it saw, 203.0.113.9.
    await proxied.gql(FAILED_LOGIN, { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' } });
    expect(await lastAuditAddress(proxied)).toBe('203.0.113.9');
  });
});
