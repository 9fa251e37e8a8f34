/*
 * Hostile values a client controls, through the real HTTP server (issue 17: "Forwarded addresses are
 * not validated", "Hostile text", "A subscription operation over HTTP answers 500").
 */
import { type GqlResponse, type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';
import { postgresDatabase, type ThrowawayDatabase } from '../helpers/databases';
import { codes, CREATE_API_KEY, PASSWORD, signUp, uniqueEmail } from '../helpers/accounts';
import { countRows } from './support';

const FAILED_LOGIN = 'mutation ($email: String!) { login(email: $email, password: "a wrong password") { expiresIn } }';
const SIGN_UP_NAMED =
  'mutation ($email: String!, $password: String!, $name: String) { signUp(email: $email, password: $password, name: $name) { user { id } } }';
const CREATE_NOTE = 'mutation ($title: String!, $body: String!) { createNote(title: $title, body: $body) { id title body } }';

async function auditRows(h: HttpHarness): Promise<Array<{ address: string | null; source: string }>> {
  return h.store.db.selectFrom('audit_events').select(['address', 'source']).orderBy('occurred_at').orderBy('id').execute();
}

describe('forwarded addresses (TRUST_PROXY=true)', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer({ env: { TRUST_PROXY: 'true', LOGIN_FAILURES_PER_ADDRESS: '3' } });
  });
  afterAll(() => h?.close());

  const failedLogin = (forwardedFor?: string) =>
    h.gql(FAILED_LOGIN, {
      variables: { email: uniqueEmail('nobody') },
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });

  it('an entry that is no IP address ("cli", "<script>") is replaced by the connection address, and counts against it', async () => {
    for (const forged of ['cli', '<script>alert(1)</script>', '10.0.0.1, cli']) {
      expect(codes(await failedLogin(forged))).toEqual(['UNAUTHENTICATED']);
    }
    const rows = await auditRows(h);
    expect(rows).toEqual(Array.from({ length: 3 }, () => ({ address: '127.0.0.1', source: 'request' })));
    // Three failures from 127.0.0.1 (LOGIN_FAILURES_PER_ADDRESS=3): the connection's own address is locked now.
    const fourth = await failedLogin();
    expect(fourth.status).toBe(429);
    expect(codes(fourth)).toEqual(['RATE_LIMITED']);
  });

  it('a real address is taken in one spelling, without port or brackets', async () => {
    const spellings: Array<[string, string]> = [
      ['203.0.113.9:8080', '203.0.113.9'],
      ['[2001:DB8:0:0::1]:443', '2001:db8::1'],
      ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
      ['::ffff:198.51.100.7', '198.51.100.7'],
    ];
    for (const [sent, stored] of spellings) {
      const before = (await auditRows(h)).length;
      await failedLogin(sent);
      const rows = await auditRows(h);
      expect(rows.slice(before)).toEqual([{ address: stored, source: 'request' }]);
    }
  });
});

const HOSTILE: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['an ANSI escape sequence', '\u001b[2J\u001b[31mred'],
  ['a line break', 'first\nforged line'],
  ['a C1 control', 'a\u009bb'],
  ['a right-to-left override', 'invoice\u202Efdp.exe'],
  ['a bidi isolate', 'a\u2066b\u2069'],
];

