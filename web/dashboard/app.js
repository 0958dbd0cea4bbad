// The Switchboard dashboard: sign-in, then one page per hash route. Every read and change
// goes through the same /v1 API as any client (the session cookie stands for the key), so
// the dashboard can do exactly what the signed-in key may do, no more.
import { h, badge, table, when, api, setCsrf, flash } from './dom.js';
import { barChart, lineChart } from './chart.js';

let me = null;
let timer = null;

const PAGES = [
  ['overview', 'Overview'], ['messages', 'Messages'], ['batches', 'Batches'], ['providers', 'Providers & numbers'], ['relay-rules', 'Relay rules'],
  ['relays', 'Relays'], ['masks', 'Masks'], ['opt-outs', 'Opt-outs'], ['reports', 'Reports'], ['webhooks', 'Webhooks', true],
  ['alerts', 'Alerts', true], ['keys', 'API keys'], ['audit', 'Audit log', 'admin'],
];
/** Whether the signed-in key may open a page: `true` needs an operator, 'admin' an account admin. */
const mayOpen = (need) => !need || me.operator || (need === 'admin' && me.scopes.includes('admin'));

const main = () => document.getElementById('main');

function page(title, ...children) {
  main().replaceChildren(h('h1', {}, title), ...children.filter((c) => c !== null && c !== undefined && c !== false));
  document.title = `${title} · Switchboard`;
}

async function guarded(fn) {
  try { flash(''); await fn(); } catch (err) {
    if (err.status === 401) { me = null; return login(); }
    flash(err.message || String(err));
  }
}

// ---- sign-in -------------------------------------------------------------

function login() {
  clearInterval(timer);
  document.getElementById('nav').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('input', { id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    try {
      const res = await fetch('/dashboard/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: input.value }) });
      const body = await res.json();
      if (!res.ok) { flash(body?.error?.message ?? 'Sign-in failed'); return; }
      flash('');
      start(body);
    } catch (err) { flash(String(err)); }
  } }, h('label', { for: 'api-key' }, 'API key', input), h('button', { type: 'submit' }, 'Sign in'));
  main().replaceChildren(h('div.login', {}, h('h1', {}, 'Sign in to Switchboard'), h('p.muted', {}, 'Use an API key: an admin key sees and changes its account (an operator key, everything); a read key sees its account, read-only.'), form));
  input.focus();
}

function start(session) {
  me = session;
  setCsrf(session.csrf);
  const nav = document.getElementById('nav');
  nav.replaceChildren(...PAGES.filter(([, , need]) => mayOpen(need)).map(([id, label]) => h('a', { href: `#/${id}`, 'data-page': id }, label)),
    h('button.secondary', { type: 'button', onclick: signOut }, 'Sign out'));
  nav.hidden = false;
  document.getElementById('who').textContent = `${me.name} · ${me.account_id}${me.operator ? ' · operator' : ''}`;
  route();
}

async function signOut() {
  await api('POST', '/dashboard/logout').catch(() => {});
  me = null;
  location.hash = '';
  login();
}

// ---- routing -------------------------------------------------------------

/** A carrier lookup in words (routing.lookup of a message). */
function lookupText(l) {
  if (l.error) return `Carrier lookup failed (${l.error}): routed by prefix and country.`;
  const what = [l.line_type, l.carrier, l.network && `network ${l.network}`, l.ported ? 'ported' : null].filter(Boolean).join(', ');
  return `Carrier lookup${l.cached ? ' (cached)' : ''}: ${what}.`;
}

function route() {
  if (!me) return;
  clearInterval(timer);
  // #/<page>/<arg>?<filters>: the filters preset the page's form (a shared link opens the same view).
  const [path, query = ''] = location.hash.split('?');
  filters = new URLSearchParams(query);
  const [, name = 'overview', arg] = path.split('/');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === name || (name === 'message' && a.dataset.page === 'messages')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = VIEWS[name] ?? VIEWS.overview;
  guarded(() => view(arg ? decodeURIComponent(arg) : undefined));
  main().focus({ preventScroll: true });
}

// ---- overview ------------------------------------------------------------

