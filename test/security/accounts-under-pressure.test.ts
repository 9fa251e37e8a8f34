/*
 * Sign-up, login and the password hasher under attack, through the real HTTP server (issue 17:
 * "Sign-up reveals which emails exist, and hashes for free", "A failed dummy hash is kept forever",
 * "A busy hasher locks the victim out", "The audit log can be flooded").
 *
 * The hash queue is held full from this process: the harness's server shares it, so a test knows the
 * queue is full while its requests arrive instead of hoping a flood of requests lands in time.
 */
import { type GqlResponse, type HttpHarness, startHttpServer } from '../helpers/http';
import { postgresDatabase, throwawayDatabase, type ThrowawayDatabase, databaseUrlOf } from '../helpers/databases';
import { codes, LOGIN, PASSWORD, SIGN_UP, signUp, uniqueEmail } from '../helpers/accounts';
import { countRows, median } from './support';

function login(h: HttpHarness, email: string, password: string): Promise<GqlResponse> {
  return h.gql(LOGIN, { variables: { email, password } });
}

function signUpAs(h: HttpHarness, email: string, password = PASSWORD): Promise<GqlResponse> {
  return h.gql(SIGN_UP, { variables: { email, password } });
}

async function auditActions(h: HttpHarness, action: string): Promise<number> {
  return (await h.store.db.selectFrom('audit_events').select('id').where('action', '=', action).execute()).length;
}

/**
 * Keeps the server's only hash slot and its one waiting place taken (PASSWORD_HASH_CONCURRENCY=1,
 * PASSWORD_HASH_QUEUE=1) until released: each hash that ends queues the next one in the same chain of
 * microtasks, so no request (which arrives in a later turn of the event loop) finds a free place,
 * however slowly the machine runs. Resolves, once released, when the last of them is done.
 */
function holdHashQueueFull(h: HttpHarness): () => Promise<void> {
  let holding = true;
  const running: Array<Promise<unknown>> = [];
  const occupy = (): void => {
    if (!holding) return;
    running.push(h.app.passwords.hash('occupies the queue').then(occupy));
  };
  occupy();
  occupy();
  return async () => {
    holding = false;
    await Promise.all(running);
  };
}

function expectUnavailable(response: GqlResponse): void {
  expect(response.status).toBe(503);
  expect(codes(response)).toEqual(['SERVICE_UNAVAILABLE']);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(response.body.errors?.[0]?.extensions?.['retryAfter']).toBe(Number(response.headers.get('retry-after')));
  expect(response.body.data ?? null).toBeNull();
}

describe('sign-up: every attempt counts against SIGNUPS_PER_ADDRESS, before any hashing', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { SIGNUPS_PER_ADDRESS: '3' } });
  });
  afterAll(() => h?.close());

  it('counts duplicates and bad passwords: the 4th attempt from one address is 429 whatever it is', async () => {
    const taken = uniqueEmail('taken');
    expect(codes(await signUpAs(h, taken))).toEqual([]);
    const duplicate = await signUpAs(h, taken.toUpperCase());
    expect(codes(duplicate)).toEqual(['BAD_USER_INPUT']);
    expect(duplicate.body.errors?.[0]?.message).toBe('An account with this email already exists.');
    expect(codes(await signUpAs(h, uniqueEmail(), 'short'))).toEqual(['BAD_USER_INPUT']);
    for (const email of [taken, uniqueEmail('fresh')]) {
      const refused = await signUpAs(h, email);
      expect(refused.status).toBe(429);
      expect(codes(refused)).toEqual(['RATE_LIMITED']);
      expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    }
    expect(await countRows(h, 'users')).toBe(1);
  });
});

describe('sign-up: a duplicate costs no hash', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { PASSWORD_HASH_COST: '12', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' } });
  });
  afterAll(() => h?.close());

  it('answers "already exists" while the hash queue is full, and a new email 503', async () => {
    const taken = await signUp(h);
    const release = holdHashQueueFull(h);
    const [duplicate, fresh] = await Promise.all([signUpAs(h, taken.email), signUpAs(h, uniqueEmail('fresh'))]);
    await release();
    expect(duplicate.status).toBe(200);
    expect(codes(duplicate)).toEqual(['BAD_USER_INPUT']);
    expectUnavailable(fresh);
    expect(await countRows(h, 'users')).toBe(1);
  });
});

describe('sign-up: the limit holds under a parallel burst', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { SIGNUPS_PER_ADDRESS: '10' } });
  });
  afterAll(() => h?.close());

  it('40 parallel sign-ups with SIGNUPS_PER_ADDRESS=10: 10 accounts, the rest 429', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => signUpAs(h, uniqueEmail('burst'))));
    const created = answers.filter((a) => a.status === 200 && codes(a).length === 0).length;
    expect(created).toBe(10);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(30);
    expect(await countRows(h, 'users')).toBe(10);
  });
});

