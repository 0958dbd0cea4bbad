// Route rules by prefix and by network (routing/network.ts): for every account's messages,
// so only operators write them. A rule names providers that exist (a typo would stop the
// traffic it matches) and at least one of them.
import { AppError } from '../domain/errors.ts';
import { requireOperator, type Actor } from '../domain/actor.ts';
import type { RecordStore, RouteRuleRow } from '../store/store.ts';
import { keyKind, normalKey } from '../routing/network.ts';

export interface RouteRuleInput { match: string; providers: string[] }

export async function upsertRouteRule(store: RecordStore, actor: Actor, input: RouteRuleInput): Promise<RouteRuleRow> {
  requireOperator(actor, 'a route rule');
  const kind = keyKind(input.match);
  if (kind !== 'prefix' && kind !== 'network') throw new AppError('validation_error', 'match must be a number prefix ("+4477") or a network ("310-260": MCC-MNC)', { field: 'match' });
  if (input.providers.length === 0) throw new AppError('validation_error', 'name at least one provider', { field: 'providers' });
  const known = new Set((await store.listProviders()).map((p) => p.id));
  const unknown = input.providers.find((p) => !known.has(p));
  if (unknown !== undefined) throw new AppError('validation_error', `no provider ${unknown}`, { field: 'providers' });
  // One written form per network, so "310260" and "310-260" are one rule.
  const match = normalKey(input.match);
  const now = Date.now();
  const existing = (await store.listRouteRules()).find((r) => r.match === match);
  const row: RouteRuleRow = { match, providers: JSON.stringify(input.providers), created_at: existing?.created_at ?? now, updated_at: now };
  await store.upsertRouteRule(row);
  return row;
}
