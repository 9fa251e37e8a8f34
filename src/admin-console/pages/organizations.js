// Organizations the administrator belongs to, with their members (contract: Organizations).
// Works once the server's schema has `Query.myOrganizations`; until then the page says so. Each
// organization lists its first 25 members (the query limit's cost keeps a list of lists small).
import { gql } from '../api.js';
import { add, h, notice, table, when } from '../dom.js';

export async function render(main, context) {
  document.title = 'Organizations · gatehouse admin';
  add(main, h('h1', {}, 'Organizations'));
  if (!context.capabilities.organizations) {
    add(main, notice('This server’s schema has no organizations (no Query.myOrganizations).'));
    return;
  }
  const { myOrganizations } = await gql(
    `query ConsoleOrganizations {
      myOrganizations {
        id name createdAt myRole
        members(first: 25) { totalCount edges { node { role createdAt user { id email name } } } }
      }
    }`,
  );
  if (myOrganizations.length === 0) {
    add(main, notice('You belong to no organization.'));
    return;
  }
  for (const org of myOrganizations) {
    const rows = org.members.edges.map(({ node }) =>
      h(
        'tr',
        {},
        h('td', {}, h('a', { href: `#/users/${encodeURIComponent(node.user.id)}` }, node.user.email ?? node.user.id)),
        h('td', {}, node.user.name ?? '—'),
        h('td', {}, node.role),
        h('td', {}, when(node.createdAt)),
      ),
    );
    add(
      main,
      h(
        'section',
        { class: 'organization' },
        h('h2', {}, org.name),
        h(
          'p',
          {},
          `Your role: ${org.myRole ?? '—'} · created `,
          when(org.createdAt),
          ` · ${org.members.totalCount} member${org.members.totalCount === 1 ? '' : 's'}`,
        ),
        table(`Members of ${org.name}`, ['Email', 'Name', 'Role', 'Member since'], rows),
      ),
    );
  }
}
