import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CLI_ORIGIN } from '../../src/services/audit';
import { grantRole, setUserRole } from '../../src/services/users';
import { buildAuthMap } from '../../src/tools/auth-map';
import { PASSWORD, signUp, uniqueEmail } from '../helpers/accounts';
import { buildDemoSchema } from '../helpers/demo';
import { type HttpHarness, startHttpServer } from '../helpers/http';

/*
 * The admin console at /admin in a real browser: Debian's chromium driven by playwright-core (one
 * browser for the file, a fresh context per test). Everything the console does goes through the
 * API; these tests check what an administrator sees and that the API then behaves accordingly.
 * Screenshots (docs/admin-console/*.png) are written when SCREENSHOTS=1.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const XSS_NAME = '<img src=x onerror=alert(1)>';
/** Organizations land with their own issue: until the served schema has them, their test is skipped. */
const HAS_ORGANIZATIONS = buildDemoSchema().getQueryType()?.getFields()['myOrganizations'] !== undefined;
const SCREENSHOTS = process.env['SCREENSHOTS'] === '1' ? join(__dirname, '..', '..', 'docs', 'admin-console') : null;

interface Watched {
  readonly page: Page;
  /** CSP violations, console errors, uncaught errors, dialogs and requests to another origin. */
  readonly problems: string[];
}

