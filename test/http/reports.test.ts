// Delivery reports: grouped counts by final status, delivery rate, price and latency
// percentiles over an index range, as JSON or CSV; per-minute activity for the dashboard.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, type TestApp } from '../helpers/app.ts';
import { messageRow } from '../helpers/rows.ts';
import { idAt, newId } from '../../src/domain/ids.ts';
import type { MessageRow } from '../../src/store/store.ts';

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

  it('reads settled minutes from their rollup, rolled up once, and gives what the ledger holds', async () => {
    // A ledger of its own: the reports above have rolled up the minutes these rows go back into.
    const t = await startApp();
    after(() => t.stop());
    const acct = `acct_rollup_${newId('msg')}`;
    // An id of the time a message was accepted (ids are time-ordered: accepted counts are id ranges).
    const at = (t: number): Pick<MessageRow, 'id' | 'created_at' | 'next_attempt_at'> => ({ id: idAt('msg', t), created_at: t, next_attempt_at: t });
    const providers = ['p-a', 'p-b', null];
    const statuses = ['delivered', 'delivered', 'undelivered', 'failed', 'expired', 'canceled'] as const;
    const rows: MessageRow[] = [];
    // Final over the last three and a half hours (whole hours, settled minutes and the
    // unsettled last ones), accepted up to a minute before.
    for (let i = 0; i < 130; i++) {
      const final = i < 120 ? now - 210 * 60_000 + i * 100_000 + (i % 7) * 1_000 : now - (i - 119) * 9_000;
      const status = statuses[i % statuses.length];
      rows.push(messageRow({
        ...at(final - 60_000 - (i % 5) * 1_000), account_id: acct, status, provider_id: providers[i % 3], country: i % 4 === 0 ? null : ['US', 'GB'][i % 2],
        price: i % 9 === 0 ? null : `0.0${(i % 90) + 10}7`, sent_at: status === 'canceled' ? null : final - 1_234 - i * 137, final_at: final,
      }));
    }
    const since = now - 215 * 60_000 + 12_345; // not on a minute: the partial first minute comes from the ledger
    const head = Math.ceil(since / 60_000) * 60_000;
    for (const final of [since - 500, since, Math.floor((since + head) / 2)]) {
      rows.push(messageRow({ ...at(final - 3_000), account_id: acct, status: 'delivered', provider_id: 'p-a', country: 'US', price: '0.0101', sent_at: final - 2_500, final_at: final }));
    }
    await t.app.ctx.store.insertMessages(rows.map((row) => ({ row, idempotency: null })));

    // The report as the ledger gives it, row by row (latencies to two significant figures).
    const expected = (keyOf: (r: MessageRow) => string, since: number, until: number) => {
      const groups = new Map<string, MessageRow[]>();
      for (const r of rows.filter((r) => r.final_at! >= since && r.final_at! < until)) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
      const pct = (v: number[], p: number) => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))] : null);
      return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, g]) => {
        const by: Record<string, number> = {};
        for (const r of g) by[r.status] = (by[r.status] ?? 0) + 1;
        const final = g.filter((r) => r.status !== 'canceled').length;
        const micros = g.reduce((a, r) => a + (r.price ? Math.round(Number(r.price) * 1e6) : 0), 0);
        const lat = g.filter((r) => r.status === 'delivered' && r.sent_at !== null).map((r) => Number(((r.final_at! - r.sent_at!) / 1000).toPrecision(2))).sort((a, b) => a - b);
        return { key, total: g.length, by_status: by, delivery_rate: final ? (by.delivered ?? 0) / final : null, price_total: (micros / 1e6).toFixed(4), latency_p50_seconds: pct(lat, 0.5), latency_p95_seconds: pct(lat, 0.95) };
      });
    };
    const path = `/v1/reports/delivery?group_by=provider&account_id=${acct}&since=${new Date(since).toISOString()}&until=${new Date(now).toISOString()}`;
    const want = expected((r) => r.provider_id ?? '(none)', since, now);
    const first = await t.call('GET', path);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.groups, want);
    const settledEnd = Math.floor((now - 120_000) / 60_000) * 60_000;
    const rolled = await t.app.ctx.store.rolledUp('minute', Math.ceil(since / 60_000) * 60_000, settledEnd);
    assert.equal(rolled.length, (settledEnd - Math.ceil(since / 60_000) * 60_000) / 60_000, 'every settled minute of the range is rolled up');
    assert.deepEqual((await t.call('GET', path)).body.groups, want, 'the same answer from the rollup');
    assert.deepEqual((await t.call('GET', path.replace('group_by=provider', 'group_by=country'))).body.groups, expected((r) => r.country ?? '(unknown)', since, now));
    assert.deepEqual((await t.call('GET', path.replace('group_by=provider', 'group_by=day'))).body.groups, expected((r) => new Date(r.final_at!).toISOString().slice(0, 10), since, now));

    // Activity per minute, from the same rollups.
    const act = await t.call('GET', `/v1/reports/activity?minutes=60&account_id=${acct}`);
    const start = Date.parse(act.body.minutes[0].minute); // the server's own first minute (a minute may turn meanwhile)
    const count = (times: number[]) => { const c = new Array(60).fill(0); for (const x of times) { const k = Math.floor((x - start) / 60_000); if (k >= 0 && k < 60) c[k]++; } return c; };
    assert.deepEqual(act.body.minutes.map((m: { accepted: number }) => m.accepted), count(rows.map((r) => r.created_at)));
    assert.deepEqual(act.body.minutes.map((m: { delivered: number }) => m.delivered), count(rows.filter((r) => r.status === 'delivered').map((r) => r.final_at!)));
    assert.deepEqual(act.body.minutes.map((m: { failed: number }) => m.failed), count(rows.filter((r) => !['delivered', 'canceled'].includes(r.status)).map((r) => r.final_at!)));

    // A settled minute is read from its rollup, not from the ledger: a row written into it
    // now (which the product never does: final_at is the time of writing) is not counted.
    const late = messageRow({ ...at(now - 20 * 60_000), account_id: acct, status: 'failed', provider_id: 'p-a', final_at: now - 20 * 60_000 });
    await t.app.ctx.store.insertMessages([{ row: late, idempotency: null }]);
    assert.deepEqual((await t.call('GET', path)).body.groups, want);
  });
});

