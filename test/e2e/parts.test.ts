// Messages in parts end to end: a provider that gives every segment its own id (as
// Vonage and SMPP do; here the simulator with `"parts": "per_segment"`), whose receipts
// come last part first and may race the send answer. The message is delivered only when
// every part is; one undelivered part makes it undelivered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';

const THREE_SEGMENTS = 'x'.repeat(153 * 2 + 10);

describe('a message sent in parts', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
    const p = await t.call('POST', '/v1/providers', { id: 'splitter', kind: 'simulator', config: { parts: 'per_segment', early_receipts: true } });
    assert.equal(p.status, 201, JSON.stringify(p.body));
  });
  after(async () => { await t.stop(); });

  const final = (id: string) => eventually(async () => {
    const m = (await t.call('GET', `/v1/messages/${id}`)).body;
    return m.final_at && m.parts.every((p: { status: string }) => p.status !== 'sent') && m;
  }, 10_000, `${id} and every part of it to reach a final status`);

  it('is delivered once all three parts are, each part with its own provider id', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: THREE_SEGMENTS });
    assert.equal(r.body.segments, 3);
    const m = await final(r.body.id);
    assert.equal(m.status, 'delivered');
    assert.deepEqual(m.parts.map((p: { index: number; status: string }) => [p.index, p.status]), [[0, 'delivered'], [1, 'delivered'], [2, 'delivered']]);
    assert.equal(new Set(m.parts.map((p: { provider_message_id: string }) => p.provider_message_id)).size, 3);
    assert.equal(m.events.length, 3, 'every part\'s receipt is kept');
  });

  it('ends undelivered when one part is, with that part\'s error', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+15005550009', body: THREE_SEGMENTS });
    const m = await final(r.body.id);
    assert.equal(m.status, 'undelivered');
    assert.deepEqual([m.error.code, m.error.provider_code], ['unreachable', '30003']);
    assert.deepEqual(m.parts.map((p: { status: string }) => p.status), ['delivered', 'delivered', 'undelivered']);
  });
});
