// Issue 29's hardening: who may speak for the client (X-Forwarded-*), the admin key a
// server reachable from other machines must have, and failed sign-ins (locked out, counted, alerted).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/app.ts';
import { ConfigError, loadConfig, trustProxyOption, weakAdminKey } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { ADMIN_KEY, eventually, startApp, type TestApp } from '../helpers/app.ts';
import { callbackReceiver } from '../helpers/net.ts';
import { tempDir } from '../helpers/stores.ts';

async function signInCookie(t: TestApp, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${t.url}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ api_key: ADMIN_KEY }) });
  assert.equal(res.status, 200);
  return res.headers.get('set-cookie') ?? '';
}

describe('forwarded headers', () => {
  const apps: TestApp[] = [];
  after(async () => { for (const a of apps) await a.stop(); });

  it('are ignored unless SWITCHBOARD_TRUST_PROXY names the proxy: a client cannot claim https', async () => {
    const t = await startApp();
    apps.push(t);
    assert.doesNotMatch(await signInCookie(t, { 'x-forwarded-proto': 'https' }), /Secure/);
  });

  it('are believed from a trusted proxy', async () => {
    for (const trustProxy of ['127.0.0.1', '127.0.0.0/8,::1', '1']) {
      const t = await startApp({ trustProxy });
      apps.push(t);
      assert.match(await signInCookie(t, { 'x-forwarded-proto': 'https' }), /; Secure/, trustProxy);
      assert.doesNotMatch(await signInCookie(t, {}), /Secure/, `${trustProxy}: plain http stays plain`);
    }
  });

  it('a malformed SWITCHBOARD_TRUST_PROXY stops the start with a clear error', () => {
    assert.equal(trustProxyOption({ trustProxy: 'off' }), false);
    assert.deepEqual(trustProxyOption({ trustProxy: '10.0.0.0/8, 192.168.1.1' }), ['10.0.0.0/8', '192.168.1.1']);
    for (const bad of ['yes', '10.0.0.0/40', '10.0.0.300', '0', 'fd00::/200']) {
      assert.throws(() => loadConfig({ SWITCHBOARD_TRUST_PROXY: bad }), (e: Error) => e instanceof ConfigError && /SWITCHBOARD_TRUST_PROXY/.test(e.message), bad);
    }
  });
});

describe('admin key', () => {
  it('a server listening beyond this machine refuses a short admin key, and says how to fix it without showing the key', async () => {
    const dir = tempDir();
    const config = loadConfig({}, { port: 0, host: '0.0.0.0', dataDir: dir.path, adminKey: 'dev-admin-key', logLevel: 'silent', simulator: 'on' });
    const app = await createApp(config, { logger: createLogger('silent') });
    await assert.rejects(app.start(), (e: Error) => e instanceof ConfigError && /at least 24 characters/.test(e.message) && /HOST=127\.0\.0\.1/.test(e.message) && !e.message.includes('dev-admin-key'));
    await app.stop();
    dir.remove();
  });

  it('loopback, a long key, or no key at all may start', () => {
    assert.equal(weakAdminKey({ host: '127.0.0.1', adminKey: 'dev-admin-key' }), null);
    assert.equal(weakAdminKey({ host: '::1', adminKey: 'short' }), null);
    assert.equal(weakAdminKey({ host: '0.0.0.0', adminKey: 'x'.repeat(24) }), null);
    assert.equal(weakAdminKey({ host: '0.0.0.0', adminKey: '' }), null);
    assert.match(weakAdminKey({ host: '::', adminKey: 'x'.repeat(23) }) ?? '', /23 characters/);
  });
});

describe('failed sign-ins', () => {
  let t: TestApp;
  after(async () => { await t?.stop(); });

  it('lock an address out of dashboard sign-in after 10, the right key too, not out of the API; every failure is counted', async () => {
    t = await startApp();
    const login = (key: string) => fetch(`${t.url}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: key }) });
    for (let i = 0; i < 10; i++) assert.equal((await login(`wrong-${i}`)).status, 401);
    const locked = await login(ADMIN_KEY);
    assert.equal(locked.status, 429);
    assert.equal(((await locked.json()) as { error: { code: string } }).error.code, 'rate_limited');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'says when to try again');
    assert.equal((await t.call('GET', '/v1/messages?limit=1')).status, 200, 'the API still answers a good key from there');
    assert.equal((await t.call('GET', '/v1/messages?limit=1', undefined, { authorization: 'Bearer not-a-key' })).status, 401);
    const metrics = (await t.call('GET', '/metrics')).body as string;
    assert.match(metrics, /switchboard_auth_failures_total\{channel="dashboard"\} 10/);
    assert.match(metrics, /switchboard_auth_failures_total\{channel="dashboard_locked_out"\} 1/);
    assert.match(metrics, /switchboard_auth_failures_total\{channel="bearer"\} 1/);
  });

  it('spiking, fire the sign_in_failures alert once, which resolves when the window is quiet again', async () => {
    const hooks = await callbackReceiver();
    const spiked = await startApp({ alertSignInFailures: 5, alertWindowMs: 4_000, alertCheckMs: 50, alertWebhookUrl: hooks.url });
    try {
      for (let i = 0; i < 6; i++) assert.equal((await spiked.call('GET', '/v1/messages', undefined, { authorization: `Bearer wrong-${i}` })).status, 401);
      const alerts = () => hooks.received.map((r) => JSON.parse(r.body) as { type: string; data: { rule: string; detail: string } }).filter((a) => a.data.rule === 'sign_in_failures');
      const [firing] = await eventually(async () => { const a = alerts(); return a.length > 0 ? a : undefined; }, 10_000, 'the alert');
      assert.equal(firing.type, 'alert.firing');
      assert.match(firing.data.detail, /6 failed sign-ins/);
      await eventually(async () => alerts().some((a) => a.type === 'alert.resolved'), 20_000, 'resolved once the window passed');
      assert.deepEqual(alerts().map((a) => a.type), ['alert.firing', 'alert.resolved'], 'one episode, one notice each way');
    } finally { await spiked.stop(); await hooks.close(); }
  });
});