describe('the admin console in a browser', () => {
  let server: HttpHarness;
  let browser: Browser;
  let context: BrowserContext;
  const admin = { email: uniqueEmail('admin'), password: PASSWORD, id: '' };
  const user = { email: uniqueEmail('plain'), password: PASSWORD, id: '', token: '' };
  let hostile: { id: string };

  beforeAll(async () => {
    server = await startHttpServer();
    admin.id = (await signUp(server, admin.email, admin.password)).id;
    await setUserRole(server.app, admin.id, 'ADMIN', CLI_ORIGIN);
    const plain = await signUp(server, user.email, user.password);
    user.id = plain.id;
    user.token = plain.accessToken;
    const x = await server.gql(
      'mutation ($e: String!, $p: String!, $n: String) { signUp(email: $e, password: $p, name: $n) { user { id } } }',
      {
        variables: { e: uniqueEmail('xss'), p: PASSWORD, n: XSS_NAME },
      },
    );
    hostile = { id: x.body.data?.['signUp']?.user.id };
    // playwright gives every launch a fresh --user-data-dir of its own (and refuses one passed in args).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  afterEach(async () => {
    await context?.close();
  });

  async function open(path = '/admin'): Promise<Watched> {
    const page = await context.newPage();
    const problems: string[] = [];
    // A string: the test's TypeScript has no DOM types, and this runs in the page.
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) problems.push(`request to another origin: ${r.url()}`);
    });
    await page.goto(`${server.url}${path}`);
    return { page, problems };
  }

  async function signIn({ page }: Watched, who: { email: string; password: string }): Promise<void> {
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** How many callers the served auth map says reach User.email only as its owner. */
  function authMapOwnerLabels(): number {
    const entry = buildAuthMap(server.schema).entries.find((e) => e.coordinate === 'User.email');
    return entry?.reachableBy.filter((who) => who.endsWith('(owner)')).length ?? -1;
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SCREENSHOTS === null) return;
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }

  test('sends a strict CSP with frame-ancestors none, and serves only its own files', async () => {
    const page = await fetch(`${server.url}/admin`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/https?:/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(`${server.url}/admin/main.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const path of ['/admin/../package.json', '/admin/%2e%2e/package.json', '/admin/nothing.js', '/admin/pages'])
      expect([path, (await fetch(`${server.url}${path}`)).status]).toEqual([path, 404]);
  });

  test('ADMIN_CONSOLE=false: /admin answers 404', async () => {
    const off = await startHttpServer({ env: { ADMIN_CONSOLE: 'false' } });
    try {
      expect((await fetch(`${off.url}/admin`)).status).toBe(404);
      expect((await fetch(`${off.url}/admin/main.js`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  test('an ADMIN signs in, finds a user by email, grants and revokes a role, disables and enables them; sign-out ends the session', async () => {
    const w = await open();
    await shot(w.page, 'sign-in');
    await signIn(w, admin);
    await w.page.getByRole('link', { name: 'Users' }).waitFor();
    const part = user.email.slice(0, 12);
    await w.page.getByLabel('Search by email').fill(part);
    await w.page.getByRole('button', { name: 'Search' }).click();
    // The unfiltered list shown before the search may hold the user too: wait for the search's answer.
    await w.page.getByText(`whose email contains “${part}”`).waitFor();
    const row = w.page.getByRole('row').filter({ hasText: user.email });
    await row.waitFor();
    await expect(w.page.getByRole('row').count()).resolves.toBe(2); // the header and that user
    await shot(w.page, 'users');
    await row.getByRole('link', { name: user.email }).click();
    await w.page.getByRole('heading', { name: user.email }).waitFor();

    await w.page.getByRole('button', { name: 'Grant ADMIN' }).click();
    await w.page.getByText('ADMIN (granted)').waitFor();
    const promoted = await server.gql('{ me { role roles } }', { headers: { authorization: `Bearer ${user.token}` } });
    const me = promoted.body.data?.['me'] as { role: string; roles: string[] };
    expect({ role: me.role, roles: [...me.roles].sort() }).toEqual({ role: 'ADMIN', roles: ['ADMIN', 'USER'] });
    await w.page.getByRole('button', { name: 'Revoke ADMIN' }).click();
    await w.page.getByRole('button', { name: 'Confirm' }).click();
    await w.page.getByRole('button', { name: 'Grant ADMIN' }).waitFor();
    await w.page.getByText('USER (granted)').waitFor();
    const demoted = await server.gql('{ me { roles } }', { headers: { authorization: `Bearer ${user.token}` } });
    expect(demoted.body.data).toEqual({ me: { roles: ['USER'] } });
    // A user keeps at least one role (the server refuses revoking the last): the console does not offer it.
    await w.page.getByText('their only role: grant another before revoking it').waitFor();
    await expect(w.page.getByRole('button', { name: 'Revoke USER' }).count()).resolves.toBe(0);

    await w.page.getByRole('button', { name: 'Disable' }).click();
    await w.page.getByRole('button', { name: 'Cancel' }).click();
    await w.page.getByRole('button', { name: 'Disable' }).click();
    await w.page.getByRole('button', { name: 'Confirm' }).click();
    await w.page.getByRole('button', { name: 'Enable' }).waitFor();
    await shot(w.page, 'user');
    const refused = await server.gql('{ me { id } }', { headers: { authorization: `Bearer ${user.token}` } });
    expect(refused.status).toBe(401);
    await w.page.getByRole('button', { name: 'Enable' }).click();
    await w.page.getByRole('button', { name: 'Disable' }).waitFor();

    await w.page.getByRole('button', { name: 'Sign out' }).click();
    await w.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(w.problems).toEqual([]);
  });

  test('revoking ADMIN from the last ADMIN: the console shows the server\u2019s refusal as an alert, and nothing changes', async () => {
    await grantRole(server.app, admin.id, 'USER', CLI_ORIGIN); // two roles: Revoke ADMIN is offered
    const w = await open(`/admin#/users/${admin.id}`);
    await signIn(w, admin);
    await w.page.getByRole('heading', { name: admin.email }).waitFor();
    await w.page.getByRole('button', { name: 'Revoke ADMIN' }).click();
    await w.page.getByRole('button', { name: 'Confirm' }).click();
    await w.page.getByRole('alert').filter({ hasText: 'This is the last ADMIN; make another user ADMIN first.' }).waitFor();
    const roles = await server.store.db.selectFrom('user_roles').select('role').where('user_id', '=', admin.id).execute();
    expect(roles.map((r) => r.role).sort()).toEqual(['ADMIN', 'USER']);
    expect(w.problems).toEqual([]);
  });

  test('revoking a key on the API keys page asks first; then the API refuses the key', async () => {
    const made = await server.gql('mutation { createApiKey(name: "leaked at 3 a.m.") { secret } }', {
      headers: { authorization: `Bearer ${user.token}` },
    });
    const key = { secret: made.body.data?.['createApiKey']?.secret as string };
    const before = await server.gql('{ me { id } }', { headers: { 'x-api-key': key.secret } });
    expect(before.body.data).toEqual({ me: { id: user.id } });

    const w = await open();
    await signIn(w, admin);
    await w.page.getByRole('link', { name: 'API keys' }).click();
    const row = w.page.getByRole('row').filter({ hasText: 'leaked at 3 a.m.' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await shot(w.page, 'api-keys-confirm');
    await w.page.getByRole('button', { name: 'Confirm' }).click();
    await row.waitFor({ state: 'detached' });
    await shot(w.page, 'api-keys');

    const after = await server.gql('{ me { id } }', { headers: { 'x-api-key': key.secret } });
    expect(after.status).toBe(401);
    expect(w.problems).toEqual([]);
  });

  test('the audit log filters by action and actor and pages; the auth map shows Query.users for ADMIN only', async () => {
    const w = await open();
    await signIn(w, admin);
    await w.page.getByRole('link', { name: 'Audit log' }).click();
    await w.page.getByLabel('Action').fill('api_key.revoked');
    await w.page.getByLabel('Actor').fill(admin.email);
    await w.page.getByRole('button', { name: 'Filter' }).click();
    await w.page.getByText('1 event.').waitFor();
    const rows = w.page.getByRole('row').filter({ hasText: 'api_key.revoked' });
    await expect(rows.count()).resolves.toBe(1);
    await shot(w.page, 'audit-log');

    await w.page.getByRole('link', { name: 'Auth map' }).click();
    const users = w.page.getByRole('row').filter({ has: w.page.getByRole('rowheader', { name: 'Query.users', exact: true }) });
    await users.waitFor();
    await expect(users.getByLabel('ADMIN: yes').count()).resolves.toBe(1);
    await expect(users.getByLabel('anonymous: no').count()).resolves.toBe(1);
    await expect(users.getByLabel('USER: no').count()).resolves.toBe(1);
    const email = w.page.getByRole('row').filter({ has: w.page.getByRole('rowheader', { name: 'User.email', exact: true }) });
    // As the map labels it: anonymous (the user of a signUp/login answer) and USER read their own only.
    await expect(email.getByRole('cell', { name: 'owner', exact: true }).count()).resolves.toBe(authMapOwnerLabels());
    await expect(email.getByLabel('ADMIN: yes').count()).resolves.toBe(1);
    expect(await w.page.locator('main').textContent()).not.toMatch(/null|undefined/);
    await shot(w.page, 'auth-map');
    expect(w.problems).toEqual([]);
  });

  test('a user named <img src=x onerror=alert(1)> is shown as text, on the list and on their page', async () => {
    const w = await open();
    await signIn(w, admin);
    await w.page.getByRole('link', { name: 'Users' }).waitFor();
    await w.page.getByRole('cell', { name: XSS_NAME, exact: true }).waitFor();
    await expect(w.page.locator('img').count()).resolves.toBe(0);
    await w.page.getByRole('row').filter({ hasText: XSS_NAME }).getByRole('link').click();
    await w.page.getByRole('heading', { name: 'Roles' }).waitFor();
    expect(w.page.url()).toContain(hostile.id);
    await w.page.getByText(XSS_NAME, { exact: true }).waitFor();
    await expect(w.page.locator('img').count()).resolves.toBe(0);
    expect(w.problems).toEqual([]);
  });

  test('a signed-in non-ADMIN sees Not allowed and no data', async () => {
    const w = await open();
    await signIn(w, user);
    await w.page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await expect(w.page.getByRole('table').count()).resolves.toBe(0);
    await expect(w.page.getByRole('navigation').count()).resolves.toBe(0);
    expect(await w.page.locator('body').textContent()).not.toContain(admin.email);
    await shot(w.page, 'not-allowed');
    expect(w.problems).toEqual([]);
  });

  test('/signin offline (development): Create account signs up, shows the token and a curl recipe, and links the console', async () => {
    const page = await context.newPage();
    // Offline: Apollo's CDN (Sandbox's script) is unreachable, as on this machine.
    await page.route(
      (url) => !url.href.startsWith(server.url),
      (route) => route.abort('internetdisconnected'),
    );
    await page.goto(`${server.url}/signin`);
    await expect(page.getByRole('link', { name: 'Admin console' }).getAttribute('href')).resolves.toBe('/admin');
    const email = uniqueEmail('signin');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const status = page.getByRole('status');
    await status.getByText('could not be loaded from its CDN').waitFor();
    const text = (await status.textContent()) ?? '';
    expect(text).toContain(`Signed in as ${email} (USER)`);
    const token = /-H 'authorization: Bearer ([^']+)'/.exec(text)?.[1] ?? '';
    expect(text).toContain(`curl -s ${server.url}/graphql`);
    const me = await server.gql('{ me { email } }', { headers: { authorization: `Bearer ${token}` } });
    expect(me.body.data).toEqual({ me: { email } });
  });

  (HAS_ORGANIZATIONS ? test : test.skip)(
    'Organizations (runs only when the schema has Query.myOrganizations): an organization of the ADMIN and its members',
    async () => {
      const login = await server.gql('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
        variables: { e: admin.email, p: admin.password },
      });
      const headers = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
      const org = await server.gql('mutation { createOrganization(name: "Night shift <b>") { id } }', { headers });
      const organizationId = org.body.data?.['createOrganization']?.id;
      const added = await server.gql('mutation ($o: ID!, $e: String!) { addMember(organizationId: $o, email: $e) { role } }', {
        variables: { o: organizationId, e: user.email },
        headers,
      });
      expect(added.body.errors).toBeUndefined();

      const w = await open();
      await signIn(w, admin);
      await w.page.getByRole('link', { name: 'Organizations' }).click();
      await w.page.getByRole('heading', { name: 'Night shift <b>' }).waitFor();
      const members = w.page.getByRole('table', { name: 'Members of Night shift <b>' });
      await members.getByRole('row').filter({ hasText: user.email }).waitFor();
      await expect(members.getByRole('row').filter({ hasText: admin.email }).count()).resolves.toBe(1);
      await shot(w.page, 'organizations');
      expect(w.problems).toEqual([]);
    },
  );

  test('narrow window (390×800): navigation and the users table stay usable', async () => {
    await context.close();
    context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const w = await open();
    await signIn(w, admin);
    await w.page.getByRole('link', { name: 'Auth map' }).waitFor();
    await w.page.getByRole('cell', { name: user.email }).waitFor();
    // Nothing wider than the window but the scrollable tables.
    const overflow = await w.page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await w.page.keyboard.press('Tab');
    await shot(w.page, 'users-narrow');
    expect(w.problems).toEqual([]);
  });
});
