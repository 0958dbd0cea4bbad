// Twilio Lookup v2 with Line Type Intelligence, pure: the PhoneNumbers resource
// (GET /v2/PhoneNumbers/{number}?Fields=line_type_intelligence) as a LookupResult.
// `line_type_intelligence.type` is one of landline, mobile, fixedVoip, nonFixedVoip,
// personal, tollFree, premium, sharedCost, uan, voicemail, pager, unknown; MCC/MNC name
// the network the number is on now. Twilio lists the package at $0.008 a lookup (US).
import type { LookupResult } from '../provider.ts';

export const TWILIO_LOOKUP_PRICE = '0.0080';

const LINE: Record<string, LookupResult['lineType']> = {
  mobile: 'mobile', landline: 'landline', fixedVoip: 'voip', nonFixedVoip: 'voip', personal: 'mobile',
  tollFree: 'landline', premium: 'landline', sharedCost: 'landline', uan: 'landline', voicemail: 'landline', pager: 'unknown', unknown: 'unknown',
};

export function twilioLookup(json: unknown): LookupResult {
  const lti = (json as { line_type_intelligence?: Record<string, unknown> | null })?.line_type_intelligence;
  if (!lti || typeof lti !== 'object') throw new Error('Twilio Lookup answered without line_type_intelligence');
  if (lti.error_code !== null && lti.error_code !== undefined) throw new Error(`Twilio Lookup error ${String(lti.error_code)}`);
  const type = typeof lti.type === 'string' ? lti.type : null;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    lineType: (type !== null && Object.hasOwn(LINE, type) ? LINE[type] : undefined) ?? 'unknown', providerType: type, carrier: str(lti.carrier_name),
    mcc: str(lti.mobile_country_code), mnc: str(lti.mobile_network_code), ported: null, price: TWILIO_LOOKUP_PRICE,
  };
}
