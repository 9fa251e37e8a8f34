// The auth map as a matrix: one row per field coordinate, one column per caller (anonymous, then
// each role). A cell says whether that caller reaches the field, and what it depends on when it
// does only for some objects (owner, member, policy), exactly as the map labels it.
import { gql } from '../api.js';
import { add, field, h, table } from '../dom.js';

/** `USER (owner)` → { caller: 'USER', mark: 'owner' }; `ADMIN` → { caller: 'ADMIN', mark: null }. */
function parse(label) {
  const match = /^(\S+)(?: \((.*)\))?$/.exec(label);
  return match ? { caller: match[1], mark: match[2] ?? null } : { caller: label, mark: null };
}

function cell(entry, caller) {
  const found = entry.reachableBy.map(parse).find((r) => r.caller === caller);
  if (!found) return h('td', { class: 'deny' }, h('span', { 'aria-label': `${caller}: no` }, '✕'));
  if (found.mark) return h('td', { class: 'depends' }, found.mark);
  return h('td', { class: 'allow' }, h('span', { 'aria-label': `${caller}: yes` }, '✓'));
}

export async function render(main, params, context) {
  document.title = 'Auth map · gatehouse admin';
  const { authMap } = await gql(
    'query ConsoleAuthMap { authMap { callers openRootFields entries { coordinate requires from reachableBy } } }',
  );
  const filter = params.get('field') ?? '';
  const input = h('input', { type: 'search', name: 'field', value: filter, autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      on: {
        submit: (event) => {
          event.preventDefault();
          context.navigate(`#/auth-map?field=${encodeURIComponent(input.value.trim())}`);
        },
      },
    },
    field('Filter fields', input),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const entries = authMap.entries.filter((e) => e.coordinate.toLowerCase().includes(filter.toLowerCase()));
  const rows = entries.map((entry) => {
    const reportOnly = /report only/i.test(`${entry.requires} ${entry.from}`);
    return h(
      'tr',
      { class: reportOnly ? 'report-only' : false },
      h('th', { scope: 'row' }, h('code', {}, entry.coordinate)),
      authMap.callers.map((caller) => cell(entry, caller)),
      h('td', {}, entry.requires, reportOnly ? h('span', { class: 'badge warn' }, 'report only') : null),
      h('td', { class: 'from' }, entry.from),
    );
  });
  add(
    main,
    h('h1', {}, 'Auth map'),
    h(
      'p',
      {},
      'Who can reach each field of this server’s schema, from any root. ✓ every object; ✕ none; a word: only the objects it names (owner, member, policy).',
    ),
    authMap.openRootFields.length
      ? h('p', { class: 'notice error', role: 'alert' }, `Open root fields (no rule): ${authMap.openRootFields.join(', ')}`)
      : null,
    form,
    table(`Auth map (${entries.length} fields)`, ['Field', ...authMap.callers, 'Requires', 'Declared'], rows),
  );
}
