// Number provisioning through a provider that sells numbers (Twilio first; any adapter
// with the NumberProvisioning capability can): search, buy (its
// inbound and status webhooks pointed at this Switchboard's PUBLIC_URL, and the number
// added to the pool), and sync: every pool number's webhook configuration at its
// provider checked against what it should be, reported, and fixed when asked.
import { AppError } from '../domain/errors.ts';
import { requireOperator, type Actor } from '../domain/actor.ts';
import type { NumberHooks, NumberProvisioning, NumberQuery } from '../providers/provider.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { NumberRow, RecordStore, RelayStore } from '../store/store.ts';
import { upsertNumber } from './numbers.ts';

const TIMEOUT_MS = 15_000;

function provisioning(registry: ProviderRegistry, providerId: string): NumberProvisioning {
  const entry = registry.get(providerId);
  if (!entry) throw new AppError('not_found', `no active provider ${providerId}`);
  if (!entry.capabilities.numbers) throw new AppError('validation_error', `provider ${providerId} (${entry.kind}) does not provision numbers`, { field: 'provider' });
  return entry.capabilities.numbers;
}

export function hooksFor(publicUrl: string, providerId: string): NumberHooks {
  return { inbound: `${publicUrl}/webhooks/${providerId}/inbound`, status: `${publicUrl}/webhooks/${providerId}/status` };
}

export async function searchNumbers(registry: ProviderRegistry, actor: Actor, providerId: string, q: NumberQuery) {
  requireOperator(actor, 'number provisioning');
  return provisioning(registry, providerId).searchNumbers(q, AbortSignal.timeout(TIMEOUT_MS));
}

export async function buyNumber(store: RecordStore & RelayStore, registry: ProviderRegistry, publicUrl: string, actor: Actor, providerId: string, number: string): Promise<NumberRow> {
  requireOperator(actor, 'number provisioning');
  const owned = await provisioning(registry, providerId).buyNumber(number, hooksFor(publicUrl, providerId), AbortSignal.timeout(TIMEOUT_MS));
  const capabilities = owned.capabilities.filter((c) => c === 'sms' || c === 'mms' || c === 'voice');
  return upsertNumber(store, actor, { number: owned.number, provider_id: providerId, capabilities: capabilities.length ? capabilities : ['sms'] });
}

export interface Drift { number: string; provider: string; problem: string; fixed: boolean }

/** Checks every active pool number of providers that can be asked; `fix` points drifted webhooks back at us. */
export async function syncNumbers(store: RecordStore, registry: ProviderRegistry, publicUrl: string, actor: Actor, fix: boolean): Promise<{ checked: number; drift: Drift[] }> {
  requireOperator(actor, 'number provisioning');
  const drift: Drift[] = [];
  let checked = 0;
  for (const n of (await store.listNumbers()).filter((x) => x.active === 1)) {
    const numbers = registry.get(n.provider_id)?.capabilities.numbers;
    if (!numbers) continue;
    checked++;
    const want = hooksFor(publicUrl, n.provider_id);
    const have = await numbers.ownedNumber(n.number, AbortSignal.timeout(TIMEOUT_MS));
    if (!have) { drift.push({ number: n.number, provider: n.provider_id, problem: 'the provider account does not own this number', fixed: false }); continue; }
    const problems = [
      have.inboundUrl !== want.inbound ? `inbound webhook is ${have.inboundUrl ?? 'unset'}, not ${want.inbound}` : '',
      have.statusUrl !== want.status ? `status webhook is ${have.statusUrl ?? 'unset'}, not ${want.status}` : '',
    ].filter(Boolean);
    if (problems.length === 0) continue;
    let fixed = false;
    if (fix) {
      const after = await numbers.updateNumberHooks(have, want, AbortSignal.timeout(TIMEOUT_MS));
      fixed = after.inboundUrl === want.inbound && after.statusUrl === want.status;
    }
    drift.push({ number: n.number, provider: n.provider_id, problem: problems.join('; '), fixed });
  }
  return { checked, drift };
}
