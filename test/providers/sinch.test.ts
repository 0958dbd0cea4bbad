// Sinch's pure parts: delivery reports of both shapes, inbound texts, error classes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sinchInbound, sinchReceipts } from '../../src/providers/sinch/receipts.ts';
import { classifySinch, SINCH_FINAL_ERRORS } from '../../src/providers/sinch/errors.ts';
import { validateSinchConfig } from '../../src/providers/sinch/adapter.ts';
import { isMessageErrorCode } from '../../src/domain/message-errors.ts';

describe('Sinch parsers', () => {
  it('reads per-recipient and summary delivery reports, keeping the final code as the provider\'s', () => {
    const per = { type: 'recipient_delivery_report_sms', batch_id: 'B1', recipient: '14155550100', code: 402, status: 'Failed', status_message: 'unprovisioned', operator_status_at: '2026-11-30T10:00:00Z' };
    assert.deepEqual(sinchReceipts(JSON.stringify(per)), [{
      providerMessageId: 'B1', status: 'failed', providerStatus: 'failed', errorCode: 'undelivered', providerErrorCode: '402', errorMessage: 'unprovisioned', occurredAt: Date.parse('2026-11-30T10:00:00Z'), to: '+14155550100',
    }]);
    const summary = { type: 'delivery_report_sms', batch_id: 'B2', total_message_count: 1, statuses: [{ code: 0, status: 'Delivered', count: 1, recipients: ['14155550100'] }] };
    assert.deepEqual(sinchReceipts(JSON.stringify(summary)).map((r) => [r.providerMessageId, r.status, r.errorCode]), [['B2', 'delivered', undefined]]);
    assert.equal(sinchReceipts(JSON.stringify({ ...per, status: 'Dispatched', code: 401 }))[0].status, 'sent');
    assert.equal(sinchReceipts(JSON.stringify({ ...per, status: 'Queued', code: 400 }))[0].status, null, 'intermediate: no move');
    assert.throws(() => sinchReceipts(JSON.stringify({ type: 'mo_text' })), /batch_id/);
    // Found by fuzzing: a status naming an Object.prototype member is no status at all.
    for (const status of ['__proto__', 'constructor', 'toString']) assert.deepEqual(sinchReceipts(JSON.stringify({ ...per, status })).map((r) => [r.status, r.errorCode]), [[null, undefined]]);
  });

  it('reads an inbound mo_text with E.164 numbers', () => {
    const [m] = sinchInbound(JSON.stringify({ type: 'mo_text', id: 'MO1', from: '14155550111', to: '14155550177', body: 'STOP', received_at: '2026-11-30T10:00:00Z' }));
    assert.deepEqual(m, { providerMessageId: 'MO1', from: '+14155550111', to: '+14155550177', body: 'STOP', receivedAt: Date.parse('2026-11-30T10:00:00Z') });
  });

  it('classifies by HTTP status and refines with the body code', () => {
    assert.deepEqual(classifySinch(429, 'too_many_requests'), { kind: 'throttled', code: 'throttled', known: true });
    assert.deepEqual(classifySinch(503, undefined), { kind: 'transient', code: 'provider_error', known: true });
    assert.deepEqual(classifySinch(401, 'unauthorized'), { kind: 'permanent', code: 'auth_failed', known: true });
    assert.deepEqual(classifySinch(400, 'syntax_invalid_parameter_format'), { kind: 'permanent', code: 'rejected', known: true });
    // a body code missing from the table still classifies by status, and is marked for the unmapped-codes counter
    assert.deepEqual(classifySinch(400, 'made_up_code'), { kind: 'permanent', code: 'rejected', known: false });
    for (const c of Object.values(SINCH_FINAL_ERRORS)) assert.ok(isMessageErrorCode(c));
  });

  it('refuses a record without callback credentials or with an unknown region', () => {
    const ok = { service_plan_id: 'fakeplan0001', api_token_env: 'SINCH_TOKEN', callback_username: 'sb', callback_password_env: 'SINCH_CB' };
    assert.deepEqual(validateSinchConfig(ok), []);
    assert.match(validateSinchConfig({ ...ok, callback_password_env: undefined }).join(';'), /callback_password_env/);
    assert.match(validateSinchConfig({ ...ok, region: 'mars' }).join(';'), /region/);
  });
});
