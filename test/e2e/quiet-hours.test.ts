// Quiet hours end to end: a marketing message outside the account's send window (in the
// recipient's local time, found from the number) is held — scheduled, with the reason and
// when it opens — and sent once it opens; transactional messages are exempt unless the
// account says otherwise; a message's own window and time zone win. The clock reaching
// the opening is played in the database: the held message's due time moved to now and its
// stored window made open now — what the worker reads, as the real clock would make them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import type { BaseStore } from '../../src/store/base-store.ts';

const NEW_YORK = '+12125550123';
const hhmm = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
const hourIn = (zone: string) => Number(new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(new Date()));

describe('quiet hours', () => {
  let t: TestApp;
  // A window that is closed now in New York: it opens in two hours.
  const h = hourIn('America/New_York');
  const closed = { start: hhmm(h + 2), end: hhmm(h + 3) };
  before(async () => { t = await startApp(); });
  after(async () => { await t.stop(); });

  it('holds a marketing message outside the account\'s window and sends it when the window opens', async () => {
    const set = await t.call('POST', '/v1/account/settings', { send_window: closed });
    assert.deepEqual(set.body.send_window, closed);
    const res = await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Sale today', category: 'marketing' });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'scheduled');
    assert.equal(res.body.error.code, 'quiet_hours');
    assert.match(res.body.error.message, new RegExp(`${closed.start}–${closed.end} in America/New_York`));
    const opens = Date.parse(res.body.send_at);
    assert.ok(opens > Date.now() + 3_500_000 && opens <= Date.now() + 2 * 3_600_000, `opens in about two hours: ${res.body.send_at}`);
    // The clock reaches the opening: the message is due now, and now is inside its window
    // (the worker checks the window again when it sends).
    const openNow = JSON.stringify({ start: hhmm(h - 1), end: hhmm(h + 2), zones: ['America/New_York'] });
    await (t.app.ctx.store as unknown as BaseStore).db.updateTable('messages').set({ next_attempt_at: Date.now(), send_window: openNow }).where('id', '=', res.body.id).execute();
    t.app.worker?.wake();
    const sent = await eventually(async () => { const m = (await t.call('GET', `/v1/messages/${res.body.id}`)).body; return m.status === 'delivered' ? m : undefined; }, 10_000, 'the held message delivered');
    assert.equal(sent.error, null);
  });

  it('holds again a message whose window closed while it waited (a backlog), using no attempt', async () => {
    const open = { start: hhmm(h - 1), end: hhmm(h + 2) };
    const res = await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Late', category: 'marketing', send_window: open, send_at: new Date(Date.now() + 2_000).toISOString() });
    assert.deepEqual([res.body.status, res.body.error], ['scheduled', null], 'due inside its window');
    // The clock passes the window's end before the worker gets to it.
    const db = (t.app.ctx.store as unknown as BaseStore).db;
    const r = await db.updateTable('messages').set({ send_window: JSON.stringify({ ...closed, zones: ['America/New_York'] }) }).where('id', '=', res.body.id).executeTakeFirst();
    assert.equal(Number(r.numUpdatedRows), 1);
    const held = await eventually(async () => { const m = (await t.call('GET', `/v1/messages/${res.body.id}`)).body; return m.error?.code === 'quiet_hours' ? m : undefined; }, 15_000, 'held again');
    assert.equal(held.status, 'scheduled');
    assert.ok(Date.parse(held.next_attempt_at) > Date.now() + 3_500_000, `until the window opens: ${held.next_attempt_at}`);
    assert.equal(held.attempts_count, 0);
  });

  it('lets transactional messages through unless the account keeps them to the window', async () => {
    assert.equal((await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Your code is 1234' })).body.status, 'queued');
    await t.call('POST', '/v1/account/settings', { send_window_transactional: true });
    const held = await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Your code is 1234' });
    assert.deepEqual([held.body.status, held.body.error.code], ['scheduled', 'quiet_hours']);
    await t.call('POST', '/v1/account/settings', { send_window_transactional: false });
  });

  it('a message\'s own window and time zone win over the account\'s', async () => {
    const open = { start: hhmm(h - 1), end: hhmm(h + 2) };
    assert.equal((await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Now', category: 'marketing', send_window: open })).body.status, 'queued');
    const tokyo = hourIn('Asia/Tokyo');
    const byTz = await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Tokyo time', send_window: { start: hhmm(tokyo + 2), end: hhmm(tokyo + 3) }, tz: 'Asia/Tokyo' });
    assert.equal(byTz.body.status, 'scheduled');
    assert.match(byTz.body.error.message, /in Asia\/Tokyo/);
    const bad = await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'x', send_window: { start: '25:00', end: '08:00' } });
    assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.field], [400, 'validation_error', 'send_window']);
    assert.equal((await t.call('POST', '/v1/account/settings', { send_window: { start: '8', end: '9' } })).body.error.field, 'send_window');
    const cleared = await t.call('POST', '/v1/account/settings', { send_window: null });
    assert.equal(cleared.body.send_window, null);
    assert.equal((await t.call('POST', '/v1/messages', { to: NEW_YORK, body: 'Any time', category: 'marketing' })).body.status, 'queued');
  });
});
