// Bulk sends through the API: validated whole (every bad recipient named, nothing stored),
// accepted as one with per-recipient variables, refused recipients kept on the batch,
// progress by status, what did not make it as CSV, and a retry with the same
// Idempotency-Key sending nothing twice.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { parseCsv } from '../../src/domain/csv.ts';

describe('batches', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
    assert.equal((await t.call('POST', '/v1/templates', { id: 'shift', body: 'Hi {name}, your shift starts at {time}' })).status, 201);
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: '+14155550303' })).status, 201);
  });
  after(async () => { await t.stop(); });

  const recipients = [
    { to: '+14155550301', variables: { name: 'Ana', time: '07:00' }, metadata: { employee: 'e1' } },
    { to: '+14155550302', variables: { name: 'Ben', time: '08:00' } },
    { to: '+14155550303', variables: { name: 'Cy', time: '09:00' } },
  ];

  it('refuses a batch with bad recipients as a whole, naming each, storing nothing', async () => {
    const bad = await t.call('POST', '/v1/batches', { template: 'shift', recipients: [recipients[0], { to: '12', variables: { name: 'X', time: '1' } }, { to: '+14155550309', variables: { name: 'Y' } }] });
    assert.deepEqual([bad.status, bad.body.error.code], [422, 'batch_invalid']);
    assert.deepEqual(bad.body.error.details.map((d: { index: number; code: string }) => [d.index, d.code]), [[1, 'invalid_phone_number'], [2, 'template_variables']]);
    assert.deepEqual((await t.call('GET', '/v1/batches')).body.data, []);
    assert.equal((await t.call('GET', '/v1/messages?to=%2B14155550301')).body.data.length, 0);
  });

  it('accepts a batch as one, sends each its own text, and shows its progress', async () => {
    const res = await t.call('POST', '/v1/batches', { template: 'shift', recipients, metadata: { roster: 'week-49' } }, { 'idempotency-key': 'roster-49' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual([res.body.total, res.body.accepted, res.body.refused], [3, 2, 1]);
    const id = res.body.id;
    const done = await eventually(async () => { const b = (await t.call('GET', `/v1/batches/${id}`)).body; return b.done === 3 ? b : undefined; }, 15_000, 'the batch done');
    assert.deepEqual(done.by_status, { delivered: 2 });
    const [ana] = (await t.call('GET', '/v1/messages?to=%2B14155550301')).body.data;
    assert.equal(ana.body, 'Hi Ana, your shift starts at 07:00');
    assert.deepEqual(ana.metadata, { roster: 'week-49', employee: 'e1' });
    assert.equal(ana.priority, 'bulk');

    const again = await t.call('POST', '/v1/batches', { template: 'shift', recipients, metadata: { roster: 'week-49' } }, { 'idempotency-key': 'roster-49' });
    assert.equal(again.body.id, id, 'the same batch');
    assert.equal((await t.call('GET', '/v1/messages?to=%2B14155550301')).body.data.length, 1, 'nothing sent twice');
    const other = await t.call('POST', '/v1/batches', { body: 'Different', recipients: recipients.map((r) => ({ to: r.to })) }, { 'idempotency-key': 'roster-49' });
    assert.equal(other.body.error.code, 'idempotency_conflict');

    const csv = await t.call('GET', `/v1/batches/${id}/failures`);
    const [header, ...rows] = parseCsv(csv.body as string);
    assert.deepEqual(header, ['to', 'message_id', 'status', 'code', 'message', 'metadata']);
    assert.deepEqual(rows.map((r) => [r[0], r[2], r[3]]), [["'+14155550303", 'refused', 'recipient_opted_out']]);
    assert.deepEqual((await t.call('GET', '/v1/batches')).body.data.map((b: { id: string }) => b.id), [id]);
  });

  it('takes 10,000 recipients in one request', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ to: `+1415${String(5_000_000 + i).padStart(7, '0')}` }));
    const res = await t.call('POST', '/v1/batches', { body: 'Service notice: maintenance tonight', recipients: many });
    assert.equal(res.status, 202, JSON.stringify(res.body).slice(0, 300));
    assert.deepEqual([res.body.total, res.body.accepted], [10_000, 10_000]);
    const counts = await t.app.ctx.store.batchCounts(res.body.id);
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 10_000);
    assert.equal((await t.call('GET', `/v1/batches/${res.body.id}`, undefined, { authorization: 'Bearer nope' })).status, 401);
  });
});