async function overview() {
  const chartBox = h('div', { id: 'activity' });
  const cards = h('div.cards', { id: 'cards' });
  const providers = h('div', { id: 'provider-health' });
  const alerts = h('div', { id: 'open-alerts' });
  const lanes = h('div', { id: 'queue-lanes' });
  const regions = h('div', { id: 'regions' });
  const span = h('select', { id: 'span', onchange: () => guarded(refresh) }, h('option', { value: '60' }, 'last hour'), h('option', { value: '1440' }, 'last day'));
  page('Overview', cards, h('h2', {}, 'Messages per minute, ', h('label.inline-label', { for: 'span' }, h('span.sr', {}, 'period '), span)),
    h('div.legend', {}, h('span.s-accepted', {}, 'accepted'), h('span.s-delivered', {}, 'delivered'), h('span.s-failed', {}, 'failed')), chartBox,
    h('h2', {}, 'Providers'), providers, regions, h('h2', {}, 'Queue by account and priority'), lanes, me.operator ? h('h2', {}, 'Open alerts') : null, alerts);
  const refresh = async () => {
    const [status, act, report] = await Promise.all([api('GET', '/v1/status'), api('GET', `/v1/reports/activity?minutes=${span.value}`), api('GET', '/v1/reports/delivery?group_by=provider')]);
    // A day is shown in 10-minute steps.
    const step = span.value === '1440' ? 10 : 1;
    const mins = [];
    for (let i = 0; i < act.minutes.length; i += step) {
      const chunk = act.minutes.slice(i, i + step);
      mins.push({ minute: chunk[0].minute, accepted: chunk.reduce((a, m) => a + m.accepted, 0), delivered: chunk.reduce((a, m) => a + m.delivered, 0), failed: chunk.reduce((a, m) => a + m.failed, 0) });
    }
    chartBox.replaceChildren(lineChart({
      title: `Messages accepted, delivered and failed per ${step === 1 ? 'minute over the last hour' : '10 minutes over the last day'}`,
      labels: mins.map((m) => m.minute.slice(11, 16)),
      series: [
        { name: 'accepted', className: 's-accepted', values: mins.map((m) => m.accepted) },
        { name: 'delivered', className: 's-delivered', values: mins.map((m) => m.delivered) },
        { name: 'failed', className: 's-failed', values: mins.map((m) => m.failed) },
      ],
    }));
    const sum = (k) => mins.reduce((a, m) => a + m[k], 0);
    cards.replaceChildren(
      ...[[`Accepted (${span.value === '60' ? '1 h' : '24 h'})`, sum('accepted')], [`Delivered (${span.value === '60' ? '1 h' : '24 h'})`, sum('delivered')], [`Failed (${span.value === '60' ? '1 h' : '24 h'})`, sum('failed')],
        ['Queue depth', status.queue.depth], ['Oldest queued', `${Math.round(status.queue.oldest_age_seconds)} s`]]
        .map(([label, value]) => h('div.card', {}, h('div.value', {}, String(value)), h('div.label', {}, label))));
    const byProvider = new Map(report.groups.map((g) => [g.key, g]));
    providers.replaceChildren(table([
      ['Provider', (p) => p.id], ['Circuit', (p) => (p.circuit ? badge(p.circuit) : '—')],
      ['Error rate (window)', (p) => `${(p.window.error_rate * 100).toFixed(1)} % of ${p.window.sends}`],
      ['Delivery rate (24 h)', (p) => { const g = byProvider.get(p.id); return g?.delivery_rate == null ? '—' : `${(g.delivery_rate * 100).toFixed(1)} %`; }],
      ['Latency p50 / p95', (p) => { const g = byProvider.get(p.id); return g?.latency_p50_seconds == null ? '—' : `${g.latency_p50_seconds.toFixed(1)} s / ${g.latency_p95_seconds.toFixed(1)} s`; }],
    ], status.providers));
    // Data residency: each region's database, and whether it answers.
    regions.replaceChildren(...(status.regions ? [h('h2', {}, 'Regions'), table([['Region', (r) => r.name], ['Database', (r) => badge(r.available ? 'available' : 'unavailable')]], status.regions)] : []));
    // Who is waiting, in which lane, and how long the oldest due message has waited for its turn.
    lanes.replaceChildren(status.queue.lanes.length ? table([
      ['Account', (l) => l.account_id], ['Priority', (l) => badge(l.priority)], ['Queued', (l) => String(l.depth)],
      ['Oldest waiting', (l) => `${Math.round(l.oldest_age_seconds)} s`],
    ], status.queue.lanes) : h('p.muted', {}, 'Nothing queued.'));
    if (me.operator) {
      const open = (status.alerts ?? []).filter((a) => a.state === 'firing');
      alerts.replaceChildren(open.length ? table([['Rule', (a) => a.rule], ['Since', (a) => when(a.fired_at)], ['Detail', (a) => a.detail]], open) : h('p.muted', {}, 'None.'));
    }
  };
  await refresh();
  timer = setInterval(() => guarded(refresh), 5_000);
}

// ---- messages ------------------------------------------------------------

/** A "Next page" button while there is one (replaceChildren would write a null out as text). */
const nextPage = (cursor, more) => (cursor ? [h('button.secondary', { type: 'button', onclick: () => guarded(more) }, 'Next page')] : []);

