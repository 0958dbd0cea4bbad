// The public times: isoTime must print exactly what toISOString prints, since every
// message, event and callback shows its times through it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { iso, isoTime } from '../../src/public/present.ts';

describe('isoTime', () => {
  it('prints what toISOString prints, across days, at their edges and at random', () => {
    const times = [0, 1, 999, 1000, 59_999, 60_000, 3_599_999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 1_796_674_890_701, 253_402_300_799_999];
    for (let day = 20_000; day < 20_010; day++) for (const ms of [0, 7, 45, 123, 86_399_999]) times.push(day * 86_400_000 + ms);
    for (let i = 0; i < 20_000; i++) times.push(Math.floor(Math.random() * 253_402_300_800_000));
    // In order and out of it: the kept day must never leak into another day's time.
    for (const t of [...times, ...times.reverse()]) assert.equal(isoTime(t), new Date(t).toISOString(), String(t));
  });

  it('hands times outside 1970–9999 and fractions to toISOString, and null stays null', () => {
    for (const t of [-1, -86_400_001, 253_402_300_800_000, 1.5, 1_796_674_890_701.9]) assert.equal(isoTime(t), new Date(t).toISOString(), String(t));
    assert.throws(() => isoTime(Number.NaN), RangeError);
    assert.equal(iso(null), null);
    assert.equal(iso(1_796_674_890_701), '2026-12-07T20:21:30.701Z');
  });
});
