/*
 * API keys and password logins through the real HTTP server: every bad key gets the very same 401;
 * keys in the URL are ignored; login failures reveal nothing (same error, same time); brute force
 * is throttled per account and per address (429 + Retry-After + RATE_LIMITED), also when the
 * guesses hide in aliases of one document or arrive in parallel; huge passwords are refused
 * before any hashing.
 */
import { generateApiKey } from '../../src/auth/secrets';
import { type GqlResponse, type HttpHarness, expectOwnRequestIds, startHttpServer, get, post, withoutRequestIds } from '../helpers/http';
import {
  codes,
  createKey,
  expectRefused,
  LOGIN,
  ME,
  PASSWORD,
  REVOKE_API_KEY,
  SIGN_UP,
  type SignedUp,
  signUp,
  uniqueEmail,
} from '../helpers/accounts';
import { countRows, countUsersWithEmail, median } from './support';

async function auditCount(h: HttpHarness, action: string, subjectId?: string): Promise<number> {
  let query = h.store.db.selectFrom('audit_events').select('id').where('action', '=', action);
  if (subjectId !== undefined) query = query.where('subject_id', '=', subjectId);
  return (await query.execute()).length;
}

async function refreshTokensOf(h: HttpHarness, userId: string): Promise<number> {
  return (await h.store.db.selectFrom('refresh_tokens').select('id').where('user_id', '=', userId).execute()).length;
}

function login(h: HttpHarness, email: string, password: string): Promise<GqlResponse> {
  return h.gql(LOGIN, { variables: { email, password } });
}

function expectRateLimited(response: GqlResponse): void {
  expect(response.status).toBe(429);
  const header = response.headers.get('retry-after');
  expect(header).toMatch(/^\d+$/);
  expect(response.body.errors).toHaveLength(1);
  const extensions = response.body.errors?.[0]?.extensions ?? {};
  expect(extensions['code']).toBe('RATE_LIMITED');
  expect(typeof extensions['retryAfter']).toBe('number');
  expect(extensions['retryAfter']).toBeGreaterThan(0);
  expect(extensions['retryAfter']).toBeLessThanOrEqual(15 * 60);
  expect(Number(header)).toBe(extensions['retryAfter']);
  expect(response.body.data?.['login'] ?? null).toBeNull();
}