/** The filters of the page's link (`?status=failed` after its route), read by route(). */
let filters = new URLSearchParams();

async function messages() {
  const results = h('div', { id: 'message-results' });
  const status = h('select', { name: 'status', id: 'f-status' }, h('option', { value: '' }, 'any'),
    ...['scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'expired'].map((s) => h('option', { value: s }, s)));
  const to = h('input', { name: 'to', id: 'f-to', placeholder: '+14155550100', size: 16 });
  const provider = h('input', { name: 'provider', id: 'f-provider', size: 12 });
  const mkey = h('input', { name: 'mkey', id: 'f-mkey', placeholder: 'job_id', size: 10 });
  const mval = h('input', { name: 'mval', id: 'f-mval', size: 12 });
  const since = h('input', { name: 'since', id: 'f-since', type: 'datetime-local' });
  status.value = filters.get('status') ?? '';
  to.value = filters.get('to') ?? '';
  provider.value = filters.get('provider') ?? '';
  let cursor = null;
  const search = async (more = false) => {
    const q = new URLSearchParams({ limit: '25' });
    if (status.value) q.set('status', status.value);
    if (to.value.trim()) q.set('to', to.value.trim());
    if (provider.value.trim()) q.set('provider', provider.value.trim());
    if (mkey.value.trim() && mval.value.trim()) q.set(`metadata.${mkey.value.trim()}`, mval.value.trim());
    if (since.value) q.set('since', new Date(since.value).toISOString());
    if (more && cursor) q.set('cursor', cursor);
    const res = await api('GET', `/v1/messages?${q}`);
    cursor = res.next_cursor;
    const t = table([
      ['Message', (m) => h('a', { href: `#/message/${m.id}` }, m.id)], ['Status', (m) => badge(m.status)], ['To', (m) => m.to], ['From', (m) => m.from ?? ''],
      ['Provider', (m) => (m.simulated ? h('span', {}, m.provider ?? '', ' ', badge('simulated')) : m.provider ?? '')], ['Created', (m) => when(m.created_at)], ['Body', (m) => m.body.slice(0, 60)],
    ], res.data);
    results.replaceChildren(t, ...nextPage(cursor, () => search(true)));
  };
  const form = h('form.inline', { role: 'search', onsubmit: (e) => { e.preventDefault(); cursor = null; guarded(() => search()); } },
    h('label', { for: 'f-status' }, 'Status', status), h('label', { for: 'f-to' }, 'To', to), h('label', { for: 'f-provider' }, 'Provider', provider),
    h('label', { for: 'f-mkey' }, 'Metadata key', mkey), h('label', { for: 'f-mval' }, 'value', mval), h('label', { for: 'f-since' }, 'Since', since),
    h('button', { type: 'submit' }, 'Search'));
  page('Messages', form, results);
  await search();
}

/** A receipt's raw webhook, fetched when opened (operators). */
function rawWebhook(webhookId) {
  const pre = h('pre', {}, 'Loading…');
  const details = h('details', { ontoggle: () => guarded(async () => {
    if (!details.open || pre.dataset.loaded) return;
    const w = await api('GET', `/v1/webhooks/${encodeURIComponent(webhookId)}`);
    pre.textContent = `${w.kind} from ${w.provider} at ${w.received_at}\n${JSON.stringify(w.headers, null, 2)}\n\n${w.body}`;
    pre.dataset.loaded = '1';
  }) }, h('summary', {}, 'raw'), pre);
  return details;
}

async function message(id) {
  const [m, callbacks] = await Promise.all([api('GET', `/v1/messages/${encodeURIComponent(id)}`), api('GET', `/v1/messages/${encodeURIComponent(id)}/callbacks`)]);
  const steps = [{ at: m.created_at, text: `Accepted: ${m.segments} segment(s), ${m.encoding}${m.price ? `, quoted ${m.price} ${m.currency}` : ''}` }];
  for (const a of m.attempts ?? []) {
    steps.push({ at: a.started_at, text: `Attempt via ${a.provider} from ${a.from ?? '—'}: ${a.outcome}${a.error ? ` (${a.error.code}${a.error.provider_code ? `, provider ${a.error.provider_code}` : ''})` : ''}${a.failover ? ', failed over' : ''}, ${a.latency_ms ?? '?'} ms` });
  }
  for (const e of m.events ?? []) {
    steps.push({ at: e.occurred_at, text: `Receipt: ${e.provider_status ?? e.status}${e.error_code ? ` (${e.error_code})` : ''}${e.detail ? ` — ${e.detail}` : ''}`, raw: me.operator && e.webhook_id ? e.webhook_id : null });
  }
  steps.sort((a, b) => (a.at < b.at ? -1 : 1));
  const cancel = m.status === 'queued' || m.status === 'scheduled'
    ? h('button.danger', { type: 'button', onclick: () => guarded(async () => {
      if (!confirm('Cancel this message?')) return;
      await api('POST', `/v1/messages/${encodeURIComponent(id)}/cancel`);
      flash('Message canceled.', true);
      await message(id);
    }) }, 'Cancel message') : null;
  page(`Message ${m.id}`,
    h('p', {}, badge(m.status), ' ', `to ${m.to}${m.from ? ` from ${m.from}` : ''}`, m.provider ? ` via ${m.provider}` : '', m.simulated ? ' ' : '', m.simulated ? badge('simulated') : ''),
    m.error ? h('p', {}, `Error: ${m.error.code} — ${m.error.message ?? ''}`) : null,
    m.region ? h('p', { id: 'region' }, 'Stored in region ', badge(m.region)) : null,
    h('p', { id: 'turn' }, 'Priority ', badge(m.priority), m.waited_for_turn_ms == null ? '' : `, waited ${(m.waited_for_turn_ms / 1000).toFixed(1)} s for its turn`),
    m.conversation_id ? h('p', {}, h('a', { href: `#/conversation/${m.conversation_id}` }, 'The conversation')) : null,
    h('h2', {}, 'Timeline'), h('ol.timeline', { id: 'timeline' }, steps.map((s) => h('li', {}, when(s.at), s.text, s.raw ? rawWebhook(s.raw) : null))),
    h('h2', {}, 'Callbacks to your application'),
    table([['Type', (c) => c.type], ['URL', (c) => c.url], ['Status', (c) => badge(c.status)],
      ['Deliveries', (c) => h('ol', {}, c.deliveries.map((d) => h('li', {}, when(d.at), ` ${d.status_code ?? d.error ?? ''} (${d.duration_ms} ms)`)))]], callbacks.data),
    m.routing ? h('h2', {}, 'Why this route') : null,
    m.routing ? h('div', { id: 'routing' }, table([['Provider', (c) => c.provider], ['Price / segment', (c) => (c.price_per_segment ? `${c.price_per_segment}${c.price_entry ? ` (${c.price_entry})` : ''}` : '—')], ['Score', (c) => (c.score == null ? '—' : String(c.score))],
      ['Circuit', (c) => badge(c.circuit)], ['What happened', (c) => c.result]], m.routing.candidates),
    m.routing.excluded.length ? table([['Left out', (x) => x.provider], ['Why', (x) => x.reason]], m.routing.excluded) : null,
    m.routing.lookup ? h('p', { id: 'lookup' }, lookupText(m.routing.lookup)) : null,
    m.routing.rule ? h('p', {}, `Route rule: ${m.routing.rule}`) : null) : null,
    h('h2', {}, 'Parts'), table([['#', (p) => String(p.index + 1)], ['Provider id', (p) => p.provider_message_id], ['Status', (p) => badge(p.status)]], m.parts ?? []),
    h('h2', {}, 'Body'), h('pre', {}, m.body), m.metadata ? h('pre', {}, JSON.stringify(m.metadata, null, 2)) : null, cancel,
    h('p', {}, h('a', { href: '#/messages' }, '← Messages')));
}

// ---- providers and numbers ----------------------------------------------

async function providers() {
  const nums = await api('GET', '/v1/numbers?limit=200');
  const provs = me.operator ? (await api('GET', '/v1/providers?limit=200')).data : [];
  const toggleProvider = (p) => h('button.secondary', { type: 'button', onclick: () => guarded(async () => {
    if (!confirm(`${p.active ? 'Deactivate' : 'Activate'} provider ${p.id}?`)) return;
    if (p.active) await api('DELETE', `/v1/providers/${encodeURIComponent(p.id)}`);
    else await api('POST', '/v1/providers', { id: p.id, kind: p.kind, priority: p.priority, config: p.config, prices: p.prices, active: true });
    await providers();
  }) }, p.active ? 'Deactivate' : 'Activate');
  const toggleNumber = (n) => h('button.secondary', { type: 'button', onclick: () => guarded(async () => {
    if (!confirm(`${n.active ? 'Deactivate' : 'Activate'} ${n.number}?`)) return;
    if (n.active) await api('DELETE', `/v1/numbers/${encodeURIComponent(n.number)}`);
    else await api('POST', '/v1/numbers', { number: n.number, provider_id: n.provider_id, active: true });
    await providers();
  }) }, n.active ? 'Deactivate' : 'Activate');
  page('Providers & numbers',
    me.operator ? h('h2', {}, 'Providers') : null,
    me.operator ? table([['Id', (p) => p.id], ['Kind', (p) => p.kind], ['Priority', (p) => String(p.priority)], ['Active', (p) => badge(p.active ? 'active' : 'inactive')],
      ['Prices', (p) => Object.entries(p.prices).map(([c, v]) => `${c} ${v}`).join(', ')], ['', toggleProvider]], provs) : null,
    h('h2', {}, 'Numbers'),
    table([['Number', (n) => n.number], ['Provider', (n) => n.provider_id], ['Account', (n) => n.account_id], ['Rate /s', (n) => String(n.rate_per_second ?? '')],
      ['Active', (n) => badge(n.active ? 'active' : 'inactive')], ['', toggleNumber]], nums.data));
}

// ---- relay rules, relays, masks -----------------------------------------

async function relayRules() {
  const rules = (await api('GET', '/v1/relay-rules?limit=200')).data;
  const number = h('input', { id: 'r-number', name: 'number', required: true, placeholder: '+14155550100' });
  const dests = h('input', { id: 'r-destinations', name: 'destinations', required: true, size: 40, placeholder: '+14155550111, +14155550112' });
  const template = h('input', { id: 'r-template', name: 'template', size: 30 });
  const edit = (r) => { number.value = r.number; dests.value = r.destinations.join(', '); template.value = r.template ?? ''; number.focus(); };
  const form = h('form.inline', { 'aria-label': 'Relay rule', onsubmit: (e) => { e.preventDefault(); guarded(async () => {
    const body = { number: number.value.trim(), destinations: dests.value.split(',').map((d) => d.trim()).filter(Boolean), active: true };
    if (template.value.trim()) body.template = template.value.trim();
    await api('POST', '/v1/relay-rules', body);
    flash(`Relay rule for ${body.number} saved.`, true);
    await relayRules();
  }); } }, h('label', { for: 'r-number' }, 'Inbound number', number), h('label', { for: 'r-destinations' }, 'Destinations, in order', dests),
  h('label', { for: 'r-template' }, 'Template (optional)', template), h('button', { type: 'submit' }, 'Save rule'));
  page('Relay rules', form, table([
    ['Number', (r) => r.number], ['Destinations', (r) => r.destinations.join(' → ')], ['Template', (r) => r.template ?? ''], ['Active', (r) => badge(r.active ? 'active' : 'inactive')],
    ['', (r) => h('span', {}, h('button.secondary', { type: 'button', onclick: () => edit(r) }, 'Edit'), ' ', r.active ? h('button.danger', { type: 'button', onclick: () => guarded(async () => {
      if (!confirm(`Deactivate the relay rule for ${r.number}?`)) return;
      await api('DELETE', `/v1/relay-rules/${encodeURIComponent(r.number)}`);
      await relayRules();
    }) }, 'Deactivate') : null)],
  ], rules));
}

async function relays() {
  const list = (await api('GET', '/v1/relays?limit=50')).data;
  page('Relays', table([
    ['Relay', (r) => r.id], ['Status', (r) => badge(r.status)], ['From', (r) => r.source], ['Number', (r) => r.number],
    ['Hops', (r) => h('ol', {}, (r.attempts ?? []).map((a) => h('li', {}, `${a.destination}: ${a.outcome ?? 'waiting'}${a.detail ? ` (${a.detail})` : ''}`)))],
    ['Reason', (r) => r.reason ?? ''], ['Created', (r) => when(r.created_at)],
  ], list));
}

async function masks() {
  const list = (await api('GET', '/v1/masks?limit=100')).data;
  page('Masks', table([
    ['Session', (m) => m.id], ['Status', (m) => badge(m.status)], ['Participants', (m) => (m.participants ?? []).map((p) => `${p.number} via ${p.proxy}`).join(', ')],
    ['Messages', (m) => String(m.message_count)], ['Expires', (m) => when(m.expires_at)],
    ['', (m) => (m.status !== 'active' ? '' : h('button.danger', { type: 'button', onclick: () => guarded(async () => {
      if (!confirm('End this masking session?')) return;
      await api('DELETE', `/v1/masks/${encodeURIComponent(m.id)}`);
      await masks();
    }) }, 'End'))],
  ], list));
}

// ---- opt-outs ------------------------------------------------------------

async function optOuts(filter) {
  const q = new URLSearchParams({ limit: '100' });
  if (filter) q.set('number', filter);
  const list = (await api('GET', `/v1/opt-outs?${q}`)).data;
  const search = h('input', { id: 'o-search', name: 'number', value: filter ?? '', placeholder: '+14155550100' });
  const add = h('input', { id: 'o-add', name: 'number', required: true, placeholder: '+14155550100' });
  const topic = h('input', { id: 'o-topic', name: 'topic', size: 12, placeholder: 'every topic' });
  page('Opt-outs',
    h('form.inline', { role: 'search', onsubmit: (e) => { e.preventDefault(); guarded(() => optOuts(search.value.trim() || undefined)); } },
      h('label', { for: 'o-search' }, 'Find a number', search), h('button.secondary', { type: 'submit' }, 'Find')),
    h('form.inline', { 'aria-label': 'Add an opt-out', onsubmit: (e) => { e.preventDefault(); guarded(async () => {
      await api('POST', '/v1/opt-outs', { number: add.value.trim(), ...(topic.value.trim() ? { topic: topic.value.trim() } : {}) });
      flash(`${add.value.trim()} opted out.`, true);
      await optOuts(filter);
    }); } }, h('label', { for: 'o-add' }, 'Opt out a number', add), h('label', { for: 'o-topic' }, 'of topic', topic), h('button', { type: 'submit' }, 'Add opt-out')),
    table([['Number', (o) => o.number], ['Of', (o) => o.topic ? `topic ${o.topic}` : o.sender ?? 'the whole account'], ['Source', (o) => o.source], ['Since', (o) => when(o.created_at)],
      ['Proof', (o) => h('a', { href: `/v1/consent/${encodeURIComponent(o.number)}/export?format=csv`, download: '' }, 'CSV')],
      ['', (o) => h('button.danger', { type: 'button', onclick: () => guarded(async () => {
        if (!confirm(`Remove ${o.number} from the opt-out list? They will receive messages again.`)) return;
        const q = new URLSearchParams(o.topic ? { topic: o.topic } : o.sender ? { sender: o.sender } : {});
        await api('DELETE', `/v1/opt-outs/${encodeURIComponent(o.number)}?${q}`);
        flash(`${o.number} removed from the opt-out list.`, true);
        await optOuts(filter);
      }) }, 'Remove')]], list));
}

// ---- reports -------------------------------------------------------------

async function reports() {
  const group = h('select', { id: 'rep-group', name: 'group_by' }, ...['provider', 'country', 'day'].map((g) => h('option', { value: g }, g)), h('option', { value: 'metadata.job_id' }, 'metadata.job_id'));
  const out = h('div', { id: 'report' });
  const run = async () => {
    const r = await api('GET', `/v1/reports/delivery?group_by=${encodeURIComponent(group.value)}&since=${encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString())}`);
    const failed = (g) => (g.by_status.failed ?? 0) + (g.by_status.undelivered ?? 0) + (g.by_status.expired ?? 0);
    out.replaceChildren(
      h('div.legend', {}, h('span.s-delivered', {}, 'delivered'), h('span.s-failed', {}, 'failed')),
      barChart({ title: `Final messages of the last 7 days by ${r.group_by}`, labels: r.groups.map((g) => g.key), series: [
        { name: 'delivered', className: 's-delivered', values: r.groups.map((g) => g.by_status.delivered ?? 0) },
        { name: 'failed', className: 's-failed', values: r.groups.map(failed) },
      ] }),
      table([
      [r.group_by, (g) => g.key], ['Total', (g) => String(g.total)], ['Delivered', (g) => String(g.by_status.delivered ?? 0)],
      ['Failed', (g) => String((g.by_status.failed ?? 0) + (g.by_status.undelivered ?? 0) + (g.by_status.expired ?? 0))],
      ['Delivery rate', (g) => (g.delivery_rate == null ? '—' : `${(g.delivery_rate * 100).toFixed(1)} %`)], ['Price', (g) => g.price_total],
      ['p50 / p95', (g) => (g.latency_p50_seconds == null ? '—' : `${g.latency_p50_seconds.toFixed(1)} s / ${g.latency_p95_seconds.toFixed(1)} s`)],
    ], r.groups, 'Final messages of the last 7 days'));
  };
  const csv = async () => {
    const text = await api('GET', `/v1/reports/delivery?group_by=${encodeURIComponent(group.value)}&since=${encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString())}`, undefined, 'text/csv');
    const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: 'delivery-report.csv' });
    a.click();
  };
  page('Reports', h('form.inline', { onsubmit: (e) => { e.preventDefault(); guarded(run); } }, h('label', { for: 'rep-group' }, 'Group by', group),
    h('button', { type: 'submit' }, 'Show'), h('button.secondary', { type: 'button', onclick: () => guarded(csv) }, 'Download CSV')), out);
  await run();
}

