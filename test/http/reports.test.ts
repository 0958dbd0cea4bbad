// Delivery reports: grouped counts by final status, delivery rate, price and latency
// percentiles over an index range, as JSON or CSV; per-minute activity for the dashboard.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, type TestApp } from '../helpers/app.ts';
import { messageRow } from '../helpers/rows.ts';

describe('reports', () => {
  let t: TestApp;
  const now = Date.now();
  before(async () => {
    t = await startApp();
    const rows = [
      messageRow({ status: 'delivered', provider_id: 'twilio-a', country: 'US', price: '0.0079', sent_at: now - 60_000, final_at: now - 58_000, metadata: JSON.stringify({ job_id: 'j1' }) }),
      messageRow({ status: 'delivered', provider_id: 'twilio-a', country: 'US', price: '0.0079', sent_at: now - 60_000, final_at: now - 50_000, metadata: JSON.stringify({ job_id: 'j1' }) }),
      messageRow({ status: 'undelivered', provider_id: 'twilio-a', country: 'US', price: '0.0079', sent_at: now - 60_000, final_at: now - 40_000, metadata: JSON.stringify({ job_id: 'j2' }) }),
      messageRow({ status: 'failed', provider_id: 'vonage-b', country: 'GB', price: null, final_at: now - 30_000 }),
      messageRow({ status: 'delivered', provider_id: 'vonage-b', country: 'GB', price: '0.0400', sent_at: now - 3 * 86_400_000, final_at: now - 3 * 86_400_000 + 1_000 }),
      messageRow({ account_id: 'acct-other', status: 'delivered', provider_id: 'twilio-a', country: 'US', price: '0.0079', sent_at: now - 60_000, final_at: now - 59_000 }),
    ];
    await t.app.ctx.store.insertMessages(rows.map((row) => ({ row, idempotency: null })));
  });
  after(async () => { await t.stop(); });

  it('groups the last 24 h by provider: counts, delivery rate, price, latency; one account only', async () => {
    const r = await t.call('GET', '/v1/reports/delivery?group_by=provider&account_id=default');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.groups, [
      { key: 'twilio-a', total: 3, by_status: { delivered: 2, undelivered: 1 }, delivery_rate: 2 / 3, price_total: '0.0237', latency_p50_seconds: 2, latency_p95_seconds: 10 },
      { key: 'vonage-b', total: 1, by_status: { failed: 1 }, delivery_rate: 0, price_total: '0.0000', latency_p50_seconds: null, latency_p95_seconds: null },
    ]);
  });

  it('groups by metadata, by day and by country over a chosen range, and answers CSV', async () => {
    const byJob = (await t.call('GET', '/v1/reports/delivery?group_by=metadata.job_id&account_id=default')).body.groups.map((g: { key: string; total: number }) => [g.key, g.total]);
    assert.deepEqual(byJob, [['(none)', 1], ['j1', 2], ['j2', 1]]);
    const since = new Date(now - 4 * 86_400_000).toISOString();
    const byDay = (await t.call('GET', `/v1/reports/delivery?group_by=day&since=${since}&account_id=default`)).body.groups;
    // (Computed from the rows: just after midnight UTC the recent ones straddle two days.)
    const days = new Set([now - 58_000, now - 50_000, now - 40_000, now - 30_000, now - 3 * 86_400_000 + 1_000].map((t) => new Date(t).toISOString().slice(0, 10)));
    assert.deepEqual(byDay.map((g: { key: string }) => g.key), [...days].sort());
    const csv = await fetch(`${t.url}/v1/reports/delivery?group_by=country&account_id=default`, { headers: { authorization: 'Bearer test-admin-key-not-a-secret', accept: 'text/csv' } });
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.deepEqual((await csv.text()).trim().split('\n'), [
      'country,total,delivered,undelivered,failed,expired,canceled,delivery_rate,price_total,latency_p50_seconds,latency_p95_seconds',
      'GB,1,0,0,1,0,0,0.0000,0.0000,,',
      'US,3,2,1,0,0,0,0.6667,0.0237,2,10',
    ]);
  });

  it('refuses a bad group_by or range with a clear error', async () => {
    for (const q of ['group_by=planet', 'since=yesterday', `since=${new Date(now).toISOString()}&until=${new Date(now - 1000).toISOString()}`, `since=${new Date(now - 200 * 86_400_000).toISOString()}`]) {
      const r = await t.call('GET', `/v1/reports/delivery?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'validation_error');
    }
  });

  it('counts activity per minute', async () => {
    const r = await t.call('GET', '/v1/reports/activity?minutes=5&account_id=default');
    assert.equal(r.body.minutes.length, 5);
    const total = (k: string) => r.body.minutes.reduce((a: number, m: Record<string, number>) => a + m[k], 0);
    assert.equal(total('accepted'), 5, 'the five default-account rows were accepted just now');
    assert.ok(total('delivered') >= 2 && total('failed') >= 1);
  });
});
