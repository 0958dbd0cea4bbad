// The TypeScript client (clients/typescript) against a real server: its types were
// generated from this API's document (and this fails when the document has changed since:
// run `npm run client:generate`), it sends with an idempotency key, waits for a final
// status, verifies a callback's signature, pages through a list, and throws the API's
// error code.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ADMIN_KEY, startApp, eventually, type TestApp } from './helpers/app.ts';

const run = promisify(execFile);
import { callbackReceiver } from './helpers/net.ts';
import { createSwitchboard, pages, send, SwitchboardError, verifyCallback, waitForFinal, type Switchboard } from '../clients/typescript/src/index.ts';

describe('TypeScript client', () => {
  let t: TestApp;
  let hooks: Awaited<ReturnType<typeof callbackReceiver>>;
  let client: Switchboard;
  let webhookSecret: string;
  before(async () => {
    hooks = await callbackReceiver();
    t = await startApp({ callbackAllowlist: ['127.0.0.1'] });
    const key = await t.call('POST', '/v1/keys', { name: 'client', scopes: ['send', 'read'], callback_url: hooks.url });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    webhookSecret = key.body.webhook_secret;
    client = createSwitchboard({ baseUrl: t.url, apiKey: key.body.secret });
  });
  after(async () => { await t.stop(); await hooks.close(); });

  it('was generated from the API as it is now', async () => {
    const live = (await t.call('GET', '/docs/json', undefined, { authorization: '' })).body;
    const committed = JSON.parse(readFileSync(join(import.meta.dirname, '../clients/typescript/openapi.json'), 'utf8'));
    assert.deepEqual(live, committed, 'the API changed: run `npm run client:generate` and commit clients/typescript');
  });

  it('sends with an idempotency key, waits for the final status, and verifies the callback', async () => {
    const first = await send(client, { to: '+14155550161', body: 'Hello from the client' }, { idempotencyKey: 'client-1' });
    const again = await send(client, { to: '+14155550161', body: 'Hello from the client' }, { idempotencyKey: 'client-1' });
    assert.equal(again.id, first.id, 'the same key: the same message');
    const done = await waitForFinal(client, first.id, { timeoutMs: 15_000, intervalMs: 50 });
    assert.equal(done.status, 'delivered');
    const cb = await eventually(async () => hooks.received.find((r) => r.body.includes(first.id) && r.body.includes('delivered')), 15_000, 'the delivered callback');
    assert.equal(verifyCallback(webhookSecret, cb.headers, cb.body), true);
    assert.equal(verifyCallback(webhookSecret, cb.headers, cb.body.replace('delivered', 'failed')), false, 'a changed body');
    assert.equal(verifyCallback(webhookSecret, cb.headers, cb.body, { now: Date.now() + 3_600_000 }), false, 'too old');
    assert.equal(verifyCallback(`whsec_${Buffer.from('another').toString('base64')}`, cb.headers, cb.body), false, 'another secret');
  });

  it('builds to the JavaScript its package publishes, which works the same', async () => {
    // Inside the repository, so its import of openapi-fetch resolves as a package's would.
    const out = mkdtempSync(join(import.meta.dirname, '../clients/typescript/.build-'));
    try {
      await run(process.execPath, [join(import.meta.dirname, '../node_modules/typescript/bin/tsc'), '-p', join(import.meta.dirname, '../clients/typescript/tsconfig.json'), '--outDir', out]);
      const built = await import(join(out, 'index.js')) as typeof import('../clients/typescript/src/index.ts');
      const js = built.createSwitchboard({ baseUrl: t.url, apiKey: ADMIN_KEY });
      const m = await built.send(js, { to: '+14155550169', body: 'from the built client' });
      assert.equal((await built.waitForFinal(js, m.id, { timeoutMs: 15_000, intervalMs: 50 })).status, 'delivered');
    } finally { rmSync(out, { recursive: true, force: true }); }
  });

  it('pages through a list and throws the API\'s error code', async () => {
    for (const n of [2, 3]) await send(client, { to: `+1415555016${n}`, body: `n${n}` });
    const seen: string[] = [];
    for await (const m of pages<{ id: string }>(client, '/v1/messages', { limit: 1 })) seen.push(m.id);
    const all = (await t.call('GET', '/v1/messages?limit=200')).body.data.map((m: { id: string }) => m.id);
    assert.ok(all.length >= 3);
    assert.deepEqual(seen, all, 'every message of the account, once, newest first');
    await assert.rejects(send(client, { to: 'not a number', body: 'x' }), (e: SwitchboardError) => e instanceof SwitchboardError && e.status === 400 && e.code === 'invalid_phone_number' && e.field === 'to');
  });
});
