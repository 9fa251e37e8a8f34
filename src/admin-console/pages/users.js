// Users: search by email (part of it, any case), one `tr` per user; the email opens the user.
import { gql } from '../api.js';
import { add, field, h, notice, table, when } from '../dom.js';

const PAGE_SIZE = 25;

export async function render(main, params, context) {
  document.title = 'Users · gatehouse admin';
  const email = params.get('email') ?? '';
  const after = params.get('after');
  const rolesField = context.capabilities.multipleRoles ? 'roles' : 'role';
  const data = await gql(
    `query ConsoleUsers($first: Int, $after: String, $email: String) {
      users(first: $first, after: $after, email: $email) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id email name ${rolesField} createdAt disabledAt } }
      }
    }`,
    { first: PAGE_SIZE, after, email: email || null },
  );
  const { users } = data;
  const search = h('input', { type: 'search', name: 'email', value: email, autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      on: {
        submit: (event) => {
          event.preventDefault();
          const next = new URLSearchParams();
          if (search.value.trim()) next.set('email', search.value.trim());
          context.navigate(`#/users?${next}`);
        },
      },
    },
    field('Search by email', search),
    h('button', { type: 'submit' }, 'Search'),
  );
  const rows = users.edges.map(({ node }) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#/users/${encodeURIComponent(node.id)}` }, node.email ?? '(no email)')),
      h('td', {}, node.name ?? '—'),
      h('td', {}, (node.roles ?? [node.role]).join(', ')),
      h('td', {}, node.disabledAt ? h('span', { class: 'badge off' }, 'Disabled') : 'Active'),
      h('td', {}, when(node.createdAt)),
    ),
  );
  const next = new URLSearchParams(params);
  next.set('after', users.pageInfo.endCursor ?? '');
  add(
    main,
    h('h1', {}, 'Users'),
    form,
    h('p', {}, `${users.totalCount} user${users.totalCount === 1 ? '' : 's'}${email ? ` whose email contains “${email}”` : ''}.`),
    rows.length === 0 ? notice('No users match.') : table('Users', ['Email', 'Name', 'Roles', 'Status', 'Created'], rows),
    h(
      'div',
      { class: 'pager' },
      after ? h('a', { href: `#/users${email ? `?email=${encodeURIComponent(email)}` : ''}` }, 'First page') : null,
      users.pageInfo.hasNextPage ? h('a', { href: `#/users?${next}` }, 'Next page') : null,
    ),
  );
}
