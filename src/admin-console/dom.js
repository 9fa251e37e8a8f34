// The console's only way to build markup: elements made with createElement and text set as text
// nodes, never parsed HTML. Names, emails, key names and audit details are whatever a caller
// wrote (`<img src=x onerror=…>` included): as text nodes they can only ever show as text.

/**
 * An element. `props`: attributes (strings; `false`/`null`/`undefined` leave it out, `true` sets it
 * empty), `on` (event listeners), `dataset`. `children`: nodes, strings (text), arrays, or nothing.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (name === 'on') for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) throw new Error(`event handlers go in "on", not the attribute ${name}`);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Appends to `parent` as `h` does: strings as text, nothing for null, undefined or false. */
export function add(parent, ...children) {
  append(parent, children);
}

/** Replaces everything inside `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** An ISO time as the administrator reads it: their local time, to the second; `—` for none. */
export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return h('time', { datetime: iso, title: iso }, date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

/** A table with a caption (its accessible name), header cells and one `tr` per row. */
export function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((header) => h('th', { scope: 'col' }, header)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

/** A labelled input: `<label>` bound to the input by id, so the label is its accessible name. */
export function field(label, input) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

/**
 * Asks before a destructive action: a modal <dialog> with the question and two buttons, `Confirm`
 * and `Cancel` (Escape cancels). Resolves true only for Confirm.
 */
export function confirmAction(question) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-question' },
      h('p', { id: 'confirm-question' }, question),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'danger', on: { click: () => dialog.close('confirm') } }, 'Confirm'),
        // Cancel has the focus: Enter or Escape right away changes nothing.
        h('button', { type: 'button', autofocus: true, on: { click: () => dialog.close('cancel') } }, 'Cancel'),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A status line for the page: `role="status"` so screen readers announce it; errors in `role="alert"`. */
export function notice(text, kind = 'info') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
