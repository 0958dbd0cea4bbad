// The message error catalog, and the providers' tables that map onto it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_ERRORS, isMessageErrorCode } from '../../src/domain/message-errors.ts';
import { TWILIO_ERRORS, twilioReceiptError } from '../../src/providers/twilio/errors.ts';
import { SIMULATOR_ERRORS } from '../../src/providers/simulator/errors.ts';
import { classifyHttpFailure, classifyThrown } from '../../src/providers/provider.ts';
import { SINCH_ERROR_CODES, classifySinch } from '../../src/providers/sinch/errors.ts';
import { AWS_REASONS, classifyAwsException } from '../../src/providers/aws/errors.ts';
import { VONAGE_SEND_STATUS } from '../../src/providers/vonage/errors.ts';
import { SMPP_STATUS } from '../../src/providers/smpp/errors.ts';
import { failureClass, opensCircuit } from '../../src/domain/message-errors.ts';

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

  // What each documented refusal means for routing, read from the provider's own page
  // (the source is named beside each row of its table): the message, the route, or the provider.
  const classOf = (f: { kind: 'transient' | 'throttled' | 'permanent'; code: string }) => `${f.code} (${failureClass(f)}${opensCircuit(f.code) ? ', opens the circuit' : ''})`;
  it('Sinch: every documented 400/403 code, by what it means for routing', () => {
    const expected: Record<string, [number, string]> = {
      syntax_invalid_json: [400, 'rejected (message)'],
      syntax_invalid_parameter_format: [400, 'rejected (message)'],
      syntax_constraint_violation: [400, 'rejected (message)'],
      blocked_account: [403, 'account_suspended (provider, opens the circuit)'],
      illegal_number_type: [403, 'number_type_not_permitted (route)'],
      missing_callback_url: [403, 'rejected (message)'],
      unauthorized: [401, 'auth_failed (provider, opens the circuit)'],
      too_many_requests: [429, 'throttled (throttle)'],
    };
    assert.deepEqual(Object.keys(SINCH_ERROR_CODES).sort(), Object.keys(expected).sort(), 'the table and this test name the same codes');
    for (const [code, [status, meaning]] of Object.entries(expected)) {
      assert.match(SINCH_ERROR_CODES[code].source, /^\[(status|community)\]/, `${code}: its source`);
      const c = classifySinch(status, code);
      assert.equal(classOf(c), meaning, code);
      assert.equal(c.known, true);
    }
    assert.equal(classifySinch(503, 'whatever').code, 'provider_error', 'a 5xx keeps its meaning whatever the code');
    assert.equal(classifySinch(403, 'not_documented').known, false, 'an unknown code is counted');
  });

  it('AWS: every documented reason SendTextMessage can give, by what it means for routing', () => {
    const byClass = (cls: string) => Object.keys(AWS_REASONS).filter((k) => { const [name, reason] = k.split(':'); return failureClass(classifyAwsException(name, reason)) === cls; }).sort();
    assert.deepEqual(byClass('route'), [
      'ConflictException:DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION', 'ConflictException:DESTINATION_PHONE_NUMBER_NOT_VERIFIED', 'ConflictException:MESSAGE_TYPE_MISMATCH',
      'ConflictException:NO_ORIGINATION_IDENTITIES_FOUND', 'ConflictException:NUMBER_CAPABILITIES_MISMATCH', 'ConflictException:RESOURCE_NOT_ACTIVE',
      'ValidationException:COUNTRY_NOT_ENABLED', 'ValidationException:DESTINATION_COUNTRY_BLOCKED', 'ValidationException:INTERNATIONAL_SENDING_NOT_SUPPORTED',
      'ValidationException:INVALID_IDENTITY_FOR_DESTINATION_COUNTRY', 'ValidationException:SENDER_ID_NOT_REGISTERED', 'ValidationException:SENDER_ID_NOT_SUPPORTED', 'ValidationException:SENDER_ID_REQUIRES_REGISTRATION',
    ]);
    assert.deepEqual(byClass('provider'), ['AccessDeniedException:ACCOUNT_DISABLED', 'AccessDeniedException:INSUFFICIENT_ACCOUNT_REPUTATION', 'ServiceQuotaExceededException:MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT']);
    assert.ok(byClass('provider').every((k) => opensCircuit(classifyAwsException(k.split(':')[0], k.split(':')[1]).code)), 'each opens the circuit');
    assert.deepEqual(byClass('message'), [
      'ConflictException:DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE', 'ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT',
      'ValidationException:CANNOT_ADD_OPTED_OUT_NUMBER', 'ValidationException:CANNOT_PARSE', 'ValidationException:COUNTRY_CODE_MISMATCH', 'ValidationException:MAXIMUM_SIZE_EXCEEDED',
    ]);
    for (const [k, row] of Object.entries(AWS_REASONS)) assert.match(row.source, /^\[enums\]/, `${k}: its source`);
    // The old loose match is gone: a reason that merely looks like a number problem is not a bad number.
    assert.equal(classifyAwsException('ValidationException', 'DESTINATION_COUNTRY_BLOCKED').code, 'region_not_permitted');
    assert.deepEqual(classifyAwsException('ValidationException', 'SOMETHING_NEW'), { kind: 'permanent', code: 'rejected', known: false });
  });

  it('Vonage and SMPP: account refusals open the circuit, destination refusals are the message\'s', () => {
    const vonage = (status: number) => { const [kind, code] = VONAGE_SEND_STATUS[status]; return classOf({ kind, code }); };
    assert.deepEqual([4, 8, 9, 29, 15, 6, 7].map(vonage), [
      'auth_failed (provider, opens the circuit)', 'account_suspended (provider, opens the circuit)', 'insufficient_funds (provider, opens the circuit)',
      'region_not_permitted (route)', 'invalid_sender (route)', 'invalid_number (message)', 'blocked (message)',
    ]);
    const smpp = (status: number) => { const [, kind, code] = SMPP_STATUS[status]; return classOf({ kind, code }); };
    assert.deepEqual([0x0e, 0x0a, 0x0b, 0x58, 0x08].map(smpp), [
      'auth_failed (provider, opens the circuit)', 'invalid_sender (route)', 'invalid_number (message)', 'throttled (throttle)', 'provider_error (provider)',
    ]);
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
