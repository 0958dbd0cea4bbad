// Country rules: what a destination country allows, for every account's messages, so
// only operators write them. A rule may only name providers that exist: a typo would
// otherwise stop all traffic to that country.
import { AppError } from '../domain/errors.ts';
import { requireOperator, type Actor } from '../domain/actor.ts';
import type { CountryRuleRow, RecordStore } from '../store/store.ts';

export interface CountryRuleInput { country: string; require_local?: boolean; allow_alphanumeric?: boolean; providers?: string[] | null; lookup?: boolean }

export async function upsertCountryRule(store: RecordStore, actor: Actor, input: CountryRuleInput): Promise<CountryRuleRow> {
  requireOperator(actor, 'a country rule');
  if (!/^[A-Z]{2}$/.test(input.country)) throw new AppError('validation_error', 'country must be an ISO 3166 alpha-2 code such as "US"', { field: 'country' });
  if (input.providers && input.providers.length > 0) {
    const known = new Set((await store.listProviders()).map((p) => p.id));
    const unknown = input.providers.find((p) => !known.has(p));
    if (unknown !== undefined) throw new AppError('validation_error', `no provider ${unknown}`, { field: 'providers' });
  }
  const now = Date.now();
  const existing = (await store.listCountryRules()).find((r) => r.country === input.country);
  const row: CountryRuleRow = {
    country: input.country, require_local: input.require_local ? 1 : 0, allow_alphanumeric: input.allow_alphanumeric === false ? 0 : 1,
    providers: input.providers && input.providers.length > 0 ? JSON.stringify(input.providers) : null, lookup: input.lookup ? 1 : 0,
    created_at: existing?.created_at ?? now, updated_at: now,
  };
  await store.upsertCountryRule(row);
  return row;
}
