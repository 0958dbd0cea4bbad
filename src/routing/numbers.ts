// The pool of senders routing chooses from: numbers registered in the store, plus (for
// compatibility) a provider's configured `from` and the implicit simulator's number,
// which are not rate limited. Pure helpers for what a number may carry where.
import type { NumberRow, NumberType, CountryRuleRow } from '../store/store.ts';
import type { ProviderEntry } from '../providers/registry.ts';
import { parsePhone, isAlphanumericSender } from '../domain/phone.ts';

export interface NumberEntry {
  number: string;
  providerId: string;
  accountId: string;
  country: string | null;
  type: NumberType;
  capabilities: ReadonlySet<string>;
  /** sends per second; Infinity = not limited here */
  rate: number;
  pool: string;
  /** where the texts it receives are posted, and the key that signs them */
  inbound?: { url: string; keyId: string | null };
}

export const DEFAULT_RATES: Record<NumberType, number> = { longcode: 1, tollfree: 3, shortcode: 100, alphanumeric: 10 };

export function fromRow(r: NumberRow): NumberEntry {
  return {
    number: r.number, providerId: r.provider_id, accountId: r.account_id, country: r.country, type: r.type,
    capabilities: new Set(JSON.parse(r.capabilities) as string[]), rate: r.rate_per_second, pool: r.pool,
    ...(r.inbound_url ? { inbound: { url: r.inbound_url, keyId: r.inbound_key_id ?? null } } : {}),
  };
}

/** A provider's configured default sender, kept so set-ups from before number pools keep working. */
export function implicitNumber(p: ProviderEntry): NumberEntry | null {
  if (!p.defaultFrom) return null;
  const phone = parsePhone(p.defaultFrom);
  const alpha = !phone.ok && isAlphanumericSender(p.defaultFrom);
  if (!phone.ok && !alpha) return null;
  return {
    number: p.defaultFrom, providerId: p.id, accountId: p.accountId, country: phone.ok ? phone.country ?? null : null,
    type: alpha ? 'alphanumeric' : 'longcode', capabilities: new Set(['sms', 'international', ...(p.channels.includes('voice') && !alpha ? ['voice'] : [])]), rate: Infinity, pool: 'default',
  };
}

/** Why `n` may not send to `country` under `rule` (null when it may); a call needs a voice number. */
export function refusal(n: NumberEntry, country: string | null, rule: CountryRuleRow | undefined, channel: 'sms' | 'voice' = 'sms'): string | null {
  if (channel === 'voice' && !n.capabilities.has('voice')) return `${n.number} cannot place calls`;
  if (channel === 'sms' && !n.capabilities.has('sms')) return `${n.number} cannot send SMS`;
  if (rule) {
    const allowed = rule.providers ? (JSON.parse(rule.providers) as string[]) : null;
    if (allowed && !allowed.includes(n.providerId)) return `${country} accepts traffic only through ${allowed.join(', ')}`;
    if (n.type === 'alphanumeric' && !rule.allow_alphanumeric) return `${country} does not allow alphanumeric senders`;
    if (rule.require_local && n.country !== country) return `${country} requires a sender number from ${country}`;
  }
  if (n.type === 'alphanumeric' || n.country === country || country === null) return null;
  if (n.type === 'longcode' && n.capabilities.has('international')) return null;
  return `${n.number} (${n.type}, ${n.country ?? 'no country'}) cannot send to ${country}`;
}
