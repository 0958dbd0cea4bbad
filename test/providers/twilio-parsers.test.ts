// The pure parsers, fed raw webhook fixtures (the same bytes replay would feed them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { twilioInbound, twilioReceipts } from '../../src/providers/twilio/receipts.ts';
import { classifyTwilio } from '../../src/providers/twilio/errors.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/twilio/${name}.json`, import.meta.url), 'utf8')) as { body: string };

describe('Twilio webhooks', () => {
  it('reads a status callback, its error code and the carrier\'s done date, ignoring unknown fields', () => {
    const [r] = twilioReceipts(fixture('status-undelivered').body);
    assert.equal(r.providerMessageId, 'SM0123456789abcdef0123456789abcdef');
    assert.equal(r.status, 'undelivered');
    assert.equal(r.errorCode, 'unreachable', 'Twilio 30003 is the catalog\'s unreachable');
    assert.equal(r.providerErrorCode, '30003');
    assert.equal(r.occurredAt, Date.UTC(2026, 10, 23, 14, 5));
  });
  it('maps Twilio statuses onto ours; intermediate ones move nothing', () => {
    const one = (s: string) => twilioReceipts(`MessageSid=SM1&MessageStatus=${s}`)[0].status;
    assert.equal(one('sent'), 'sent');
    assert.equal(one('delivered'), 'delivered');
    assert.equal(one('read'), 'delivered');
    assert.equal(one('failed'), 'failed');
    assert.equal(one('queued'), null);
    assert.equal(one('sending'), null);
  });
  it('refuses a callback without a message id', () => {
    assert.throws(() => twilioReceipts('MessageStatus=sent'));
  });
  it('reads an inbound SMS', () => {
    assert.deepEqual(twilioInbound(fixture('inbound').body), [{ providerMessageId: 'SMaaaabbbbccccddddeeeeffff00001111', from: '+14155550100', to: '+14155550199', body: 'Is my order ready?' }]);
  });
  it('classifies documented error codes, then falls back on the HTTP status', () => {
    const c = (status: number, code: number | undefined) => { const r = classifyTwilio(status, code); return [r.kind, r.code]; };
    assert.deepEqual(c(429, 20429), ['throttled', 'throttled']);
    assert.deepEqual(c(400, 21211), ['permanent', 'invalid_number']);
    assert.deepEqual(c(400, 21610), ['permanent', 'recipient_opted_out']);
    assert.deepEqual(c(401, 20003), ['permanent', 'auth_failed']);
    assert.deepEqual(c(503, undefined), ['transient', 'provider_error']);
    assert.deepEqual(c(429, undefined), ['throttled', 'throttled']);
    assert.deepEqual(c(400, 99999), ['permanent', 'rejected']);
  });
});
