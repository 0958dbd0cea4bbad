// The circuit breaker and health window, on an explicit clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../src/routing/health.ts';

const make = () => new Health({ windowMs: 300_000, threshold: 0.05, minSamples: 20, openMs: 30_000 });

describe('provider health', () => {
  it('stays closed below the minimum sample however bad the results', () => {
    const h = make();
    for (let i = 0; i < 19; i++) h.record('p', false, 1000 + i);
    assert.equal(h.state('p', 2000), 'closed');
  });

  it('opens when the window error rate exceeds the threshold, and refuses sends while open', () => {
    const h = make();
    for (let i = 0; i < 18; i++) h.record('p', true, 1000);
    h.record('p', false, 1000); // 1 of 19
    h.record('p', true, 1000); // 1 of 20 = 5%: not above the threshold
    assert.equal(h.state('p', 1000), 'closed');
    h.record('p', false, 1001); // 2 of 21 > 5%
    assert.equal(h.state('p', 1001), 'open');
    assert.equal(h.begin('p', 1002), false);
  });

  it('forgets failures that left the window', () => {
    const h = make();
    for (let i = 0; i < 25; i++) h.record('p', i % 2 === 0, 0); // opens
    const later = 0 + 30_000;
    assert.equal(h.begin('p', later), true); // half-open probe
    h.record('p', true, later);
    assert.equal(h.state('p', later), 'closed');
    assert.equal(h.view('p', later).errors, 0, 'a closed circuit starts a fresh window');
    for (let i = 0; i < 30; i++) h.record('p', true, 400_000); // the old failures are out of the window anyway
    assert.equal(h.view('p', 400_000).errorRate, 0);
  });

  it('lets one probe through when half-open; its failure opens the circuit again', () => {
    const h = make();
    for (let i = 0; i < 20; i++) h.record('p', false, 0);
    assert.equal(h.state('p', 29_999), 'open');
    assert.equal(h.state('p', 30_000), 'half_open');
    assert.equal(h.begin('p', 30_000), true);
    assert.equal(h.begin('p', 30_001), false, 'a second send waits for the probe');
    h.record('p', false, 30_010);
    assert.equal(h.state('p', 30_010), 'open');
    assert.equal(h.state('p', 60_009), 'open');
    assert.equal(h.state('p', 60_010), 'half_open');
  });

  it('reports the delivery rate once there are enough receipts', () => {
    const h = make();
    for (let i = 0; i < 9; i++) h.recordReceipt('p', true, 0);
    assert.equal(h.view('p', 0).deliveryRate, null);
    h.recordReceipt('p', false, 0);
    assert.equal(h.view('p', 0).deliveryRate, 0.9);
  });

  it('demotes a provider whose sends mostly have no receipt past the SLA, and not before the SLA has passed', () => {
    const h = new Health({ windowMs: 300_000, threshold: 0.05, minSamples: 20, openMs: 30_000, receiptSlaMs: 60_000 });
    const t0 = 1_000_000_000_000;
    for (let i = 0; i < 30; i++) h.record('p', true, t0 + i * 100);
    // 10 of 30 get their receipt within a few seconds.
    for (let i = 0; i < 10; i++) h.recordReceipt('p', true, t0 + 5_000, t0 + i * 100);
    assert.equal(h.view('p', t0 + 30_000).demoted, null, 'the receipts are not yet due');
    assert.equal(h.view('p', t0 + 80_000).demoted, 'latency', '20 of 30 overdue');
    // The late ones arrive: judged on time again.
    for (let i = 10; i < 30; i++) h.recordReceipt('p', false, t0 + 81_000, t0 + i * 100);
    assert.notEqual(h.view('p', t0 + 82_000).demoted, 'latency');
  });

  it('never judges latency without an SLA, nor below the minimum sample', () => {
    const off = make();
    for (let i = 0; i < 30; i++) off.record('p', true, 1000);
    assert.equal(off.view('p', 200_000).demoted, null);
    const few = new Health({ windowMs: 300_000, threshold: 0.05, minSamples: 20, openMs: 30_000, receiptSlaMs: 60_000 });
    for (let i = 0; i < 19; i++) few.record('p', true, 1000);
    assert.equal(few.view('p', 200_000).demoted, null);
  });
});
