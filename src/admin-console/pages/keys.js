// API keys: every user's keys for an ADMIN (`apiKeys`), newest first, each with Revoke and Rotate.
import { gql } from '../api.js';
import { add, h, notice, table } from '../dom.js';
import { keyRow } from './key-row.js';

const PAGE_SIZE = 25;

export async function render(main, params, context) {
  document.title = 'API keys · gatehouse admin';
  const all = params.get('all') === '1';
  const after = params.get('after');
  const { apiKeys } = await gql(
    `query ConsoleKeys($first: Int, $after: String, $activeOnly: Boolean) {
      apiKeys(first: $first, after: $after, activeOnly: $activeOnly) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id name prefix scopes createdAt lastUsedAt expiresAt revokedAt owner { id email } } }
      }
    }`,
    { first: PAGE_SIZE, after, activeOnly: !all },
  );
  const status = h('div', { class: 'form-status' });
  const toggle = h('input', {
    type: 'checkbox',
    id: 'show-all-keys',
    checked: all,
    on: { change: () => context.navigate(toggle.checked ? '#/keys?all=1' : '#/keys') },
  });
  const rows = apiKeys.edges.map(({ node }) => keyRow(node, { showOwner: true, status, done: context.refresh }));
  const next = new URLSearchParams(params);
  next.set('after', apiKeys.pageInfo.endCursor ?? '');
  add(
    main,
    h('h1', {}, 'API keys'),
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'check' }, toggle, h('label', { for: 'show-all-keys' }, 'Include revoked and expired keys')),
    ),
    h('p', {}, `${apiKeys.totalCount} ${all ? '' : 'active '}key${apiKeys.totalCount === 1 ? '' : 's'}.`),
    status,
    rows.length === 0
      ? notice('No keys.')
      : table('API keys', ['Name', 'Prefix', 'Owner', 'Scopes', 'Created', 'Last used', 'Expires', 'State', 'Actions'], rows),
    h(
      'div',
      { class: 'pager' },
      after ? h('a', { href: all ? '#/keys?all=1' : '#/keys' }, 'First page') : null,
      apiKeys.pageInfo.hasNextPage ? h('a', { href: `#/keys?${next}` }, 'Next page') : null,
    ),
  );
}
