// The public contract of /v1/messages and /v1/keys over real HTTP (DESIGN.md §4).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, startApp, type TestApp } from '../helpers/app.ts';

describe('messages API', () => {
  let t: TestApp;
  let sendKey: string;
  let readKey: string;
  before(async () => {
    // A scheduled far-away send time keeps these messages out of the worker's way.
    t = await startApp();
    sendKey = (await t.call('POST', '/v1/keys', { name: 'sender', scopes: ['send'] })).body.secret;
    readKey = (await t.call('POST', '/v1/keys', { name: 'reader', scopes: ['read'] })).body.secret;
  });
  after(async () => { await t.stop(); });

  const later = () => new Date(Date.now() + 24 * 3600_000).toISOString();

  it('accepts a message with 202 and shows encoding, segments and price', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'a'.repeat(161), send_at: later() });
    assert.equal(r.status, 202);
    assert.match(r.body.id, /^msg_/);
    assert.equal(r.body.status, 'scheduled');
    assert.equal(r.body.encoding, 'GSM-7');
    assert.equal(r.body.segments, 2);
    assert.equal(r.body.price, '0.0100');
    assert.equal(r.body.country, 'US');
  });

  it('normalizes a national number given with its country', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '(415) 555-0101', country: 'US', body: 'hi', send_at: later() });
    assert.equal(r.status, 202);
    assert.equal(r.body.to, '+14155550101');
  });

  it('rejects bad input with a clear code and field', async () => {
    const cases: [unknown, number, string, string | undefined][] = [
      [{ to: '12345', body: 'x' }, 400, 'invalid_phone_number', 'to'],
      [{ to: '+14155550100', body: '' }, 400, 'body_empty', 'body'],
      [{ to: '+14155550100', body: 'x'.repeat(1601) }, 400, 'body_too_long', 'body'],
      [{ to: '+14155550100', body: 'x', send_at: 'tomorrow' }, 400, 'invalid_send_at', 'send_at'],
      [{ to: '+14155550100', body: 'x', callback_url: 'ftp://example.com/x' }, 400, 'invalid_callback_url', 'callback_url'],
      [{ to: '+14155550100', body: 'x', callback_url: 'not a url' }, 400, 'invalid_callback_url', 'callback_url'],
      [{ to: '+14155550100', body: 'x', from: '!!' }, 400, 'invalid_sender', 'from'],
      [{ body: 'x' }, 400, 'validation_error', 'to'],
      [{ to: '+14155550100', body: 'x', colour: 'red' }, 400, 'validation_error', 'colour'],
      [{ to: '+14155550100', body: 'x', validity_period: 0 }, 400, 'validation_error', 'validity_period'],
      [{ to: '+14155550100', body: 'half a pair \ud83d here' }, 422, 'invalid_body', 'body'],
      [{ to: '+14155550100', body: '\udc00' }, 422, 'invalid_body', 'body'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await t.call('POST', '/v1/messages', body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.body.error.code, code, JSON.stringify(body));
      assert.equal(r.body.error.field, field, JSON.stringify(body));
      assert.equal(typeof r.body.error.message, 'string');
    }
  });

  it('answers the same message for a repeated Idempotency-Key and 409 for another body', async () => {
    const key = `order-${Date.now()}`;
    const body = { to: '+14155550100', body: 'your code is 1234', send_at: later() };
    const a = await t.call('POST', '/v1/messages', body, { 'idempotency-key': key });
    const b = await t.call('POST', '/v1/messages', body, { 'idempotency-key': key });
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(b.body.id, a.body.id);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
    const c = await t.call('POST', '/v1/messages', { ...body, body: 'another text' }, { 'idempotency-key': key });
    assert.equal(c.status, 409);
    assert.equal(c.body.error.code, 'idempotency_conflict');
  });

  it('concurrent requests with one Idempotency-Key create one message', async () => {
    const key = `burst-${Date.now()}`;
    const body = { to: '+14155550100', body: 'once', send_at: later() };
    const rs = await Promise.all(Array.from({ length: 20 }, () => t.call('POST', '/v1/messages', body, { 'idempotency-key': key })));
    assert.equal(new Set(rs.map((r) => r.body.id)).size, 1);
    assert.ok(rs.every((r) => r.status === 202));
  });

  it('needs a key (401) and the right scope (403)', async () => {
    const none = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'x' }, { authorization: '' });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    const wrong = await t.call('GET', '/v1/messages', undefined, { authorization: 'Bearer sk_wrong' });
    assert.equal(wrong.status, 401);
    const readOnly = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'x' }, { authorization: `Bearer ${readKey}` });
    assert.equal(readOnly.status, 403);
    assert.equal(readOnly.body.error.code, 'forbidden');
    const sendOnly = await t.call('GET', '/v1/messages', undefined, { authorization: `Bearer ${sendKey}` });
    assert.equal(sendOnly.status, 403);
    const notAdmin = await t.call('POST', '/v1/keys', { name: 'x' }, { authorization: `Bearer ${sendKey}` });
    assert.equal(notAdmin.status, 403);
  });

  it('a revoked key stops working and secrets are never listed', async () => {
    const created = await t.call('POST', '/v1/keys', { name: 'temp', scopes: ['read'] });
    assert.equal(created.status, 201);
    assert.match(created.body.secret, /^sk_/);
    const list = await t.call('GET', '/v1/keys');
    assert.ok(list.body.data.some((k: { id: string }) => k.id === created.body.id));
    assert.ok(!JSON.stringify(list.body).includes(created.body.secret));
    assert.ok(!JSON.stringify(list.body).includes('hash'));
    assert.equal((await t.call('GET', '/v1/messages', undefined, { authorization: `Bearer ${created.body.secret}` })).status, 200);
    const rotated = await t.call('POST', `/v1/keys/${created.body.id}/rotate-webhook-secret`);
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.webhook_secret, /^whsec_/);
    assert.notEqual(rotated.body.webhook_secret, created.body.webhook_secret);
    assert.equal((await t.app.ctx.store.getApiKey(created.body.id))?.webhook_secret, rotated.body.webhook_secret);
    assert.equal((await t.call('DELETE', `/v1/keys/${created.body.id}`)).status, 200);
    assert.equal((await t.call('GET', '/v1/messages', undefined, { authorization: `Bearer ${created.body.secret}` })).status, 401);
  });

  it('keeps accounts apart: another account sees 404 for my message', async () => {
    const other = (await t.call('POST', '/v1/keys', { name: 'team-b', account_id: 'team_b', scopes: ['send', 'read'] })).body.secret;
    const mine = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'private', send_at: later() });
    const seen = await t.call('GET', `/v1/messages/${mine.body.id}`, undefined, { authorization: `Bearer ${other}` });
    assert.equal(seen.status, 404);
    assert.equal(seen.body.error.code, 'not_found');
    const list = await t.call('GET', '/v1/messages?limit=200', undefined, { authorization: `Bearer ${other}` });
    assert.ok(!list.body.data.some((m: { id: string }) => m.id === mine.body.id));
    const cancel = await t.call('POST', `/v1/messages/${mine.body.id}/cancel`, undefined, { authorization: `Bearer ${other}` });
    assert.equal(cancel.status, 404);
  });

  it('lists with filters and walks pages with the cursor', async () => {
    const tag = `run-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.call('POST', '/v1/messages', { to: '+14155550102', body: `n${i}`, metadata: { batch: tag, i: String(i) }, send_at: later() })).body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { data: { id: string }[]; next_cursor: string | null } } = await t.call('GET', `/v1/messages?limit=2&metadata.batch=${tag}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.body.data.map((m) => m.id));
      cursor = r.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const one = await t.call('GET', `/v1/messages?metadata.batch=${tag}&metadata.i=3`);
    assert.deepEqual(one.body.data.map((m: { id: string }) => m.id), [ids[3]]);
    assert.equal((await t.call('GET', `/v1/messages?to=%2B14155550102&status=scheduled&limit=200`)).body.data.length >= 5, true);
    assert.equal((await t.call('GET', '/v1/messages?cursor=garbage')).body.error.code, 'invalid_cursor');
    assert.equal((await t.call('GET', '/v1/messages?status=bogus')).status, 400);
  });

  it('cancels a scheduled message and refuses to cancel twice', async () => {
    const m = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'later', send_at: later() });
    const c = await t.call('POST', `/v1/messages/${m.body.id}/cancel`);
    assert.equal(c.status, 200);
    assert.equal(c.body.status, 'canceled');
    const again = await t.call('POST', `/v1/messages/${m.body.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'message_not_cancelable');
  });

  it('serves health, readiness, metrics and the OpenAPI document without a key', async () => {
    assert.equal((await t.call('GET', '/healthz', undefined, { authorization: '' })).status, 200);
    assert.equal((await t.call('GET', '/readyz', undefined, { authorization: '' })).body.status, 'ready');
    const metrics = await t.call('GET', '/metrics', undefined, { authorization: '' });
    assert.match(metrics.body, /switchboard_messages_accepted_total \d+/);
    assert.match(metrics.body, /switchboard_queue_depth/);
    const doc = await t.call('GET', '/docs/json', undefined, { authorization: '' });
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/v1/messages'].post);
    assert.ok(doc.body.paths['/v1/messages/{id}/cancel']);
  });

  it('unknown routes answer 404 in the error format', async () => {
    const r = await t.call('GET', '/v1/nope');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'not_found');
  });
});

describe('CORS', () => {
  it('gives an allowed origin the CORS headers (preflight and request) and another origin none', async () => {
    const t = await startApp({ corsOrigins: ['https://dispatch.example.com'] });
    try {
      const preflight = (origin: string) => fetch(`${t.url}/v1/messages`, {
        method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      const ok = await preflight('https://dispatch.example.com');
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://dispatch.example.com');
      assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(ok.headers.get('access-control-allow-headers') ?? '', /authorization/);
      const other = await preflight('https://evil.example.net');
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      assert.equal(other.headers.get('access-control-allow-methods'), null);
      const sent = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'from a browser' }, { origin: 'https://dispatch.example.com' });
      assert.equal(sent.status, 202);
      assert.equal(sent.headers.get('access-control-allow-origin'), 'https://dispatch.example.com');
      const refused = await t.call('GET', '/v1/status', undefined, { origin: 'https://evil.example.net' });
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
    } finally {
      await t.stop();
    }
  });
});

describe('request edges', () => {
  let t: TestApp;
  before(async () => { t = await startApp(); });
  after(async () => { await t.stop(); });
  const later = () => new Date(Date.now() + 24 * 3600_000).toISOString();

  it('takes an empty JSON body as no body where none is needed, and says so where one is', async () => {
    const m = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'cancel me', send_at: later() });
    const raw = (method: string, path: string) => fetch(t.url + path, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '' });
    const cancel = await raw('POST', `/v1/messages/${m.body.id}/cancel`);
    assert.equal(cancel.status, 200, await cancel.clone().text());
    assert.equal(((await cancel.json()) as { status: string }).status, 'canceled');
    assert.equal((await raw('DELETE', '/v1/masks/msk_01JD5Z9Q8M0000000000000000')).status, 404, 'no such session, but the body was fine');
    const send = await raw('POST', '/v1/messages');
    assert.equal(send.status, 400);
    assert.equal(((await send.json()) as { error: { code: string } }).error.code, 'validation_error');
    const broken = await fetch(t.url + '/v1/messages', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{"to":' });
    assert.equal(broken.status, 400);
  });

  it('refuses a callback_url that could never be signed, and stores nothing', async () => {
    const unsigned = await startApp({ webhookSecret: '' });
    try {
      const r = await unsigned.call('POST', '/v1/messages', { to: '+14155550100', body: 'x', callback_url: 'https://example.com/hook' });
      assert.equal(r.status, 422);
      assert.deepEqual([r.body.error.code, r.body.error.field], ['callback_not_signable', 'callback_url']);
      assert.equal((await unsigned.call('GET', '/v1/messages')).body.data.length, 0);
      assert.equal((await unsigned.call('POST', '/v1/messages', { to: '+14155550100', body: 'no callback', send_at: later() })).status, 202, 'without a callback the bootstrap key sends as before');
      const key = (await unsigned.call('POST', '/v1/keys', { name: 'app', scopes: ['send'] })).body.secret;
      assert.equal((await unsigned.call('POST', '/v1/messages', { to: '+14155550100', body: 'x', callback_url: 'https://example.com/hook', send_at: later() }, { authorization: `Bearer ${key}` })).status, 202, 'a key signs with its own secret');
    } finally {
      await unsigned.stop();
    }
  });
});