// ---- webhooks, alerts, keys ---------------------------------------------

async function webhooks() {
  const list = (await api('GET', '/v1/webhooks?limit=100')).data;
  page('Webhooks', table([
    ['Received', (w) => when(w.received_at)], ['Provider', (w) => w.provider], ['Kind', (w) => w.kind],
    ['Processed', (w) => (w.processed_at ? when(w.processed_at) : badge('pending'))], ['Error', (w) => w.error ?? ''],
    ['Payload', (w) => h('details', {}, h('summary', {}, `${w.body.length} bytes`), h('pre', {}, w.body))],
    ['', (w) => h('button.secondary', { type: 'button', 'data-webhook': w.id, onclick: () => guarded(async () => {
      await api('POST', `/v1/webhooks/${encodeURIComponent(w.id)}/replay`);
      flash(`Webhook ${w.id} replayed.`, true);
    }) }, 'Replay')],
  ], list));
}

async function alertsPage() {
  const list = (await api('GET', '/v1/alerts')).data;
  page('Alerts', table([['Rule', (a) => a.rule], ['State', (a) => badge(a.state)], ['Detail', (a) => a.detail ?? ''], ['Fired', (a) => when(a.fired_at)], ['Resolved', (a) => when(a.resolved_at)]], list));
}

async function keys() {
  const list = (await api('GET', '/v1/keys')).data;
  const name = h('input', { id: 'k-name', name: 'name', required: true });
  const scopes = h('select', { id: 'k-scopes', name: 'scopes' }, ...['send,read', 'read', 'admin'].map((s) => h('option', { value: s }, s)));
  const shown = h('div', { id: 'new-secret', 'aria-live': 'polite' });
  const form = h('form.inline', { 'aria-label': 'Create an API key', onsubmit: (e) => { e.preventDefault(); guarded(async () => {
    const k = await api('POST', '/v1/keys', { name: name.value.trim(), scopes: scopes.value.split(',') });
    await keys();
    document.getElementById('new-secret').replaceChildren(h('p', {}, `Key ${k.id} created. Its secret is shown only now:`), h('pre', {}, k.secret));
  }); } }, h('label', { for: 'k-name' }, 'Name', name), h('label', { for: 'k-scopes' }, 'Scopes', scopes), h('button', { type: 'submit' }, 'Create key'));
  page('API keys', form, shown, table([
    ['Key', (k) => k.id], ['Name', (k) => k.name], ['Account', (k) => k.account_id], ['Scopes', (k) => k.scopes.join(', ')], ['Prefix', (k) => `${k.prefix}…`],
    ['Revoked', (k) => when(k.revoked_at)],
    ['', (k) => (k.revoked_at ? '' : h('span', {}, h('button.secondary', { type: 'button', onclick: () => guarded(async () => {
      const r = await api('POST', `/v1/keys/${encodeURIComponent(k.id)}/rotate-webhook-secret`);
      document.getElementById('new-secret').replaceChildren(h('p', {}, `New webhook secret for ${k.id}, shown only now:`), h('pre', {}, r.webhook_secret ?? ''));
    }) }, 'Rotate webhook secret'), ' ', h('button.danger', { type: 'button', onclick: () => guarded(async () => {
      if (!confirm(`Revoke ${k.name}? Clients using it stop working at once.`)) return;
      await api('DELETE', `/v1/keys/${encodeURIComponent(k.id)}`);
      await keys();
    }) }, 'Revoke')))],
  ], list));
}

