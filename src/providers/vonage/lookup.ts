// Vonage Number Insight Standard, pure: GET /ni/standard/json?number=… answered with
// `status` (0 = success), `current_carrier` { network_code (MCC+MNC), name, network_type:
// mobile | landline | landline_premium | landline_tollfree | virtual | pager | unknown },
// `ported` (ported | not_ported | assumed_ported | assumed_not_ported | unknown) and
// `request_price`, what the lookup cost.
import type { LookupResult } from '../provider.ts';

const LINE: Record<string, LookupResult['lineType']> = {
  mobile: 'mobile', landline: 'landline', landline_premium: 'landline', landline_tollfree: 'landline', virtual: 'voip', pager: 'unknown', unknown: 'unknown',
};

const PORTED: Record<string, boolean> = { ported: true, assumed_ported: true, not_ported: false, assumed_not_ported: false };

export function vonageInsight(json: unknown): LookupResult {
  const j = (json ?? {}) as Record<string, unknown>;
  if (Number(j.status) !== 0) throw new Error(`Vonage Number Insight status ${String(j.status)}: ${String(j.status_message ?? '')}`);
  const carrier = (j.current_carrier ?? {}) as Record<string, unknown>;
  const type = typeof carrier.network_type === 'string' ? carrier.network_type : null;
  const code = typeof carrier.network_code === 'string' && /^\d{5,6}$/.test(carrier.network_code) ? carrier.network_code : null;
  const ported = typeof j.ported === 'string' && Object.hasOwn(PORTED, j.ported) ? PORTED[j.ported] : null;
  const price = typeof j.request_price === 'string' && /^\d+(\.\d+)?$/.test(j.request_price) ? Number(j.request_price).toFixed(4) : null;
  return {
    lineType: (type !== null && Object.hasOwn(LINE, type) ? LINE[type] : undefined) ?? 'unknown', providerType: type,
    carrier: typeof carrier.name === 'string' ? carrier.name : null, mcc: code ? code.slice(0, 3) : null, mnc: code ? code.slice(3) : null, ported, price,
  };
}
