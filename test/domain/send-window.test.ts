// Quiet hours on their own: a number's time zones, whether a window is open, and when it
// next opens — across midnight, across a DST change, and for a number in several zones.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOpen, nextOpening, sendWindowOf, timeZoneOf, zonesOf } from '../../src/domain/send-window.ts';
import { AppError } from '../../src/domain/errors.ts';

const day = { start: '08:00', end: '21:00' };
const at = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

describe('send window', () => {
  it('finds a number\'s time zones by its longest prefix', () => {
    assert.deepEqual(zonesOf('+12125550100'), ['America/New_York']);
    assert.deepEqual(zonesOf('+14155550100'), ['America/Los_Angeles']);
    assert.deepEqual(zonesOf('+4915112345678'), ['Europe/Berlin']);
    assert.ok(zonesOf('+15005550011').length > 10, 'a prefix of all North America');
  });

  it('is open inside the window, and answers the next opening outside it', () => {
    assert.equal(nextOpening(day, ['America/New_York'], at('2026-12-07T15:00:00Z')), null, '10:00 in New York');
    assert.equal(iso(nextOpening(day, ['America/New_York'], at('2026-12-07T03:00:00Z'))), '2026-12-07T13:00:00.000Z', '22:00 the evening before → 08:00 EST');
    assert.equal(iso(nextOpening(day, ['America/New_York'], at('2026-12-07T02:00:00Z'))), '2026-12-07T13:00:00.000Z', 'the end is not in the window');
    assert.equal(nextOpening(day, ['America/New_York'], at('2026-12-07T01:59:00Z')), null, 'its last minute is');
  });

  it('crosses midnight when the end is before the start', () => {
    const night = { start: '21:00', end: '08:00' };
    assert.equal(nextOpening(night, ['Europe/Berlin'], at('2026-12-07T23:30:00Z')), null);
    assert.equal(iso(nextOpening(night, ['Europe/Berlin'], at('2026-12-07T12:00:00Z'))), '2026-12-07T20:00:00.000Z');
    assert.ok(isOpen(night, 'Europe/Berlin', at('2026-12-08T05:00:00Z')));
  });

  it('opens at local time on the day the clocks change', () => {
    assert.equal(iso(nextOpening(day, ['Europe/Berlin'], at('2026-03-29T00:30:00Z'))), '2026-03-29T06:00:00.000Z', '08:00 CEST');
    assert.equal(iso(nextOpening(day, ['America/New_York'], at('2026-11-01T05:00:00Z'))), '2026-11-01T13:00:00.000Z', '08:00 EST, after the fall back');
  });

  it('waits for every zone of a number in several, or the first when they never meet', () => {
    assert.equal(iso(nextOpening(day, ['America/New_York', 'America/Los_Angeles'], at('2026-12-07T12:30:00Z'))), '2026-12-07T16:00:00.000Z');
    const short = { start: '09:00', end: '10:00' };
    assert.equal(iso(nextOpening(short, ['America/New_York', 'Asia/Tokyo'], at('2026-12-07T12:30:00Z'))), '2026-12-07T14:00:00.000Z', 'never together: New York\'s');
  });

  it('refuses a malformed window or time zone with the field named', () => {
    for (const bad of [{ start: '8:00', end: '21:00' }, { start: '08:00', end: '08:00' }, { start: '24:00', end: '01:00' }, null]) {
      assert.throws(() => sendWindowOf(bad), (e: AppError) => e.code === 'validation_error' && e.field === 'send_window');
    }
    assert.equal(timeZoneOf('Europe/Berlin'), 'Europe/Berlin');
    assert.throws(() => timeZoneOf('Mars/Olympus'), (e: AppError) => e.field === 'tz');
  });
});
