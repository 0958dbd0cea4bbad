// The message error catalog, and the providers' tables that map onto it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_ERRORS, isMessageErrorCode } from '../../src/domain/message-errors.ts';
import { TWILIO_ERRORS, twilioReceiptError } from '../../src/providers/twilio/errors.ts';
import { SIMULATOR_ERRORS } from '../../src/providers/simulator/errors.ts';
import { classifyHttpFailure, classifyThrown } from '../../src/providers/provider.ts';

describe('message error catalog', () => {
  it('gives every code a class, a meaning and a hint', () => {
    for (const [code, e] of Object.entries(MESSAGE_ERRORS)) {
      assert.ok(['transient', 'throttled', 'permanent'].includes(e.kind), code);
      assert.ok(e.meaning.length > 10 && e.hint.length > 10, code);
    }
  });

  it('every provider table maps onto catalog codes, with a class that agrees or is documented as different', () => {
    for (const [code, [kind, mapped]] of Object.entries(TWILIO_ERRORS)) {
      assert.ok(isMessageErrorCode(mapped), `Twilio ${code} → ${mapped}`);
      assert.equal(kind, MESSAGE_ERRORS[mapped].kind, `Twilio ${code}: its class is the catalog's`);
    }
    for (const mapped of Object.values(SIMULATOR_ERRORS)) assert.ok(isMessageErrorCode(mapped));
    assert.equal(twilioReceiptError('30007'), 'blocked');
    assert.equal(twilioReceiptError('99999'), 'undelivered', 'an unknown receipt code is plain non-delivery');
  });

  it('classifies what no table names by HTTP status and by what was thrown', () => {
    assert.deepEqual([429, 503, 408, 401, 400].map((s) => classifyHttpFailure(s)), [
      { kind: 'throttled', code: 'throttled' }, { kind: 'transient', code: 'provider_error' }, { kind: 'transient', code: 'provider_error' },
      { kind: 'permanent', code: 'auth_failed' }, { kind: 'permanent', code: 'rejected' },
    ]);
    assert.equal(classifyThrown(Object.assign(new Error('t'), { name: 'TimeoutError' })).code, 'timeout');
    assert.deepEqual(classifyThrown(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), { kind: 'transient', code: 'network_error', message: 'refused', providerCode: 'ECONNREFUSED' });
  });
});