// ---- batches -------------------------------------------------------------

async function batches() {
  const results = h('div', { id: 'batch-results' });
  const refresh = async () => {
    const list = (await api('GET', '/v1/batches?limit=50')).data;
    results.replaceChildren(table([
      ['Batch', (b) => b.id], ['Created', (b) => when(b.created_at)],
      ['Progress', (b) => h('span', {}, h('progress', { max: String(b.total), value: String(b.done), 'aria-label': `${b.done} of ${b.total} done` }), ` ${b.done} / ${b.total}`)],
      ['By status', (b) => Object.entries(b.by_status).map(([s, n]) => `${s} ${n}`).join(', ') + (b.refused ? `, refused ${b.refused}` : '')],
      ['', (b) => h('a', { href: `/v1/batches/${encodeURIComponent(b.id)}/failures`, download: '' }, 'Failures (CSV)')],
    ], list, 'Bulk sends, newest first'));
  };
  page('Batches', h('p.muted', {}, 'Bulk sends (POST /v1/batches, or switchboard send --csv), with their progress.'), results);
  await refresh();
  timer = setInterval(() => guarded(refresh), 2_000);
}

// ---- audit log -----------------------------------------------------------

const AUDIT_OBJECTS = ['account', 'api_key', 'provider', 'number', 'country_rule', 'route_rule', 'relay_rule', 'template', 'tracking_link', 'opt_out'];

