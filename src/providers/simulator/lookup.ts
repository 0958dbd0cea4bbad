// The simulator's carrier lookup (issue 28): deterministic numbers, documented in the
// README, so routing by network can be tried without a lookup provider.
//   +15005550011 a landline · +15005550012 a mobile on 310/260
//   +15005550013 ported from 310/410 to 310/260 · +15005550014 a lookup that fails
// Any other number is a mobile on 310/410 (its range's original network).
import type { LookupResult } from '../provider.ts';

export const LOOKUP_PRICE = '0.0050';

const MOBILE = (mnc: string, ported: boolean, carrier: string): LookupResult =>
  ({ lineType: 'mobile', providerType: 'mobile', carrier, mcc: '310', mnc, ported, price: LOOKUP_PRICE });

const KNOWN: Record<string, LookupResult | 'fail'> = {
  '+15005550011': { lineType: 'landline', providerType: 'landline', carrier: 'Simulated Fixed Line', mcc: null, mnc: null, ported: false, price: LOOKUP_PRICE },
  '+15005550012': MOBILE('260', false, 'Simulated Mobile B'),
  '+15005550013': MOBILE('260', true, 'Simulated Mobile B'),
  '+15005550014': 'fail',
};

export function simulatedLookup(number: string): LookupResult {
  const known = Object.hasOwn(KNOWN, number) ? KNOWN[number] : undefined;
  if (known === 'fail') throw new Error('simulated lookup failure (+15005550014)');
  return known ?? MOBILE('410', false, 'Simulated Mobile A');
}