const dialects = process.env['GATEHOUSE_TEST_POSTGRES'] === '1' ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('sign-up: the limit holds across two instances on one %s database', (dialect) => {
  let database: ThrowawayDatabase;
  let a: HttpHarness;
  let b: HttpHarness;
  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const { config } = database;
    const env = { DATABASE_URL: databaseUrlOf(config), SIGNUPS_PER_ADDRESS: '10' };
    a = await startHttpServer({ env });
    b = await startHttpServer({ env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('40 parallel sign-ups split over both: 10 accounts, the rest 429', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => signUpAs(i % 2 === 0 ? a : b, uniqueEmail('pair'))));
    const created = answers.filter((r) => r.status === 200 && codes(r).length === 0).length;
    expect(created).toBe(10);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(30);
    expect(await countRows(a, 'users')).toBe(10);
  });
});

describe('login while the hash queue is full', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { PASSWORD_HASH_COST: '14', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' } });
  });
  afterAll(() => h?.close());

  it('answers 503 with Retry-After; five such refusals of the right password are no failures and no lockout', async () => {
    const victim = await signUp(h);
    const failuresBefore = await auditActions(h, 'login.failed');
    const release = holdHashQueueFull(h);
    const refused = await Promise.all(Array.from({ length: 5 }, () => login(h, victim.email, PASSWORD)));
    await release();
    for (const response of refused) expectUnavailable(response);
    expect(await countRows(h, 'login_failures')).toBe(0);
    expect(await auditActions(h, 'login.failed')).toBe(failuresBefore);
    expect(await auditActions(h, 'login.rate_limited')).toBe(0);

    const afterwards = await login(h, victim.email, PASSWORD);
    expect(afterwards.status).toBe(200);
    expect(codes(afterwards)).toEqual([]);
    expect(afterwards.body.data?.['login'].user.id).toBe(victim.id);
  });

  it('answers changePassword with 503 too, counting no failure', async () => {
    const user = await signUp(h);
    const release = holdHashQueueFull(h);
    const refused = await h.gql('mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', {
      variables: { c: PASSWORD, n: 'a brand new passphrase' },
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    await release();
    expectUnavailable(refused);
    expect(await countRows(h, 'login_failures')).toBe(0);
    expect(codes(await login(h, user.email, PASSWORD))).toEqual([]);
  });

  it('refuses unknown and known emails alike while full, and afterwards unknown emails are checked as before', async () => {
    const known = await signUp(h);
    const release = holdHashQueueFull(h);
    const [unknownWhileFull, knownWhileFull] = await Promise.all([
      login(h, uniqueEmail('nobody'), 'a wrong password'),
      login(h, known.email, 'a wrong password'),
    ]);
    await release();
    expectUnavailable(unknownWhileFull);
    expectUnavailable(knownWhileFull);
    expect(unknownWhileFull.body.errors?.[0]?.message).toBe(knownWhileFull.body.errors?.[0]?.message);

    // The first unknown-email check met a full queue; it must not leave anything broken behind.
    const unknownTimes: number[] = [];
    const knownTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      let started = performance.now();
      const unknown = await login(h, uniqueEmail('nobody'), `wrong ${round}`);
      unknownTimes.push(performance.now() - started);
      started = performance.now();
      const wrong = await login(h, known.email, `wrong ${round}`);
      knownTimes.push(performance.now() - started);
      expect(unknown.status).toBe(200);
      expect(codes(unknown)).toEqual(['UNAUTHENTICATED']);
      expect(unknown.body.errors?.[0]?.message).toBe(wrong.body.errors?.[0]?.message);
    }
    // A hash at cost 15 takes a hundred or more of milliseconds here: the comparison measures hashing.
    const ratio = median(unknownTimes) / median(knownTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe.each(dialects)('refusals on a locked account (%s)', (dialect) => {
  let h: HttpHarness;
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = dialect === 'postgres' ? await postgresDatabase() : undefined;
    const url: Record<string, string> = database?.config.dialect === 'postgres' ? { DATABASE_URL: database.config.url } : {};
    h = await startHttpServer({ env: { LOGIN_FAILURES_PER_ACCOUNT: '2', ...url } });
  });
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  it('write one login.rate_limited row per account and address in the window, however many arrive', async () => {
    const victim = await signUp(h);
    for (const guess of ['guess one', 'guess two']) expect(codes(await login(h, victim.email, guess))).toEqual(['UNAUTHENTICATED']);
    const sequential: GqlResponse[] = [];
    for (let i = 0; i < 20; i++) sequential.push(await login(h, victim.email, PASSWORD));
    const parallel = await Promise.all(Array.from({ length: 40 }, () => login(h, victim.email, PASSWORD)));
    for (const response of [...sequential, ...parallel]) expect(response.status).toBe(429);
    expect(await auditActions(h, 'login.rate_limited')).toBe(1);
    // Another account locked from the same address is its own row.
    const other = await signUp(h);
    for (const guess of ['guess one', 'guess two']) await login(h, other.email, guess);
    expect((await login(h, other.email, PASSWORD)).status).toBe(429);
    expect(await auditActions(h, 'login.rate_limited')).toBe(2);
  });
});
