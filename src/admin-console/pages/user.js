// One user: who they are, their roles (grant and revoke), disable or enable, end their sessions,
// their API keys (Revoke, Rotate) and a link to what the audit log says about them.
import { gql } from '../api.js';
import { add, confirmAction, h, notice, replace, table, when } from '../dom.js';
import { keyRow } from './key-row.js';

/** The roles this server declares: the auth map's callers other than `anonymous`. */
async function declaredRoles() {
  const { authMap } = await gql('query ConsoleRoles { authMap { callers } }');
  return authMap.callers.filter((caller) => caller !== 'anonymous');
}

/** Runs `mutation` after an optional confirmation, then re-renders; a refusal shows in `status`. */
async function act(status, refresh, question, mutation, variables) {
  if (question && !(await confirmAction(question))) return;
  try {
    await gql(mutation, variables);
    await refresh();
  } catch (error) {
    replace(status, notice(error.message, 'error'));
  }
}

function roleControls(user, roles, status, context) {
  const held = new Set(user.roles ?? [user.role]);
  const multiple = context.capabilities.multipleRoles;
  // The server keeps every user at least one role (revokeRole refuses the last): not offered.
  const onlyRole = held.size === 1;
  const items = roles.map((role) => {
    const holds = held.has(role);
    let button;
    if (holds && multiple && onlyRole) button = h('span', { class: 'note' }, 'their only role: grant another before revoking it');
    else if (holds && multiple)
      button = h(
        'button',
        {
          type: 'button',
          on: {
            click: () =>
              act(
                status,
                context.refresh,
                `Revoke ${role} from ${user.email}?`,
                'mutation ConsoleRevokeRole($userId: ID!, $role: Role!) { revokeRole(userId: $userId, role: $role) { id } }',
                { userId: user.id, role },
              ),
          },
        },
        `Revoke ${role}`,
      );
    else if (!holds)
      button = h(
        'button',
        {
          type: 'button',
          on: {
            click: () =>
              multiple
                ? act(
                    status,
                    context.refresh,
                    null,
                    'mutation ConsoleGrantRole($userId: ID!, $role: Role!) { grantRole(userId: $userId, role: $role) { id } }',
                    { userId: user.id, role },
                  )
                : act(
                    status,
                    context.refresh,
                    `Make ${user.email} ${role} (instead of ${user.role})?`,
                    'mutation ConsoleSetRole($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id } }',
                    { userId: user.id, role },
                  ),
          },
        },
        multiple ? `Grant ${role}` : `Make ${role}`,
      );
    return h('li', {}, h('span', { class: holds ? 'badge on' : 'badge' }, holds ? `${role} (granted)` : role), button ?? null);
  });
  return h(
    'section',
    { 'aria-labelledby': 'roles-heading' },
    h('h2', { id: 'roles-heading' }, 'Roles'),
    h('ul', { class: 'roles' }, items),
  );
}

export async function render(main, id, context) {
  const rolesField = context.capabilities.multipleRoles ? 'roles role' : 'role';
  const [{ user }, roles] = await Promise.all([
    gql(
      `query ConsoleUser($id: ID!) {
        user(id: $id) {
          id email name ${rolesField} createdAt disabledAt
          apiKeys { id name prefix scopes createdAt lastUsedAt expiresAt revokedAt }
        }
      }`,
      { id },
    ),
    declaredRoles(),
  ]);
  if (user === null) {
    document.title = 'No such user · gatehouse admin';
    add(main, h('h1', {}, 'No such user'), h('p', {}, h('a', { href: '#/users' }, 'Back to users')));
    return;
  }
  document.title = `${user.email ?? user.id} · gatehouse admin`;
  const status = h('div', { class: 'form-status' });
  const label = user.email ?? user.id;
  const disable = user.disabledAt
    ? h(
        'button',
        {
          type: 'button',
          on: {
            click: () =>
              act(status, context.refresh, null, 'mutation ConsoleEnable($id: ID!) { enableUser(userId: $id) { id } }', { id: user.id }),
          },
        },
        'Enable',
      )
    : h(
        'button',
        {
          type: 'button',
          class: 'danger',
          on: {
            click: () =>
              act(
                status,
                context.refresh,
                `Disable ${label}? Their tokens and API keys are refused from the next request on.`,
                'mutation ConsoleDisable($id: ID!) { disableUser(userId: $id) { id } }',
                { id: user.id },
              ),
          },
        },
        'Disable',
      );
  const endSessions = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      on: {
        click: () =>
          act(
            status,
            async () => replace(status, notice(`Every session of ${label} has ended.`)),
            `End every session of ${label}? They must sign in again (their API keys keep working).`,
            'mutation ConsoleEndSessions($id: ID!) { endUserSessions(userId: $id) }',
            { id: user.id },
          ),
      },
    },
    'End sessions',
  );
  const keys = (user.apiKeys ?? []).map((key) => keyRow(key, { showOwner: false, status, done: context.refresh }));
  add(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/users' }, 'Users'), ' › ', label),
    h('h1', {}, label),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Name'),
      h('dd', {}, user.name ?? '—'),
      h('dt', {}, 'Id'),
      h('dd', {}, h('code', {}, user.id)),
      h('dt', {}, 'Created'),
      h('dd', {}, when(user.createdAt)),
      h('dt', {}, 'Status'),
      h('dd', {}, user.disabledAt ? ['Disabled since ', when(user.disabledAt)] : 'Active'),
    ),
    status,
    h(
      'div',
      { class: 'toolbar' },
      disable,
      endSessions,
      h('a', { href: `#/audit?subject=${encodeURIComponent(user.id)}` }, 'Audit log for this user'),
    ),
    roleControls(user, roles, status, context),
    h(
      'section',
      { 'aria-labelledby': 'keys-heading' },
      h('h2', { id: 'keys-heading' }, 'API keys'),
      keys.length === 0
        ? notice('No API keys.')
        : table(`API keys of ${label}`, ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Expires', 'State', 'Actions'], keys),
    ),
  );
}
