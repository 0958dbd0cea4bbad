// The carrier lookup parsers (pure): Twilio Lookup v2's line_type_intelligence and Vonage
// Number Insight Standard, as their APIs answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { twilioLookup } from '../../src/providers/twilio/lookup.ts';
import { vonageInsight } from '../../src/providers/vonage/lookup.ts';
import { simulatedLookup } from '../../src/providers/simulator/lookup.ts';

describe('carrier lookup parsers', () => {
  it('Twilio: line types map to mobile, landline, voip or unknown, with the network', () => {
    const lti = (type: string, mcc: string | null = '310', mnc: string | null = '260') => ({ line_type_intelligence: { carrier_name: 'T-Mobile USA, Inc.', error_code: null, mobile_country_code: mcc, mobile_network_code: mnc, type } });
    assert.deepEqual(twilioLookup(lti('mobile')), { lineType: 'mobile', providerType: 'mobile', carrier: 'T-Mobile USA, Inc.', mcc: '310', mnc: '260', ported: null, price: '0.0080' });
    assert.deepEqual(['landline', 'tollFree', 'nonFixedVoip', 'fixedVoip', 'pager', 'somethingNew'].map((t) => twilioLookup(lti(t, null, null)).lineType), ['landline', 'landline', 'voip', 'voip', 'unknown', 'unknown']);
    assert.throws(() => twilioLookup({ line_type_intelligence: null }), /without line_type_intelligence/);
    assert.throws(() => twilioLookup({ line_type_intelligence: { error_code: 60600, type: null } }), /60600/);
  });

  it('Vonage: the current carrier\'s network code splits into MCC and MNC; ported and the price are kept', () => {
    const answer = { status: 0, request_price: '0.00500000', current_carrier: { network_code: '310260', name: 'T-Mobile US', network_type: 'mobile' }, ported: 'assumed_ported' };
    assert.deepEqual(vonageInsight(answer), { lineType: 'mobile', providerType: 'mobile', carrier: 'T-Mobile US', mcc: '310', mnc: '260', ported: true, price: '0.0050' });
    assert.equal(vonageInsight({ ...answer, current_carrier: { network_code: '23415', name: 'Vodafone', network_type: 'landline_tollfree' }, ported: 'unknown' }).lineType, 'landline');
    assert.equal(vonageInsight({ ...answer, ported: 'unknown' }).ported, null);
    assert.throws(() => vonageInsight({ status: 3, status_message: 'Invalid request' }), /status 3/);
  });

  it('the simulator\'s test numbers answer as documented', () => {
    assert.equal(simulatedLookup('+15005550011').lineType, 'landline');
    assert.deepEqual([simulatedLookup('+15005550012').mnc, simulatedLookup('+15005550012').ported], ['260', false]);
    assert.deepEqual([simulatedLookup('+15005550013').mnc, simulatedLookup('+15005550013').ported], ['260', true]);
    assert.throws(() => simulatedLookup('+15005550014'));
    assert.equal(simulatedLookup('+14155550100').mnc, '410');
  });
});
