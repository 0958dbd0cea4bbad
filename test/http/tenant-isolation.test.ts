// Tenant isolation, tried as a hostile tenant would: account B's admin key is sent at
// every route of the API (read from the server's own route table, so a new route is
// covered without a new test) against account A's records. Every answer is a refusal or
// shows nothing of A, and afterwards A's records and everything shared are unchanged.
// Runs on SQLite and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { makePostgresStore, testSchema, type TestStore } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { FAKE_ACCOUNT_SID } from '../../src/sandbox/twilio.ts';
import type { Store } from '../../src/store/store.ts';
import { conversationId } from '../../src/domain/conversations.ts';
import { newId } from '../../src/domain/ids.ts';

const A_NUM = '+14155550101';
const A_PROXIES = ['+14155550102', '+14155550103'];
const B_NUM = '+14155550104';
const SHARED_NUM = '+14155550105';
const A_OPTED_OUT = '+14155550188';
const RECIPIENT = '+14155550177';
const A_BODY = 'for-account-a-eyes-only';

/** Routes anyone may call: liveness, metrics, the API docs, and provider webhooks (signature-checked instead). */
// Public by design: probes, docs, provider webhooks (signature-checked), tracking pages
// (the unguessable token is the credential) and the dashboard's shell and sign-in (its
// data comes from the guarded /v1 routes).
const A_JOB = 'job-a-42';
const A_TEMPLATE = 'a-template';
const PUBLIC = [/^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/docs(\/|$)/, /^\/webhooks\//, /^\/sms\/inbound$/, /^\/track\//, /^\/dashboard(\/|$)/];

interface Route { method: string; url: string; scope?: string; paged: boolean }

/** What B sends at each route that takes a body: each one aims at A's records. */
function attackBodies(ids: Ids): Record<string, unknown[]> {
  return {
    'POST /v1/messages': [{ to: RECIPIENT, body: 'x', from: A_NUM }],
    'POST /notify/sms': [{ to: RECIPIENT, body: 'x', from: A_NUM }],
    'POST /v1/keys': [{ name: 'evil', account_id: 'acct-a', scopes: ['admin'] }, { name: 'evil-op', scopes: ['operator'] }],
    'POST /v1/providers': [
      { id: 'evil', kind: 'twilio', priority: 0, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_AUTH_TOKEN', base_url: 'http://127.0.0.1:9' } },
      { id: ids.provider, kind: 'simulator', active: false },
    ],
    'POST /v1/numbers': [
      { number: A_PROXIES[0], provider_id: ids.provider, pool: 'default' },
      { number: A_NUM, provider_id: ids.provider, account_id: 'acct-b' },
      { number: A_NUM, provider_id: ids.provider, active: false },
      { number: SHARED_NUM, provider_id: ids.provider, active: false },
      { number: B_NUM, provider_id: ids.provider, account_id: 'acct-a' },
      { number: B_NUM, provider_id: ids.provider, rate_per_second: 1000 },
    ],
    'POST /v1/country-rules': [{ country: 'US', providers: ['does-not-exist'] }, { country: 'US', providers: [ids.provider] }],
    'POST /v1/route-rules': [{ match: '+1', providers: [ids.provider] }, { match: '310-260', providers: [ids.provider] }],
    'POST /v1/relay-rules': [
      { number: A_NUM, destinations: ['+18585550199'] },
      { number: B_NUM, destinations: ['+18585550199'], account_id: 'acct-a' },
      { number: SHARED_NUM, destinations: ['+18585550199'] },
    ],
    'POST /v1/opt-outs': [{ number: RECIPIENT }],
    'POST /v1/batches': [{ body: 'x', recipients: [{ to: A_NUM }], from: A_NUM }, { body: 'x', recipients: [{ to: RECIPIENT }] }],
    'POST /v1/consent/:number/confirmations': [{ topic: 'marketing' }],
    'POST /v1/account/settings': [{ account_id: 'acct-a', opt_out_scope: 'number' }, { opt_out_scope: 'number' }],
    'POST /v1/masks': [{ participants: ['+14155550120', '+14155550121'] }],
    'POST /sms/relay': [{ to: A_NUM, from: '+14155550199', body: 'x' }],
    'POST /v1/tracking-links': [{ job_id: A_JOB, ttl: 600 }],
    'POST /v1/templates': [{ id: A_TEMPLATE, body: 'B wrote {x}' }],
    'POST /v1/drills': [{ to: RECIPIENT }, { provider: 'sim', to: RECIPIENT }],
    'POST /v1/calls': [{ to: RECIPIENT, say: 'x', from: A_NUM }],
    'POST /notify/voice': [{ to: RECIPIENT, say: 'x', from: A_NUM }],
    'POST /v1/messages/preview': [{ to: RECIPIENT, body: 'x', from: A_NUM }, { to: RECIPIENT, body: 'x' }],
  };
}

interface Ids { provider: string; message: string; mask: string; key: string; relay: string; tracking: string; template: string; inbound: string; conversation: string; batch: string }

/** The path with A's record in every parameter. */
function fill(url: string, ids: Ids): string {
  const section = url.split('/')[2];
  const byId: Record<string, string> = { messages: ids.message, masks: ids.mask, keys: ids.key, relays: ids.relay, providers: ids.provider, 'tracking-links': ids.tracking, templates: ids.template, inbound: ids.inbound, conversations: ids.conversation, batches: ids.batch };
  return url
    .replace(':id', encodeURIComponent(byId[section] ?? 'unknown'))
    // A lookup is a shared fact about a number (DESIGN §6), and echoes the number asked: ask about one that is nobody's.
    .replace(':number', encodeURIComponent(section === 'opt-outs' || section === 'consent' ? A_OPTED_OUT : section === 'lookups' ? '+15005550012' : A_NUM));
}

/** Everything that belongs to A, and everything all accounts share, as the store holds it. */
async function snapshot(store: Store, ids: Ids): Promise<string> {
  return JSON.stringify({
    providers: await store.listProviders(), countryRules: await store.listCountryRules(), routeRules: await store.listRouteRules(),
    numbers: (await store.listNumbers()).filter((n) => n.account_id !== 'acct-b'),
    relayRules: await store.listRelayRules('acct-a'), optOuts: await store.listOptOuts('acct-a'),
    mask: await store.getMask('acct-a', ids.mask), message: await store.getMessage('acct-a', ids.message),
    keys: await store.listApiKeys('acct-a'), operatorKeys: await store.listApiKeys('default'), relay: await store.getRelay(ids.relay),
    tracking: await store.listTrackingLinks('acct-a'), templates: await store.listTemplates('acct-a', A_TEMPLATE),
    settings: (await store.listAccountSettings()).find((a) => a.id === 'acct-a'), consent: await store.listConsent('acct-a', A_OPTED_OUT), batch: await store.getBatch('acct-a', ids.batch),
  });
}

function isolationSuite(name: string, opts: { skip?: string | false; postgres?: boolean }) {
  describe(`tenant isolation (${name})`, { skip: opts.skip }, () => {
    let t: TestApp;
    let pg: TestStore | undefined;
    let aKey = '';
    let bKey = '';
    let ids: Ids;
    let aTrackUrl = '';
    let routes: Route[];
    const as = (key: string) => ({ authorization: `Bearer ${key}` });

    before(async () => {
      // PostgreSQL: one store owns the schema (and drops it at the end); the app gets its own.
      const schema = testSchema();
      pg = opts.postgres ? await makePostgresStore(schema) : undefined;
      t = await startApp({}, { store: pg ? new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) : undefined });
      const op = (method: string, path: string, body?: unknown) => t.call(method, path, body);
      const mustCreate = async (path: string, body: unknown, headers?: Record<string, string>) => {
        const r = await t.call('POST', path, body, headers);
        assert.ok(r.status === 201 || r.status === 202, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      };
      const a = await mustCreate('/v1/keys', { name: 'a-admin', account_id: 'acct-a', scopes: ['admin'] });
      aKey = a.secret;
      bKey = (await mustCreate('/v1/keys', { name: 'b-admin', account_id: 'acct-b', scopes: ['admin'] })).secret;
      await mustCreate('/v1/providers', { id: 'sim', kind: 'simulator', prices: { '*': '0.0050' } });
      await mustCreate('/v1/numbers', { number: A_NUM, provider_id: 'sim', account_id: 'acct-a', rate_per_second: 100 });
      for (const p of A_PROXIES) await mustCreate('/v1/numbers', { number: p, provider_id: 'sim', account_id: 'acct-a', pool: 'masking', rate_per_second: 100 });
      await mustCreate('/v1/numbers', { number: B_NUM, provider_id: 'sim', account_id: 'acct-b', rate_per_second: 100 });
      await mustCreate('/v1/numbers', { number: SHARED_NUM, provider_id: 'sim', rate_per_second: 100 });
      await mustCreate('/v1/relay-rules', { number: A_NUM, destinations: ['+18585550100'] }, as(aKey));
      await mustCreate('/v1/opt-outs', { number: A_OPTED_OUT }, as(aKey));
      const msg = await mustCreate('/v1/messages', { to: RECIPIENT, body: A_BODY, metadata: { job_id: A_JOB }, send_at: new Date(Date.now() + 86_400_000).toISOString() }, as(aKey));
      const tracking = await mustCreate('/v1/tracking-links', { job_id: A_JOB, ttl: 600 }, as(aKey));
      aTrackUrl = tracking.url;
      const mask = await mustCreate('/v1/masks', { participants: ['+14155550110', '+14155550111'] }, as(aKey));
      const relay = await mustCreate('/sms/relay', { to: A_NUM, from: '+14155550199', body: A_BODY }, as(aKey));
      await mustCreate('/v1/templates', { id: A_TEMPLATE, body: `${A_BODY} {x}` }, as(aKey));
      const batch = await mustCreate('/v1/batches', { body: A_BODY, recipients: [{ to: '+14155550112' }] }, as(aKey));
      // A text a customer sent to A's number, and its conversation.
      const now = Date.now();
      const conversation = conversationId('acct-a', A_NUM, '+14155550120');
      await t.app.ctx.store.upsertConversation({ id: conversation, account_id: 'acct-a', business_number: A_NUM, customer_number: '+14155550120', created_at: now });
      const [inbound] = await t.app.ctx.store.insertInbound([{ id: newId('inb'), account_id: 'acct-a', provider_id: 'sim', provider_message_id: 'iso-in-1', from_number: '+14155550120', to_number: A_NUM,
        body: A_BODY, webhook_id: 'whk_iso', received_at: now, created_at: now, conversation_id: conversation, in_reply_to: null }]);
      ids = { provider: 'sim', message: msg.id, mask: mask.id, key: a.id, relay: relay.id, tracking: tracking.id, template: A_TEMPLATE, inbound: inbound.id, conversation, batch: batch.id };
      await eventually(async () => (await op('GET', `/v1/relays/${relay.id}`)).body.status !== 'forwarding', 10_000, 'the relay to settle');
      routes = t.app.server!.routeTable as Route[];
    });
    after(async () => { await t.stop(); await pg?.dispose(); });

    it('every route says who may call it', () => {
      const open = routes.filter((r) => !r.scope && r.method !== 'OPTIONS' && r.method !== 'HEAD' && !PUBLIC.some((p) => p.test(r.url)));
      assert.deepEqual(open.map((r) => `${r.method} ${r.url}`), []);
    });

    it("account B's admin key can neither see nor change anything of account A's, on any route", async () => {
      const before = await snapshot(t.app.ctx.store, ids);
      const bodies = attackBodies(ids);
      const markers = [A_NUM, ...A_PROXIES, A_OPTED_OUT, 'acct-a', ids.message, ids.mask, ids.key, ids.relay, ids.batch, A_BODY];
      const guarded = routes.filter((r) => r.scope && r.method !== 'HEAD');
      assert.ok(guarded.length >= 30, `the route table lists ${guarded.length} guarded routes`);
      for (const r of guarded) {
        const route = `${r.method} ${r.url}`;
        const path = fill(r.url, ids);
        const sends = r.method === 'POST' && !r.url.endsWith('/cancel') && !r.url.endsWith('/rotate-webhook-secret') && !r.url.endsWith('/replay') && r.url !== '/relay/status';
        if (sends) assert.ok(bodies[route], `${route} has no attack body in this test: add one`);
        for (const body of sends ? bodies[route] : [undefined]) {
          const res = await t.call(r.method, path, body, as(bKey));
          const text = JSON.stringify(res.body);
          assert.ok(res.status < 500, `${route} → ${res.status} ${text}`);
          if (res.status >= 400) continue; // a refusal (its message may echo what B sent)
          for (const m of markers) assert.ok(!text.includes(m), `${route} ${JSON.stringify(body)} showed B ${m}: ${res.status} ${text.slice(0, 300)}`);
          if (r.method !== 'GET') {
            // What B may change is its own: an opt-out or message of B's account.
            assert.ok(['POST /v1/opt-outs', 'POST /v1/masks', 'POST /relay/status', 'POST /v1/tracking-links', 'POST /v1/messages/preview', 'POST /v1/templates', 'POST /v1/account/settings', 'POST /v1/consent/:number/confirmations', 'POST /v1/batches'].includes(route), `${route} ${JSON.stringify(body)} was allowed: ${res.status} ${text.slice(0, 300)}`);
          }
        }
        // The same path with A's key finds A's record, so B's refusal is not a wrong id.
        if (r.method === 'GET' && r.url.includes(':')) {
          const own = await t.call('GET', path, undefined, as(aKey));
          if (r.url.startsWith('/v1/providers') || r.url.startsWith('/v1/webhooks')) continue; // operators' records
          assert.equal(own.status, 200, `${route} with A's own key: ${own.status} ${JSON.stringify(own.body)}`);
        }
      }
      assert.equal(await snapshot(t.app.ctx.store, ids), before, "A's records or the shared ones changed");
    });

    it("a tracking link shows only its own account's messages, whatever job_id it names", async () => {
      const mine = await t.call('POST', '/v1/tracking-links', { job_id: A_JOB, ttl: 600 }, as(bKey));
      assert.equal(mine.status, 201);
      const local = (url: string) => `${t.url}${new URL(url).pathname}.json`;
      const page = await (await fetch(local(mine.body.url))).json() as { messages: unknown[] };
      assert.deepEqual(page.messages, [], "B's link to A's job shows nothing of A's");
      const aPage = await (await fetch(local(aTrackUrl))).json() as { messages: { to: string }[] };
      assert.equal(aPage.messages.length, 1, "A's own link shows A's message");
      assert.ok(!JSON.stringify(aPage).includes(RECIPIENT), 'with the recipient masked');
      // The public page carries the dashboard's headers: never framed, scripts from this origin only.
      for (const url of [`${t.url}${new URL(aTrackUrl).pathname}`, `${t.url}/track/not-a-token`]) {
        const res = await fetch(url);
        await res.arrayBuffer();
        assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, url);
        assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/, url);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', url);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', url);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', url);
      }
    });

    it("a tenant cannot take over routing, nor read the server's secrets through a provider record", async () => {
      const takeover = { id: 'evil', kind: 'twilio', priority: 0, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_AUTH_TOKEN', base_url: 'http://127.0.0.1:9' } };
      const r = await t.call('POST', '/v1/providers', takeover, as(bKey));
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'forbidden');
      assert.equal((await t.call('DELETE', '/v1/providers/sim', undefined, as(bKey))).status, 403);
      assert.equal((await t.call('POST', '/v1/country-rules', { country: 'US', providers: ['sim'] }, as(bKey))).status, 403);
      for (const name of ['SWITCHBOARD_WEBHOOK_SECRET', 'SWITCHBOARD_ADMIN_KEY', 'DATABASE_URL', 'REDIS_URL', 'PGPASSWORD', 'HOME', 'SECRET']) {
        const op = await t.call('POST', '/v1/providers', { ...takeover, config: { ...takeover.config, auth_token_env: name } });
        assert.equal(op.status, 422, `${name}: ${JSON.stringify(op.body)}`);
        assert.equal(op.body.error.code, 'env_not_allowed');
        assert.equal(op.body.error.field, 'config.auth_token_env');
      }
      assert.ok(!(await t.app.ctx.store.listProviders()).some((p) => p.id === 'evil'), 'nothing was stored');
      const typo = await t.call('POST', '/v1/country-rules', { country: 'US', providers: ['does-not-exist'] });
      assert.equal(typo.status, 400, 'even an operator cannot route a country to a provider that does not exist');
    });

    it('operator authority comes from the operator scope, not from an admin key of the default account', async () => {
      const defaultAdmin = (await t.call('POST', '/v1/keys', { name: 'default-admin', scopes: ['admin'] })).body.secret;
      assert.equal((await t.call('POST', '/v1/providers', { id: 'sim2', kind: 'simulator' }, as(defaultAdmin))).status, 403);
      const made = await t.call('POST', '/v1/keys', { name: 'ops', scopes: ['operator'] }, as(defaultAdmin));
      assert.equal(made.status, 403, 'an admin cannot mint an operator key');
      const operator = await t.call('POST', '/v1/keys', { name: 'ops', scopes: ['operator'] });
      assert.equal(operator.status, 201);
      const created = await t.call('POST', '/v1/providers', { id: 'sim2', kind: 'simulator', active: false }, as(operator.body.secret));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      // An account admin cannot revoke or even see an operator key.
      assert.equal((await t.call('DELETE', `/v1/keys/${operator.body.id}`, undefined, as(defaultAdmin))).status, 404);
      const listed = await t.call('GET', '/v1/keys', undefined, as(defaultAdmin));
      assert.ok(!listed.body.data.some((k: { id: string }) => k.id === operator.body.id), 'nor list it');
    });

    it("an account admin switches its own numbers on and off, but not their routing, nor the shared pool's", async () => {
      const off = await t.call('POST', '/v1/numbers', { number: B_NUM, provider_id: 'sim', active: false, capabilities: ['sms', 'international'] }, as(bKey));
      assert.equal(off.status, 201, JSON.stringify(off.body));
      assert.equal(off.body.active, false);
      assert.equal(off.body.rate_per_second, 100, 'the operator-set rate is kept');
      const pool = await t.call('POST', '/v1/numbers', { number: B_NUM, provider_id: 'sim', pool: 'masking' }, as(bKey));
      assert.equal(pool.status, 403);
      assert.equal(pool.body.error.field, 'pool');
      assert.equal((await t.call('DELETE', `/v1/numbers/${encodeURIComponent(SHARED_NUM)}`, undefined, as(bKey))).status, 403);
      const listed = await t.call('GET', '/v1/numbers', undefined, as(bKey));
      assert.deepEqual(listed.body.data.map((n: { number: string }) => n.number).sort(), [B_NUM, SHARED_NUM], 'its own numbers and the shared pool');
      assert.equal((await t.call('POST', '/v1/numbers', { number: B_NUM, provider_id: 'sim', active: true }, as(bKey))).status, 201);
    });

    it("status figures count only the caller's account; alerts are the operator's", async () => {
      const a = await t.call('GET', '/v1/status', undefined, as(aKey));
      const b = await t.call('GET', '/v1/status', undefined, as(bKey));
      assert.equal(a.status, 200);
      assert.equal(a.body.queue.by_status.scheduled, 1, "A sees its scheduled message");
      assert.equal(b.body.queue.by_status.scheduled ?? 0, 0, "B does not see A's");
      assert.equal(b.body.alerts, undefined);
      const all = await t.call('GET', '/v1/status');
      assert.ok(Array.isArray(all.body.alerts));
      assert.ok(all.body.queue.by_status.scheduled >= 1);
      assert.equal((await t.call('GET', '/v1/status?account_id=acct-a', undefined, as(bKey))).status, 403);
      assert.equal((await t.call('GET', '/v1/status?account_id=acct-b')).body.queue.by_status.scheduled ?? 0, 0);
    });

    it("an operator reads one account's ledger with ?account_id=; a tenant cannot", async () => {
      for (const path of ['/v1/messages', '/v1/inbound', '/v1/masks', '/v1/opt-outs', '/v1/relays', '/v1/relay-rules', '/v1/keys', '/v1/numbers']) {
        assert.equal((await t.call('GET', `${path}?account_id=acct-a`, undefined, as(bKey))).status, 403, path);
      }
      const msgs = await t.call('GET', '/v1/messages?account_id=acct-a');
      assert.ok(msgs.body.data.some((m: { id: string }) => m.id === ids.message));
      for (const m of msgs.body.data) assert.equal((await t.app.ctx.store.getMessage('acct-a', m.id))?.account_id, 'acct-a');
      assert.equal((await t.call('GET', `/v1/messages/${ids.message}`)).status, 200, 'an operator looks up any message by id');
      assert.equal((await t.call('GET', '/v1/opt-outs?account_id=acct-a')).body.data[0].number, A_OPTED_OUT);
      assert.equal((await t.call('GET', '/v1/masks?account_id=acct-a')).body.data[0].id, ids.mask);
      assert.equal((await t.call('GET', '/v1/messages')).body.data.length, 0, "the operator's own account has sent nothing");
    });

    it('every list pages with limit and cursor, and refuses a cursor it did not hand out', async () => {
      const lists = routes.filter((r) => r.method === 'GET' && r.scope && !r.url.includes(':') && r.paged);
      assert.ok(lists.length >= 10, `${lists.length} paged lists`);
      for (const r of lists) {
        const res = await t.call('GET', `${r.url}?cursor=bm90LWEtY3Vyc29y`);
        assert.equal(res.status, 400, `${r.url}: ${res.status}`);
        assert.equal(res.body.error.code, 'invalid_cursor', r.url);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: { number: string }[]; next_cursor: string | null } } = await t.call('GET', `/v1/numbers?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.body.data.length <= 2);
        seen.push(...page.body.data.map((n) => n.number));
        cursor = page.body.next_cursor;
      } while (cursor);
      const all = (await t.app.ctx.store.listNumbers()).map((n) => n.number).sort();
      assert.deepEqual(seen, all, 'pages cover every number once, in order');
    });
  });
}

isolationSuite('SQLite', {});
isolationSuite('PostgreSQL', { skip: pgSkip, postgres: true });
