// Provider records: what every account's messages are sent through, so only operators
// write them (API, `switchboard apply`). Credentials are environment variable names,
// never values, and only names SWITCHBOARD_PROVIDER_ENV allows.
import { keyKind } from '../routing/network.ts';
import { AppError } from '../domain/errors.ts';
import { requireOperator, type Actor } from '../domain/actor.ts';
import { validateProviderConfig } from '../providers/registry.ts';
import { PROVIDER_KINDS, providerModule } from '../providers/modules.ts';
import { credentialRefs, envNameAllowed } from '../providers/credentials.ts';
import type { ProviderRow, RecordStore } from '../store/store.ts';

export interface ProviderInput { id: string; kind: string; priority?: number; active?: boolean; config?: Record<string, unknown>; prices?: Record<string, string> }
export interface ProviderRules { providerEnv: readonly string[] }

/** Validates and writes a provider record. */
export async function upsertProvider(store: RecordStore, actor: Actor, input: ProviderInput, rules: ProviderRules): Promise<ProviderRow> {
  requireOperator(actor, 'a provider');
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.id)) throw new AppError('validation_error', 'id must be lowercase letters, digits, - and _', { field: 'id' });
  const module = providerModule(input.kind);
  if (!module) throw new AppError('validation_error', `unknown kind ${input.kind}; known: ${PROVIDER_KINDS.join(', ')}`, { field: 'kind' });
  const config = input.config ?? {};
  for (const [key, name] of credentialRefs(config)) {
    if (typeof name !== 'string' || !envNameAllowed(name, rules.providerEnv)) {
      throw new AppError('env_not_allowed', `config.${key} names ${JSON.stringify(name)}, which SWITCHBOARD_PROVIDER_ENV (${rules.providerEnv.join(', ') || 'empty'}) does not allow`, { field: `config.${key}` });
    }
  }
  const problems = validateProviderConfig(module, config);
  const secret = problems.find((p) => p.includes('looks like a secret'));
  if (secret) throw new AppError('secret_value_given', secret, { field: 'config' });
  if (problems.length) throw new AppError('validation_error', problems.join('; '), { field: 'config' });
  for (const [country, price] of Object.entries(input.prices ?? {})) {
    if (keyKind(country) === null) throw new AppError('validation_error', `prices key ${JSON.stringify(country)} must be a country ("US"), a number prefix ("+4477"), a network ("310-260": MCC-MNC) or "*"`, { field: `prices.${country}` });
    if (!/^\d+(\.\d{1,6})?$/.test(price)) throw new AppError('validation_error', `price for ${country} must be a decimal string like "0.0079"`, { field: `prices.${country}` });
  }
  const now = Date.now();
  const existing = (await store.listProviders()).find((p) => p.id === input.id);
  const row: ProviderRow = {
    id: input.id, kind: input.kind, priority: input.priority ?? existing?.priority ?? 10, active: input.active === false ? 0 : 1,
    config: JSON.stringify(config), prices: JSON.stringify(input.prices ?? {}), created_at: existing?.created_at ?? now, updated_at: now,
  };
  await store.upsertProvider(row);
  return row;
}

/** Deactivates a provider (the record is kept). */
export async function deactivateProvider(store: RecordStore, actor: Actor, id: string): Promise<ProviderRow> {
  requireOperator(actor, 'a provider');
  const existing = (await store.listProviders()).find((p) => p.id === id);
  if (!existing) throw new AppError('not_found', `no provider ${id}`);
  const row = { ...existing, active: 0, updated_at: Date.now() };
  await store.upsertProvider(row);
  return row;
}
