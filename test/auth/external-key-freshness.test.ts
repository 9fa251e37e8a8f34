import { parseConfig } from '../../src/config';
import { cacheMaxAgeMs, MIN_SET_AGE_MS } from '../../src/auth/external/keys';
import { createExternalTokens, type ExternalTokens } from '../../src/auth/external/tokens';
import { randomSecret } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

/*
 * How long gatehouse, verifying another issuer's tokens, trusts a key the issuer stopped publishing
 * (src/auth/external/keys.ts, the freshness rule): the issuer's JWKS max-age, between 5 s and 10
 * minutes; remembered verifications included. A manual clock, a real JWKS over loopback HTTP.
 */
describe("a provider's key set, kept for its Cache-Control max-age", () => {
  let issuer: TestIssuer;
  let key: TestKey;
  let tokens: ExternalTokens;
  const clock = { ms: Date.now() };
  const now = () => new Date(clock.ms);
  const log = { warn: () => undefined, info: () => undefined };

  beforeEach(async () => {
    issuer = await startTestIssuer();
    key = await issuer.newKey('ES256');
    issuer.publish(key);
    const config = parseConfig({
      JWT_SECRET: randomSecret(),
      OIDC_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: 'gatehouse-api' }]),
    });
    tokens = createExternalTokens(config.externalIssuers, { clockToleranceSeconds: 0, log, fetch: { now: () => clock.ms } });
  });
  afterEach(() => issuer.close());

  /** Lets a background refresh (real HTTP) finish. */
  const settle = async (fetches: number) => {
    for (let i = 0; i < 100 && issuer.jwksFetches() < fetches; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
  };

  it('trusts a key the provider dropped for at most its max-age, a remembered token included', async () => {
    issuer.cacheControl = 'public, max-age=60, must-revalidate';
    const token = await issuer.sign(key, { exp: Math.floor(clock.ms / 1000) + 3600 });
    expect((await tokens.verify(token, now())).ok).toBe(true);
    expect(issuer.jwksFetches()).toBe(1);
    issuer.unpublish(key.kid);

    clock.ms += 29_000; // under half the max-age: remembered, nothing fetched
    expect(tokens.recall(token, now())?.ok).toBe(true);
    expect(issuer.jwksFetches()).toBe(1);
    clock.ms += 2_000; // past half: still served, refreshed in the background, which drops the key
    expect(tokens.recall(token, now())?.ok).toBe(true);
    await settle(2);
    expect(issuer.jwksFetches()).toBe(2);
    expect(tokens.recall(token, now())).toBeUndefined();
    expect(await tokens.verify(token, now())).toMatchObject({ ok: false });
  });

  it('past the max-age with no use in between, the next token waits for the refresh and is refused', async () => {
    issuer.cacheControl = 'max-age=60';
    const token = await issuer.sign(key, { exp: Math.floor(clock.ms / 1000) + 3600 });
    expect((await tokens.verify(token, now())).ok).toBe(true);
    issuer.unpublish(key.kid);
    clock.ms += 61_000;
    expect(tokens.recall(token, now())).toBeUndefined();
    expect(await tokens.verify(token, now())).toMatchObject({ ok: false });
  });

  it("learns the provider's next key past the max-age, within the unknown-kid cooldown of a routine fetch", async () => {
    issuer.cacheControl = 'max-age=5';
    const first = await issuer.sign(key, { exp: Math.floor(clock.ms / 1000) + 3600 });
    expect((await tokens.verify(first, now())).ok).toBe(true);
    expect(issuer.jwksFetches()).toBe(1);
    // The provider publishes its next key and signs with it 11 s later: no token came in between.
    const next = await issuer.newKey('ES256');
    issuer.publish(next);
    clock.ms += 11_000;
    const second = await issuer.sign(next, { exp: Math.floor(clock.ms / 1000) + 3600 });
    expect((await tokens.verify(second, now())).ok).toBe(true);
    expect(issuer.jwksFetches()).toBe(2);
    // Within the max-age, an unknown kid is refused without a fetch until the cooldown is over.
    const stranger = await issuer.newKey('ES256');
    expect(await tokens.verify(await issuer.sign(stranger, { exp: Math.floor(clock.ms / 1000) + 3600 }), now())).toMatchObject({
      ok: false,
    });
    expect(issuer.jwksFetches()).toBe(2);
  });

  it('without a max-age keeps the set 10 minutes; an unreachable provider leaves the last good set serving', async () => {
    const token = await issuer.sign(key, { exp: Math.floor(clock.ms / 1000) + 7200 });
    expect((await tokens.verify(token, now())).ok).toBe(true);
    clock.ms += 9 * 60_000;
    expect(tokens.recall(token, now())?.ok).toBe(true);
    await settle(2); // past half of 10 minutes: refreshed in the background
    issuer.down = true;
    clock.ms += 11 * 60_000;
    expect((await tokens.verify(token, now())).ok).toBe(true);
  });

  it('reads max-age, honours no-cache as the shortest age, and keeps within 5 s to 10 minutes', () => {
    expect(cacheMaxAgeMs('public, max-age=300, must-revalidate')).toBe(300_000);
    expect(cacheMaxAgeMs('no-cache')).toBe(0);
    expect(cacheMaxAgeMs('public')).toBeUndefined();
    expect(cacheMaxAgeMs(null)).toBeUndefined();
    expect(MIN_SET_AGE_MS).toBe(5_000);
  });
});