const dialects = process.env['GATEHOUSE_TEST_POSTGRES'] === '1' ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('hostile text on %s', (dialect) => {
  let h: HttpHarness;
  let database: ThrowawayDatabase | undefined;
  let token: string;
  beforeAll(async () => {
    database = dialect === 'postgres' ? await postgresDatabase() : undefined;
    h = await startHttpServer({
      env: database?.config.dialect === 'postgres' ? { DATABASE_URL: database.config.url, JWT_SECRET: randomSecret() } : {},
    });
    token = (await signUp(h)).accessToken;
  });
  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  function expectRefused(response: GqlResponse, argument: string): void {
    expect(response.status).toBe(200);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.extensions?.['argument']).toBe(argument);
    expect(response.body.errors?.[0]?.message).toMatch(/control characters/);
  }

  it.each(HOSTILE)('%s is refused in an email, a name, an API key name and a note title, and nothing is stored', async (_label, text) => {
    const [users, keys, notes] = [await countRows(h, 'users'), await countRows(h, 'api_keys'), await countRows(h, 'notes')];
    const auth = { authorization: `Bearer ${token}` };
    expectRefused(await h.gql(SIGN_UP_NAMED, { variables: { email: `x${text}@example.test`, password: PASSWORD } }), 'email');
    expectRefused(await h.gql(SIGN_UP_NAMED, { variables: { email: uniqueEmail(), password: PASSWORD, name: `Eve ${text}` } }), 'name');
    expectRefused(await h.gql(CREATE_API_KEY, { variables: { name: `deploy ${text}` }, headers: auth }), 'name');
    expectRefused(await h.gql(CREATE_NOTE, { variables: { title: `title ${text}`, body: 'body' }, headers: auth }), 'title');
    expect([await countRows(h, 'users'), await countRows(h, 'api_keys'), await countRows(h, 'notes')]).toEqual([users, keys, notes]);
  });

  it('a note body keeps line breaks and tabs, and refuses NUL and escapes', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const kept = await h.gql(CREATE_NOTE, { variables: { title: 'plain', body: 'line one\n\tline two\r\n' }, headers: auth });
    expect(codes(kept)).toEqual([]);
    expect(kept.body.data?.['createNote'].body).toBe('line one\n\tline two\r\n');
    expectRefused(await h.gql(CREATE_NOTE, { variables: { title: 'plain', body: 'a\u0000b' }, headers: auth }), 'body');
    expectRefused(await h.gql(CREATE_NOTE, { variables: { title: 'plain', body: '\u001b]0;title\u0007' }, headers: auth }), 'body');
  });

  it('a new password with a control character is refused', async () => {
    expectRefused(await h.gql(SIGN_UP_NAMED, { variables: { email: uniqueEmail(), password: 'passw\u0000rd long enough' } }), 'password');
  });
});

describe('a subscription operation over HTTP, on a schema without a Subscription type', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    // The accounts schema alone: the demo's noteAdded would make these documents fail validation first.
    h = await startHttpServer({ app: {} });
  });
  afterAll(() => h?.close());

  it.each([
    ['a field that does not exist', 'subscription { x }'],
    ['a field of Query', 'subscription S { publicMessage }'],
  ])('(%s) is a 400 client error with a clear message and the request id', async (_label, query) => {
    const response = await h.gql(query);
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_REQUEST']);
    expect(response.body.errors?.[0]?.message).toMatch(/Subscription operations are not served over HTTP/);
    expect(response.body.errors?.[0]?.extensions?.['requestId']).toBe(response.headers.get('x-request-id'));
    expect(response.body.data ?? null).toBeNull();
  });
});

describe('a valid subscription operation over HTTP (the demo has a Subscription type)', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(() => h?.close());

  it('is a 400 client error saying subscriptions are served over WebSocket, with the request id; nothing runs', async () => {
    const response = await h.gql('subscription { noteAdded { id } }');
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_REQUEST']);
    expect(response.body.errors?.[0]?.message).toMatch(/Subscription operations are not served over HTTP/);
    expect(response.body.errors?.[0]?.extensions?.['requestId']).toBe(response.headers.get('x-request-id'));
    expect(response.body.data ?? null).toBeNull();
    expect(h.app.events.listenerCount()).toBe(0);
  });

  it('a root @skip/@include on a variable (graphql 16 validation throws on it) is a 400 validation failure, not a 500, by POST and GET', async () => {
    const query = 'subscription ($s: Boolean!) { noteAdded @skip(if: $s) { id } }';
    const post = await h.gql(query, { variables: { s: true } });
    expect(post.status).toBe(400);
    expect(codes(post)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(post.body.errors?.[0]?.message).toMatch(/Argument "if" of required type "Boolean!"/);
    expect(post.body.errors?.[0]?.extensions?.['requestId']).toBe(post.headers.get('x-request-id'));
    const params = new URLSearchParams({ query, variables: '{"s":false}' });
    const get = await fetch(`${h.url}/graphql?${params}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    // The whole document is validated, whichever operation it selects.
    const beside = await h.gql(`query Q { publicMessage } ${query.replace('subscription', 'subscription S')}`, { operationName: 'Q' });
    expect(beside.status).toBe(400);
    expect(codes(beside)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // Without the variable it is the usual refusal of a subscription over HTTP.
    const literal = await h.gql('subscription { noteAdded @skip(if: false) { id } }');
    expect(literal.status).toBe(400);
    expect(codes(literal)).toEqual(['BAD_REQUEST']);
  });
});
