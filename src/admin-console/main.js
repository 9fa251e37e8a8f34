// The admin console: sign-in, the frame (navigation, sign-out) and the hash router that renders
// each page into <main>. Every page is a client of gatehouse's GraphQL API (api.js): a denied
// field is denied here exactly as for any caller, and "Not allowed" is what FORBIDDEN looks like.
import { currentUser, gql, signIn, signOut, whenSignedOut } from './api.js';
import { field, h, notice, replace } from './dom.js';
import * as auditPage from './pages/audit.js';
import * as authMapPage from './pages/auth-map.js';
import * as keysPage from './pages/keys.js';
import * as organizationsPage from './pages/organizations.js';
import * as userPage from './pages/user.js';
import * as usersPage from './pages/users.js';

const root = document.getElementById('app');

/** The navigation, in order: [hash, accessible name]. */
const NAV = [
  ['#/users', 'Users'],
  ['#/keys', 'API keys'],
  ['#/organizations', 'Organizations'],
  ['#/audit', 'Audit log'],
  ['#/auth-map', 'Auth map'],
];

/** What the server's schema offers beyond the contract's base, probed once after sign-in. */
const capabilities = { multipleRoles: false, organizations: false };

function route() {
  const [path, query = ''] = (location.hash || '#/users').slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, params: new URLSearchParams(query) };
}

function renderSignIn(message) {
  document.title = 'Sign in · gatehouse admin';
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { class: 'form-status' }, message ? notice(message, 'error') : null);
  const form = h(
    'form',
    { class: 'signin', on: { submit: (event) => submit(event) } },
    field('Email', email),
    field('Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  async function submit(event) {
    event.preventDefault();
    replace(status, notice('Signing in…'));
    try {
      await signIn(email.value, password.value);
      password.value = '';
      await enter();
    } catch (error) {
      replace(status, notice(error.code === 'RATE_LIMITED' ? error.message : `Sign-in failed: ${error.message}`, 'error'));
      password.focus();
    }
  }
  replace(
    root,
    h(
      'main',
      { class: 'signin-page', id: 'main' },
      h('h1', {}, 'gatehouse admin console'),
      h('p', {}, 'Sign in with an ADMIN account.'),
      form,
    ),
  );
  email.focus();
}

function renderNotAllowed() {
  document.title = 'Not allowed · gatehouse admin';
  replace(
    root,
    h(
      'main',
      { class: 'signin-page', id: 'main' },
      h('h1', {}, 'Not allowed'),
      h('p', {}, `${currentUser()?.email ?? 'This account'} is not an ADMIN. The console is for administrators only.`),
      h('button', { type: 'button', on: { click: () => signOut() } }, 'Sign out'),
    ),
  );
}

/** After sign-in: the API decides whether this caller is an ADMIN (an ADMIN-only field answers or is FORBIDDEN). */
async function enter() {
  try {
    await gql('query ConsoleAccess { users(first: 1) { totalCount } }');
  } catch (error) {
    if (error.code === 'FORBIDDEN') return renderNotAllowed();
    throw error;
  }
  // What this server's schema has, from its own auth map: asking for a field it lacks would be a
  // 400 (and an error in the browser's console) rather than an answer.
  const { authMap } = await gql('query ConsoleCapabilities { authMap { entries { coordinate } } }');
  const fields = new Set(authMap.entries.map((entry) => entry.coordinate));
  Object.assign(capabilities, {
    multipleRoles: fields.has('User.roles') && fields.has('Mutation.grantRole') && fields.has('Mutation.revokeRole'),
    organizations: fields.has('Query.myOrganizations'),
  });
  if (!location.hash) history.replaceState(null, '', '#/users');
  await renderPage();
}

function frame(active) {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { 'aria-label': 'Console' },
    h(
      'ul',
      {},
      NAV.map(([href, name]) => h('li', {}, h('a', { href, 'aria-current': href.slice(2) === active ? 'page' : false }, name))),
    ),
  );
  const header = h(
    'header',
    {},
    h(
      'a',
      {
        class: 'skip',
        href: '#main',
        on: {
          click: (event) => {
            event.preventDefault();
            main.focus();
          },
        },
      },
      'Skip to content',
    ),
    h('span', { class: 'brand' }, 'gatehouse admin'),
    nav,
    h('span', { class: 'who' }, currentUser()?.email ?? ''),
    h('button', { type: 'button', on: { click: () => signOut() } }, 'Sign out'),
  );
  replace(root, header, main);
  return main;
}

const PAGES = {
  users: (main, parts, params, context) => (parts[1] ? userPage.render(main, parts[1], context) : usersPage.render(main, params, context)),
  keys: (main, _parts, params, context) => keysPage.render(main, params, context),
  organizations: (main, _parts, _params, context) => organizationsPage.render(main, context),
  audit: (main, _parts, params, context) => auditPage.render(main, params, context),
  'auth-map': (main, _parts, params, context) => authMapPage.render(main, params, context),
};

async function renderPage() {
  if (currentUser() === null) return renderSignIn();
  const { parts, params } = route();
  const page = PAGES[parts[0]] ?? PAGES.users;
  const main = frame(parts[0] in PAGES ? parts[0] : 'users');
  const context = {
    capabilities,
    /** Goes to `hash` (a page re-renders on hashchange). */
    navigate: (hash) => {
      if (location.hash === hash) renderPage();
      else location.hash = hash;
    },
    refresh: () => renderPage(),
  };
  try {
    await page(main, parts, params, context);
  } catch (error) {
    if (error.code === 'FORBIDDEN') return renderNotAllowed();
    if (currentUser() === null) return renderSignIn('Your session ended; sign in again.');
    main.append(notice(error.message, 'error'));
  }
}

whenSignedOut(() => {
  history.replaceState(null, '', location.pathname);
  renderSignIn();
});
window.addEventListener('hashchange', () => renderPage());
renderSignIn();
