import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attemptOutcome, expiredOutcome } from '../../src/worker/outcome.ts';
import { messageRow } from '../helpers/rows.ts';

const policy = { maxAttempts: 3, maxThrottledAttempts: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
const route = { providerId: 'p1', from: '+15005550006' };
const half = () => 0.5;

describe('what an attempt does to a message', () => {
  it('a success marks it sent with the provider id', () => {
    const row = messageRow({ status: 'sending', attempts: 1 });
    const o = attemptOutcome(row, 'w', route, { ok: true, parts: [{ index: 0, providerMessageId: 'SM1' }] }, 100, 200, policy);
    assert.equal(o.set.status, 'sent');
    assert.equal(o.set.provider_message_id, 'SM1');
    assert.deepEqual(o.parts.map((p) => [p.part_index, p.provider_message_id, p.status]), [[0, 'SM1', 'sent']]);
    assert.equal(o.attempts[0]?.outcome, 'sent');
  });
  it('a transient failure retries later with backoff until attempts run out', () => {
    const first = attemptOutcome(messageRow({ status: 'sending', attempts: 1 }), 'w', route, { ok: false, error: { kind: 'transient', code: 'provider_error', providerCode: '500', message: 'x' } }, 0, 1000, policy, half);
    assert.equal(first.set.status, 'queued');
    assert.equal(first.set.next_attempt_at, 1000 + 750);
    const last = attemptOutcome(messageRow({ status: 'sending', attempts: 3 }), 'w', route, { ok: false, error: { kind: 'transient', code: 'provider_error', providerCode: '500', message: 'x' } }, 0, 1000, policy, half);
    assert.equal(last.set.status, 'failed');
    assert.equal(last.set.error_code, 'provider_error');
    assert.equal(last.set.provider_error_code, '500');
  });
  it('a throttle honours Retry-After and does not use up the attempts', () => {
    const o = attemptOutcome(messageRow({ status: 'sending', attempts: 3 }), 'w', route, { ok: false, error: { kind: 'throttled', code: 'throttled', providerCode: '429', message: 'slow', retryAfterMs: 5000 } }, 0, 1000, policy);
    assert.equal(o.set.status, 'queued');
    assert.equal(o.set.next_attempt_at, 6000);
    assert.equal(o.set.attempts, 2);
    assert.equal(o.set.throttled_attempts, 1);
  });
  it('a permanent failure fails at once with the provider error', () => {
    const o = attemptOutcome(messageRow({ status: 'sending', attempts: 1 }), 'w', route, { ok: false, error: { kind: 'permanent', code: 'invalid_number', providerCode: '21211', message: 'invalid To' } }, 0, 1000, policy);
    assert.equal(o.set.status, 'failed');
    assert.equal(o.set.error_code, 'invalid_number');
    assert.equal(o.set.provider_error_code, '21211');
    assert.equal(o.attempts[0]?.provider_error_code, '21211');
    assert.equal(o.attempts[0]?.outcome, 'permanent');
  });
  it('an expired message is not sent', () => {
    const o = expiredOutcome(messageRow({ status: 'sending', attempts: 1 }), 'w', 5);
    assert.equal(o.set.status, 'expired');
    assert.deepEqual(o.attempts, []);
  });
});
