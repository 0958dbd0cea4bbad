// Small DOM and API helpers for the dashboard. Text always goes in as text (never HTML),
// so nothing a message, webhook or record holds can run as script.

/** h('tag.class', { attr: value, onclick: fn }, ...children) */
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function badge(value) {
  return h(`span.badge.${String(value).replace(/[^a-z_]/gi, '')}`, {}, String(value));
}

/** A table: `columns` are [header, row => cell] pairs. */
export function table(columns, rows, caption) {
  return h('div.scroll', {}, h('table', {},
    caption ? h('caption.muted', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map(([head]) => h('th', { scope: 'col' }, head)))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(r) ?? '')))) : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing here.')))));
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

let csrf = '';
export function setCsrf(token) { csrf = token; }

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

/** The /v1 API with the session cookie; changes carry the CSRF token. */
export async function api(method, path, body, accept = 'application/json') {
  const headers = { accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (accept !== 'application/json') { if (!res.ok) throw new ApiError(res.status, null); return res.text(); }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export function flash(message, ok = false) {
  const el = document.getElementById('flash');
  el.textContent = message;
  el.className = ok ? 'flash ok' : 'flash';
  el.hidden = !message;
}
