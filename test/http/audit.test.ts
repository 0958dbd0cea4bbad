// The audit log as operators and account admins read it: every kind of configuration
// change, from the API, the dashboard, the CLI and `switchboard apply`, with its actor,
// request and diff, never a secret; an account admin sees only its account; a row edited
// in the database fails `switchboard audit verify`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { ADMIN_KEY, startApp, type TestApp } from '../helpers/app.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

interface Entry { id: string; seq: number; account_id: string | null; actor: { kind: string; id: string | null; name: string | null }; request_id: string | null; object: string; object_id: string; action: string; changed: string[]; before: any; after: any }

describe('audit log', () => {
  let t: TestApp;
  let acme: { id: string; secret: string; webhook_secret: string };
  const secrets: string[] = [];
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: t.dataDir } });
  const asAcme = (method: string, path: string, body?: unknown) => t.call(method, path, body, { authorization: `Bearer ${acme.secret}` });
  const audit = async (query = '', as = ADMIN_KEY): Promise<Entry[]> => {
    const r = await t.call('GET', `/v1/audit${query}`, undefined, { authorization: `Bearer ${as}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const s of secrets) assert.ok(!JSON.stringify(r.body).includes(s), 'no secret in the audit log');
    return r.body.data;
  };

  before(async () => {
    t = await startApp();
    const made = await t.call('POST', '/v1/keys', { name: 'acme-admin', account_id: 'acme', scopes: ['admin'] });
    assert.equal(made.status, 201);
    acme = made.body;
    secrets.push(acme.secret, acme.webhook_secret);
  });
  after(async () => { await t.stop(); });

  it('records an operator\'s changes with the key, the request and the object before and after', async () => {
    const created = await t.call('POST', '/v1/providers', { id: 'aud-sim', kind: 'simulator', priority: 3 });
    assert.equal(created.status, 201);
    const requestId = created.headers.get('x-request-id');
    assert.ok(requestId);
    assert.equal((await t.call('POST', '/v1/providers', { id: 'aud-sim', kind: 'simulator', priority: 4 })).status, 201);
    assert.equal((await t.call('POST', '/v1/numbers', { number: '+14155550177', provider_id: 'aud-sim', account_id: 'acme' })).status, 201);
    assert.equal((await t.call('POST', '/v1/country-rules', { country: 'DE', require_local: true })).status, 201);
    assert.equal((await t.call('POST', '/v1/route-rules', { match: '+4915', providers: ['aud-sim'] })).status, 201);
    const [update, create] = await audit('?object=provider&object_id=aud-sim');
    assert.deepEqual([create.action, create.actor.kind, create.request_id, create.before, create.after.priority], ['create', 'key', requestId, null, 3]);
    assert.deepEqual([update.action, update.changed.includes('priority'), update.before.priority, update.after.priority], ['update', true, 3, 4]);
    const objects = new Set((await audit()).map((e) => e.object));
    for (const o of ['api_key', 'account', 'provider', 'number', 'country_rule', 'route_rule']) assert.ok(objects.has(o), `${o} is audited`);
  });

  it('records an account admin\'s changes as its key, and shows it only its account\'s entries', async () => {
    assert.equal((await asAcme('POST', '/v1/templates', { id: 'otp', body: 'Your code is {code}' })).status, 201);
    assert.equal((await asAcme('POST', '/v1/relay-rules', { number: '+14155550177', destinations: ['+14155550100'] })).status, 201);
    const link = await asAcme('POST', '/v1/tracking-links', { job_id: 'job-1' });
    assert.equal(link.status, 201);
    secrets.push(link.body.url.split('/track/')[1]);
    assert.equal((await asAcme('POST', '/v1/opt-outs', { number: '+14155550123' })).status, 201);
    const rotated = await asAcme('POST', `/v1/keys/${acme.id}/rotate-webhook-secret`);
    assert.equal(rotated.status, 200);
    secrets.push(rotated.body.webhook_secret);
    const mine = await audit('', acme.secret);
    assert.ok(mine.length >= 6);
    assert.ok(mine.every((e) => e.account_id === 'acme'), 'only its account');
    assert.ok(!mine.some((e) => e.object === 'provider' || e.object === 'route_rule'), 'not what every account shares');
    const byObject = (o: string) => mine.find((e) => e.object === o)!;
    for (const o of ['template', 'relay_rule', 'tracking_link', 'opt_out']) assert.deepEqual([byObject(o).actor.kind, byObject(o).actor.id], ['key', acme.id], o);
    const rotation = mine.find((e) => e.object === 'api_key' && e.action === 'update')!;
    assert.ok(rotation.changed.includes('webhook_secret'));
    assert.equal(rotation.after.webhook_secret, '[redacted]');
    assert.equal((await asAcme('GET', '/v1/audit?account_id=default')).status, 403);
    assert.equal((await asAcme('GET', '/v1/audit/verify')).status, 403);
    const page = await asAcme('GET', '/v1/audit?limit=2');
    const next = await asAcme('GET', `/v1/audit?limit=2&cursor=${page.body.next_cursor}`);
    assert.ok(next.body.data[0].seq < page.body.data[1].seq, 'pages go back in time');
    assert.equal((await asAcme('GET', '/v1/audit?cursor=bm9wZQ')).body.error.code, 'invalid_cursor');
  });

  it('records a dashboard session\'s change as the dashboard, with the diff', async () => {
    const login = await fetch(`${t.url}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: acme.secret }) });
    const { csrf } = await login.json() as { csrf: string };
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const res = await fetch(`${t.url}/v1/templates`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ id: 'otp', body: 'Code: {code}' }) });
    assert.equal(res.status, 201);
    const [latest] = await audit('?object=template&object_id=otp', acme.secret);
    assert.deepEqual([latest.actor.kind, latest.actor.id, latest.actor.name], ['dashboard', acme.id, 'acme-admin']);
    assert.deepEqual([latest.before.body, latest.after.body, latest.after.version], ['Your code is {code}', 'Code: {code}', 2]);
  });

  it('records the CLI and apply as the OS user, and verify catches a row edited in the database', async () => {
    const made = JSON.parse((await cli('keys', 'create', 'from-cli', '--account', 'acme', '--json')).stdout);
    secrets.push(made.secret, made.webhook_secret);
    const file = join(t.dataDir, 'records.json');
    writeFileSync(file, JSON.stringify({ providers: [{ id: 'aud-applied', kind: 'simulator', config: {} }] }));
    await cli('apply', file);
    const user = userInfo().username;
    const [key] = await audit(`?object=api_key&object_id=${made.id}`);
    assert.deepEqual([key.actor.kind, key.actor.id, key.actor.name], ['cli', user, 'switchboard keys']);
    const [applied] = await audit('?object=provider&object_id=aud-applied');
    assert.deepEqual([applied.actor.kind, applied.actor.id], ['apply', user]);
    assert.deepEqual((await audit(`?actor=${user}`)).map((e) => e.object).sort(), ['api_key', 'provider']);

    const ok = await t.call('GET', '/v1/audit/verify');
    assert.deepEqual([ok.body.ok, ok.body.problems], [true, []]);
    assert.match((await cli('audit', 'verify')).stdout, /^ok: \d+ entries/);
    // Someone with the database file rewrites what an entry says.
    const store = new SqliteStore(join(t.dataDir, 'switchboard.db'));
    try {
      await store.db.updateTable('audit_log').set({ after: '{"priority":1}' }).where('object_id', '=', 'aud-sim').where('action', '=', 'update').execute();
    } finally { await store.close(); }
    await assert.rejects(cli('audit', 'verify'), (e: { code: number; stdout: string }) => e.code === 1 && /BROKEN/.test(e.stdout) && /edited after it was written/.test(e.stdout));
    const broken = await t.call('GET', '/v1/audit/verify');
    assert.equal(broken.body.ok, false);
  });
});
