// The audit log, newest first, filtered by action, actor, subject and time, one page at a time.
// Actor and subject take an email or a user id; an email is looked up with `users(email:)`.
import { gql } from '../api.js';
import { add, field, h, notice, table, when } from '../dom.js';

const PAGE_SIZE = 25;

const ACTIONS = [
  'user.signed_up',
  'user.created',
  'user.linked',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.password_changed',
  'user.sessions_ended',
  'login.succeeded',
  'login.failed',
  'login.rate_limited',
  'refresh_token.reused',
  'session.logged_out',
  'session.logged_out_everywhere',
  'api_key.created',
  'api_key.revoked',
  'api_key.rotated',
  'signing_key.rotated',
  'signing_key.retired',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user id from what was typed: an id as it is, an email through the user search (exact match, any case). */
async function userIdOf(text, which) {
  if (!text) return null;
  if (UUID.test(text)) return text;
  const { users } = await gql(
    'query ConsoleFindUser($email: String) { users(first: 100, email: $email) { edges { node { id email } } } }',
    {
      email: text,
    },
  );
  const found = users.edges.find(({ node }) => node.email?.toLowerCase() === text.toLowerCase());
  if (!found) throw Object.assign(new Error(`No user has the email ${text} (${which}).`), { code: 'NO_USER' });
  return found.node.id;
}

/** `datetime-local` text (the browser's local time) to ISO UTC, and back. */
const toIso = (local) => (local ? new Date(local).toISOString() : null);
function toLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function filterForm(params, context) {
  const inputs = {
    action: h('input', { type: 'text', name: 'action', list: 'audit-actions', value: params.get('action') ?? '', autocomplete: 'off' }),
    actor: h('input', {
      type: 'text',
      name: 'actor',
      value: params.get('actor') ?? '',
      autocomplete: 'off',
      placeholder: 'email or user id',
    }),
    subject: h('input', {
      type: 'text',
      name: 'subject',
      value: params.get('subject') ?? '',
      autocomplete: 'off',
      placeholder: 'email or user id',
    }),
    since: h('input', { type: 'datetime-local', name: 'since', value: toLocal(params.get('since')) }),
    until: h('input', { type: 'datetime-local', name: 'until', value: toLocal(params.get('until')) }),
  };
  const submit = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of ['action', 'actor', 'subject']) if (inputs[name].value.trim()) next.set(name, inputs[name].value.trim());
    for (const name of ['since', 'until']) if (inputs[name].value) next.set(name, toIso(inputs[name].value));
    context.navigate(`#/audit?${next}`);
  };
  return h(
    'form',
    { class: 'filters', role: 'search', on: { submit } },
    field('Action', inputs.action),
    h(
      'datalist',
      { id: 'audit-actions' },
      ACTIONS.map((a) => h('option', { value: a })),
    ),
    field('Actor', inputs.actor),
    field('Subject', inputs.subject),
    field('Since', inputs.since),
    field('Until', inputs.until),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: '#/audit' }, 'Clear filters'),
  );
}

function person(user, id) {
  if (user) return h('a', { href: `#/users/${encodeURIComponent(user.id)}` }, user.email ?? user.id);
  return id ? h('code', {}, id) : '—';
}

export async function render(main, params, context) {
  document.title = 'Audit log · gatehouse admin';
  add(main, h('h1', {}, 'Audit log'), filterForm(params, context));
  let variables;
  try {
    variables = {
      first: PAGE_SIZE,
      after: params.get('after'),
      action: params.get('action'),
      actorId: await userIdOf(params.get('actor'), 'actor'),
      subjectId: await userIdOf(params.get('subject'), 'subject'),
      since: params.get('since'),
      until: params.get('until'),
    };
  } catch (error) {
    if (error.code !== 'NO_USER') throw error;
    add(main, notice(error.message, 'error'));
    return;
  }
  const { auditEvents } = await gql(
    `query ConsoleAudit($first: Int, $after: String, $action: String, $actorId: ID, $subjectId: ID, $since: DateTime, $until: DateTime) {
      auditEvents(first: $first, after: $after, action: $action, actorId: $actorId, subjectId: $subjectId, since: $since, until: $until) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id occurredAt action actorId subjectId actor { id email } subject { id email } address source detail } }
      }
    }`,
    variables,
  );
  const rows = auditEvents.edges.map(({ node }) =>
    h(
      'tr',
      {},
      h('td', {}, when(node.occurredAt)),
      h('td', {}, h('code', {}, node.action)),
      h('td', {}, person(node.actor, node.actorId)),
      h('td', {}, person(node.subject, node.subjectId)),
      h('td', {}, node.address ?? '—'),
      h('td', {}, node.source),
      h('td', { class: 'detail' }, node.detail ?? '—'),
    ),
  );
  const next = new URLSearchParams(params);
  next.set('after', auditEvents.pageInfo.endCursor ?? '');
  const first = new URLSearchParams(params);
  first.delete('after');
  add(
    main,
    h('p', {}, `${auditEvents.totalCount} event${auditEvents.totalCount === 1 ? '' : 's'}.`),
    rows.length === 0
      ? notice('No events match.')
      : table('Audit events', ['Time', 'Action', 'Actor', 'Subject', 'Address', 'Source', 'Detail'], rows),
    h(
      'div',
      { class: 'pager' },
      params.get('after') ? h('a', { href: `#/audit?${first}` }, 'First page') : null,
      auditEvents.pageInfo.hasNextPage ? h('a', { href: `#/audit?${next}` }, 'Next page') : null,
    ),
  );
}