describe('API keys', () => {
  let h: HttpHarness;
  let owner: SignedUp;
  beforeAll(async () => {
    h = await startHttpServer();
    owner = await signUp(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a valid key acts as its owner (control)', async () => {
    const key = await createKey(h, owner.accessToken);
    const response = await h.gql(ME, { headers: { 'x-api-key': key.secret } });
    expect(response.status).toBe(200);
    expect(response.body.data?.['me']?.id).toBe(owner.id);
  });

  it('unknown, truncated, bad-checksum, expired and revoked keys all get the same 401: same body, code and WWW-Authenticate', async () => {
    const working = await createKey(h, owner.accessToken);
    const toExpire = await createKey(h, owner.accessToken, 30);
    const toRevoke = await createKey(h, owner.accessToken);
    for (const key of [working, toExpire, toRevoke]) {
      expect((await h.gql(ME, { headers: { 'x-api-key': key.secret } })).body.data?.['me']?.id).toBe(owner.id);
    }

    await h.store.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 60_000).toISOString() })
      .where('id', '=', toExpire.id)
      .execute();
    const revoked = await h.gql(REVOKE_API_KEY, {
      variables: { id: toRevoke.id },
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(revoked.body.data?.['revokeApiKey']?.revokedAt).toEqual(expect.any(String));

    const last = working.secret.slice(-1);
    const bad: Record<string, string> = {
      unknown: generateApiKey().secret,
      truncated: working.secret.slice(0, -6),
      'truncated by one': working.secret.slice(0, -1),
      'bad checksum': working.secret.slice(0, -1) + (last === 'A' ? 'B' : 'A'),
      'prefix only': 'gth_',
      'wrong prefix': `ghp_${working.secret.slice(4)}`,
      expired: toExpire.secret,
      revoked: toRevoke.secret,
    };
    const answers = new Map<string, GqlResponse>();
    for (const [label, key] of Object.entries(bad)) {
      const response = await h.gql('{ publicMessage me { id } }', { headers: { 'x-api-key': key } });
      expectRefused(response, key, working.secret);
      answers.set(label, response);
    }
    const reference = answers.get('unknown') as GqlResponse;
    for (const [label, response] of answers) {
      expect({ label, status: response.status }).toEqual({ label, status: reference.status });
      expect({ label, challenge: response.headers.get('www-authenticate') }).toEqual({
        label,
        challenge: reference.headers.get('www-authenticate'),
      });
      expect({ label, message: response.body.errors?.[0]?.message }).toEqual({ label, message: reference.body.errors?.[0]?.message });
      expect({ label, code: response.body.errors?.[0]?.extensions?.['code'] }).toEqual({ label, code: 'UNAUTHENTICATED' });
      // Byte for byte the same, but for the request id every answer carries (its own, by design).
      const sameBut = (text: string) => text.replace(/"requestId":"[^"]+"/, '"requestId":"…"');
      expect({ label, text: sameBut(response.text) }).toEqual({ label, text: sameBut(reference.text) });
    }
    // ...and the key that was never touched still works.
    expect((await h.gql(ME, { headers: { 'x-api-key': working.secret } })).body.data?.['me']?.id).toBe(owner.id);
  });

  it('an expired key is refused when its owner has valid keys too, and the expiry comes from the database (not the request)', async () => {
    const key = await createKey(h, owner.accessToken, 1);
    await h.store.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', key.id)
      .execute();
    expectRefused(await h.gql(ME, { headers: { 'x-api-key': key.secret } }), key.secret);
  });

  it.each(['api_key', 'x-api-key', 'apiKey', 'apikey', 'key'])(
    'a key in the query string (?%s=…) is ignored: the caller stays anonymous',
    async (param) => {
      const key = await createKey(h, owner.accessToken);
      const response = await post(
        h,
        JSON.stringify({ query: ME }),
        { 'content-type': 'application/json' },
        `/graphql?${param}=${encodeURIComponent(key.secret)}`,
      );
      expect(response.status).toBe(200);
      expect(response.body.data?.['me']).toBeNull();
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.body.errors?.[0]?.path).toEqual(['me']);

      const overGet = await get(h, `/graphql?query=${encodeURIComponent(ME)}&${param}=${encodeURIComponent(key.secret)}`, {
        'apollo-require-preflight': 'true',
      });
      expect(overGet.status).toBe(200);
      expect(overGet.body.data?.['me']).toBeNull();
      expect(codes(overGet)).toEqual(['UNAUTHENTICATED']);
    },
  );

  it('an access token in the query string (?access_token=…) is ignored too', async () => {
    const response = await post(
      h,
      JSON.stringify({ query: ME }),
      { 'content-type': 'application/json' },
      `/graphql?access_token=${owner.accessToken}`,
    );
    expect(response.status).toBe(200);
    expect(response.body.data?.['me']).toBeNull();
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('login failures reveal nothing', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({
      env: { PASSWORD_HASH_COST: '14', LOGIN_FAILURES_PER_ACCOUNT: '1000', LOGIN_FAILURES_PER_ADDRESS: '1000' },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an unknown email and a wrong password get the same status and byte-identical body', async () => {
    const user = await signUp(h);
    const wrong = await login(h, user.email, 'not the password');
    const unknown = await login(h, uniqueEmail('nobody'), 'not the password');
    expect(wrong.status).toBe(200);
    expect(unknown.status).toBe(wrong.status);
    expect(codes(wrong)).toEqual(['UNAUTHENTICATED']);
    // Byte for byte the same but for the request id, which each answer names as its own: a fresh
    // UUID per request, so it tells nothing about the account either.
    expect(withoutRequestIds(unknown.text)).toBe(withoutRequestIds(wrong.text));
    expectOwnRequestIds(wrong, unknown);
    expect(wrong.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
  });

  it('and take about the same time (PASSWORD_HASH_COST=14: medians of 5 within a factor of 2)', async () => {
    const user = await signUp(h);
    // Warm-up: the first unknown-email attempt also makes the dummy hash.
    await login(h, uniqueEmail('warm'), 'not the password');
    await login(h, user.email, 'not the password');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 5; round++) {
      let started = performance.now();
      const a = await login(h, user.email, `wrong password ${round}`);
      known.push(performance.now() - started);
      started = performance.now();
      const b = await login(h, uniqueEmail('nobody'), `wrong password ${round}`);
      unknown.push(performance.now() - started);
      expect(codes(a)).toEqual(['UNAUTHENTICATED']);
      expect(codes(b)).toEqual(['UNAUTHENTICATED']);
    }
    const ratio = median(unknown) / median(known);
    // A real hash at cost 14 takes tens of milliseconds: the comparison measures hashing, not noise.
    expect(median(known)).toBeGreaterThan(10);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('brute force per account (default LOGIN_FAILURES_PER_ACCOUNT = 5)', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('5 failures are answered UNAUTHENTICATED, the 6th is 429 RATE_LIMITED with Retry-After; then even the right password is refused', async () => {
    expect(h.app.config.loginFailures.perAccount).toBe(5);
    const victim = await signUp(h);
    const tokensBefore = await refreshTokensOf(h, victim.id);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const failed = await login(h, victim.email, `guess ${attempt}`);
      expect(failed.status).toBe(200);
      expect(codes(failed)).toEqual(['UNAUTHENTICATED']);
    }
    expectRateLimited(await login(h, victim.email, 'guess 6'));
    const right = await login(h, victim.email, PASSWORD);
    expectRateLimited(right);
    expect(right.text).not.toContain('accessToken');
    // No session was started for the right password during the lockout.
    expect(await refreshTokensOf(h, victim.id)).toBe(tokensBefore);
    // Two refusals, one row: a locked account is audited once per address and window.
    expect(await auditCount(h, 'login.rate_limited')).toBe(1);
    expect(await auditCount(h, 'login.succeeded', victim.id)).toBe(0);
  });

  it('the lockout also applies to the same email in another letter case', async () => {
    const victim = await signUp(h);
    for (let attempt = 1; attempt <= 5; attempt++)
      expect(codes(await login(h, victim.email, `guess ${attempt}`))).toEqual(['UNAUTHENTICATED']);
    expectRateLimited(await login(h, victim.email.toUpperCase(), PASSWORD));
  });
});

describe('brute force per account (LOGIN_FAILURES_PER_ACCOUNT = 2)', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { LOGIN_FAILURES_PER_ACCOUNT: '2' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the override changes the limit: the 3rd attempt is RATE_LIMITED', async () => {
    const victim = await signUp(h);
    expect(codes(await login(h, victim.email, 'guess 1'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(h, victim.email, 'guess 2'))).toEqual(['UNAUTHENTICATED']);
    expectRateLimited(await login(h, victim.email, PASSWORD));
  });
});

describe('brute force per address (LOGIN_FAILURES_PER_ADDRESS = 4)', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { LOGIN_FAILURES_PER_ADDRESS: '4', LOGIN_FAILURES_PER_ACCOUNT: '100' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('many different accounts from one address: after 4 failures every login from it is RATE_LIMITED, right password included', async () => {
    const real = await signUp(h);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const failed = await login(h, uniqueEmail(`spray-${attempt}`), 'Summer2026!');
      expect(codes(failed)).toEqual(['UNAUTHENTICATED']);
    }
    expectRateLimited(await login(h, uniqueEmail('spray-5'), 'Summer2026!'));
    const right = await login(h, real.email, PASSWORD);
    expectRateLimited(right);
    expect(await refreshTokensOf(h, real.id)).toBe(1); // the one from sign-up, nothing new
  });
});

describe('guesses hidden in one document or sent in parallel', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { LOGIN_FAILURES_PER_ACCOUNT: '5' } });
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /*
   * `login` is non-null, so in one document the first failed alias nulls `data` and stops the
   * serial execution: one document checks one password whatever it holds. Aliases therefore hide
   * nothing; what stops the spray is the account's throttle across documents, which this checks.
   */
  it('15 documents of 15 login aliases: one password checked per document, none after the fifth failure, the right one (last) refused', async () => {
    const victim = await signUp(h);
    const verify = jest.spyOn(h.app.passwords, 'verify');
    const answers: GqlResponse[] = [];
    for (let d = 0; d < 15; d++) {
      const aliases = Array.from({ length: 15 }, (_, i) => {
        const password = d === 14 && i === 0 ? PASSWORD : `guess ${d + 1}.${i + 1}`;
        return `l${i + 1}: login(email: $email, password: ${JSON.stringify(password)}) { accessToken refreshToken }`;
      });
      answers.push(await h.gql(`mutation Spray($email: String!) { ${aliases.join('\n')} }`, { variables: { email: victim.email } }));
    }

    expect(verify).toHaveBeenCalledTimes(5);
    for (const answer of answers.slice(0, 5)) {
      expect(answer.status).toBe(200);
      expect(codes(answer)).toEqual(['UNAUTHENTICATED']); // the first alias failed; the other 14 never ran
      expect(answer.body.data).toBeNull();
    }
    for (const answer of answers.slice(5)) expectRateLimited(answer);
    expect(answers[14]?.text).not.toMatch(/"accessToken":"ey/);
    expect(await auditCount(h, 'login.succeeded', victim.id)).toBe(0);
    expect(await refreshTokensOf(h, victim.id)).toBe(1);
  });

  it('15 parallel login requests for one account: no more than 5 passwords are checked', async () => {
    const victim = await signUp(h);
    const verify = jest.spyOn(h.app.passwords, 'verify');
    const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => login(h, victim.email, `parallel guess ${i}`)));
    expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  });
});