/** One audit entry's change, field by field: before → after (secrets arrive redacted). */
function auditDiff(e) {
  const show = (v) => (v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const fields = e.action === 'update' ? e.changed : Object.keys(e.after ?? e.before ?? {});
  return h('details', {}, h('summary', {}, e.action === 'update' ? e.changed.join(', ') : `${fields.length} fields`),
    h('table.diff', {}, h('tbody', {}, fields.map((f) => h('tr', {}, h('th', { scope: 'row' }, f), h('td', {}, show(e.before?.[f])), h('td', {}, '→'), h('td', {}, show(e.after?.[f])))))));
}

async function auditLog() {
  const results = h('div', { id: 'audit-results' });
  const object = h('select', { name: 'object', id: 'a-object' }, h('option', { value: '' }, 'any'), ...AUDIT_OBJECTS.map((o) => h('option', { value: o }, o)));
  const objectId = h('input', { name: 'object_id', id: 'a-id', size: 16 });
  const actor = h('input', { name: 'actor', id: 'a-actor', size: 16, placeholder: 'key id or OS user' });
  object.value = filters.get('object') ?? '';
  objectId.value = filters.get('object_id') ?? '';
  actor.value = filters.get('actor') ?? '';
  let cursor = null;
  const search = async (more = false) => {
    const q = new URLSearchParams({ limit: '50' });
    for (const [k, el] of [['object', object], ['object_id', objectId], ['actor', actor]]) if (el.value.trim()) q.set(k, el.value.trim());
    if (more && cursor) q.set('cursor', cursor);
    const res = await api('GET', `/v1/audit?${q}`);
    cursor = res.next_cursor;
    results.replaceChildren(table([
      ['When', (e) => when(e.at)], ['Who', (e) => `${e.actor.kind}${e.actor.name ? `: ${e.actor.name}` : ''}${e.actor.id ? ` (${e.actor.id})` : ''}`],
      ['Account', (e) => e.account_id ?? 'shared'], ['Object', (e) => `${e.object} ${e.object_id}`], ['Action', (e) => badge(e.action)], ['Change', auditDiff],
    ], res.data, 'Configuration changes, newest first'), ...nextPage(cursor, () => search(true)));
  };
  const verdict = h('div', { id: 'audit-verify', 'aria-live': 'polite' });
  const verify = me.operator ? h('button.secondary', { type: 'button', onclick: () => guarded(async () => {
    const v = await api('GET', '/v1/audit/verify');
    verdict.replaceChildren(h('p', {}, v.ok ? `Chain intact: ${v.entries} entries, head ${v.head_seq} ${v.head_hash}.` : `Chain broken: ${v.problems.map((p) => `entry ${p.seq}: ${p.problem}`).join('; ')}`));
  }) }, 'Verify chain') : null;
  const form = h('form.inline', { role: 'search', onsubmit: (e) => { e.preventDefault(); cursor = null; guarded(() => search()); } },
    h('label', { for: 'a-object' }, 'Object', object), h('label', { for: 'a-id' }, 'Id', objectId), h('label', { for: 'a-actor' }, 'Actor', actor),
    h('button', { type: 'submit' }, 'Search'), verify);
  page('Audit log', form, verdict, results);
  await search();
}

// ---- conversations -------------------------------------------------------

async function conversation(id) {
  const c = await api('GET', `/v1/conversations/${encodeURIComponent(id)}`);
  page(`Conversation with ${c.customer_number}`,
    h('p', {}, `Between ${c.business_number} (yours) and ${c.customer_number}, oldest first.`),
    h('ol.timeline', { id: 'conversation' }, c.texts.map((x) => h('li', { className: x.direction },
      when(x.direction === 'inbound' ? x.received_at : x.created_at), ' ',
      x.direction === 'inbound' ? `${x.from}: ` : h('a', { href: `#/message/${x.id}` }, 'You'), x.direction === 'inbound' ? '' : ': ',
      x.body, x.direction === 'outbound' ? ' ' : '', x.direction === 'outbound' ? badge(x.status) : ''))));
}

const VIEWS = {
  overview, messages, message, conversation, providers, 'relay-rules': relayRules, relays, masks, 'opt-outs': () => optOuts(), reports, webhooks, alerts: alertsPage, keys, audit: auditLog, batches,
};

window.addEventListener('hashchange', route);
// A page addressed by path (/dashboard/messages?status=failed: a shared or bookmarked link)
// opens as the hash route it names, so every view has one address.
if (location.pathname.replace(/\/+$/, '') !== '/dashboard') {
  history.replaceState(null, '', `/dashboard#/${location.pathname.slice('/dashboard/'.length)}${location.search}`);
}
(async () => {
  const res = await fetch('/dashboard/session', { credentials: 'same-origin' });
  if (res.ok) start(await res.json());
  else login();
})();
