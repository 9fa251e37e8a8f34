// One API key as a table row, with its actions: Revoke (confirmed) and Rotate (confirmed; the new
// secret is shown once). Shared by the API keys page and a user's page.
import { gql } from '../api.js';
import { confirmAction, h, notice, replace, when } from '../dom.js';

function stateOf(key) {
  if (key.revokedAt) return 'Revoked';
  if (key.expiresAt && new Date(key.expiresAt) <= new Date()) return 'Expired';
  return 'Active';
}

async function revoke(key, status, done) {
  if (!(await confirmAction(`Revoke the API key “${key.name}” (${key.prefix}…)? Requests with it are refused from now on.`))) return;
  try {
    await gql('mutation ConsoleRevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { id: key.id });
    await done();
  } catch (error) {
    replace(status, notice(`Could not revoke: ${error.message}`, 'error'));
  }
}

async function rotate(key, status, done) {
  if (!(await confirmAction(`Rotate the API key “${key.name}”? Its current secret keeps working for 24 hours, then is refused.`))) return;
  try {
    const { rotateApiKey } = await gql('mutation ConsoleRotateKey($id: ID!) { rotateApiKey(id: $id) { secret apiKey { id prefix } } }', {
      id: key.id,
    });
    await done();
    // Shown once, after the page has re-rendered, in the status area above the table.
    const secret = h('code', { class: 'secret' }, rotateApiKey.secret);
    document
      .querySelector('.form-status')
      ?.replaceChildren(
        h('div', { class: 'notice info', role: 'status' }, `New secret for “${key.name}” (shown once, copy it now): `, secret),
      );
  } catch (error) {
    replace(status, notice(`Could not rotate: ${error.message}`, 'error'));
  }
}

export function keyRow(key, { showOwner, status, done }) {
  const state = stateOf(key);
  return h(
    'tr',
    {},
    h('td', {}, key.name),
    h('td', {}, h('code', {}, key.prefix)),
    showOwner
      ? h('td', {}, key.owner ? h('a', { href: `#/users/${encodeURIComponent(key.owner.id)}` }, key.owner.email ?? key.owner.id) : '—')
      : null,
    h('td', {}, key.scopes.length ? key.scopes.join(', ') : 'none'),
    h('td', {}, when(key.createdAt)),
    h('td', {}, when(key.lastUsedAt)),
    h('td', {}, key.expiresAt ? when(key.expiresAt) : 'never'),
    h('td', {}, state),
    h(
      'td',
      { class: 'actions' },
      state === 'Active'
        ? [
            h('button', { type: 'button', class: 'danger', on: { click: () => revoke(key, status, done) } }, 'Revoke'),
            h('button', { type: 'button', on: { click: () => rotate(key, status, done) } }, 'Rotate'),
          ]
        : '—',
    ),
  );
}