describe('huge passwords are refused before hashing', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await h?.close();
  });

  function spies() {
    return {
      hash: jest.spyOn(h.app.passwords, 'hash'),
      verify: jest.spyOn(h.app.passwords, 'verify'),
      verifyDummy: jest.spyOn(h.app.passwords, 'verifyDummy'),
    };
  }
  function expectNoHashing(s: ReturnType<typeof spies>): void {
    expect(s.hash).not.toHaveBeenCalled();
    expect(s.verify).not.toHaveBeenCalled();
    expect(s.verifyDummy).not.toHaveBeenCalled();
  }
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('a 300-character password: login and signUp answer BAD_USER_INPUT quickly, nothing hashed, nothing recorded', async () => {
    const victim = await signUp(h);
    const failuresBefore = await countRows(h, 'login_failures');
    const s = spies();
    const long = 'p'.repeat(300);
    let started = performance.now();
    const loginAnswer = await login(h, victim.email, long);
    expect(performance.now() - started).toBeLessThan(500);
    expect(loginAnswer.status).toBe(200);
    expect(codes(loginAnswer)).toEqual(['BAD_USER_INPUT']);
    expect(loginAnswer.text).not.toContain(long);

    const email = uniqueEmail('long');
    started = performance.now();
    const signUpAnswer = await h.gql(SIGN_UP, { variables: { email, password: long } });
    expect(performance.now() - started).toBeLessThan(500);
    expect(codes(signUpAnswer)).toEqual(['BAD_USER_INPUT']);
    expectNoHashing(s);
    expect(await countUsersWithEmail(h, email)).toBe(0);
    expect(await countRows(h, 'login_failures')).toBe(failuresBefore);
  });

  it('the limit is 256 characters: a 256-character password can sign up and log in, 257 cannot', async () => {
    const email = uniqueEmail('edge');
    const ok = 'q'.repeat(256);
    expect((await h.gql(SIGN_UP, { variables: { email, password: ok } })).body.errors).toBeUndefined();
    expect(codes(await login(h, email, ok))).toEqual([]);
    expect(codes(await login(h, email, `${ok}q`))).toEqual(['BAD_USER_INPUT']);
  });

  it('a 1 MB password is refused by the body limit (413) before GraphQL runs: nothing hashed', async () => {
    const victim = await signUp(h);
    const s = spies();
    const huge = 'p'.repeat(1024 * 1024);
    const headers = { 'content-type': 'application/json' };
    const loginAnswer = await post(h, JSON.stringify({ query: LOGIN, variables: { email: victim.email, password: huge } }), headers);
    expect(loginAnswer.status).toBe(413);
    expect(loginAnswer.body).not.toHaveProperty('data');
    const email = uniqueEmail('huge');
    const signUpAnswer = await post(h, JSON.stringify({ query: SIGN_UP, variables: { email, password: huge } }), headers);
    expect(signUpAnswer.status).toBe(413);
    expectNoHashing(s);
    expect(await countUsersWithEmail(h, email)).toBe(0);
  });
});
