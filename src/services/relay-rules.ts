// Relay rules: an inbound number → an ordered chain of destinations. A rule belongs to
// the account that owns the number; an account's admin writes rules only for its own
// numbers (and cannot name another account), so no tenant can redirect another's
// inbound texts. Deleting deactivates (the audit keeps pointing at the rule).
import { AppError } from '../domain/errors.ts';
import { canSee, DEFAULT_ACCOUNT, actingAccount, type Actor } from '../domain/actor.ts';
import { requirePhone as e164 } from '../domain/phone.ts';
import type { RecordStore, RelayRuleRow, RelayStore } from '../store/store.ts';
import { DEFAULT_TEMPLATE, templateProblem } from '../relay/template.ts';

export interface RelayRuleInput { number: string; destinations: string[]; template?: string; active?: boolean; account_id?: string }

export const MAX_DESTINATIONS = 10;

/**
 * Who owns an inbound number: its row in the number pool, else `implicitOwner` (a
 * provider's configured sender, which the router knows), else nobody.
 */
export type OwnerOf = (number: string) => string | undefined;

/** Validates and writes a relay rule (API and `switchboard apply`). */
export async function upsertRelayRule(store: RecordStore & RelayStore, actor: Actor, input: RelayRuleInput, implicitOwner: OwnerOf = () => undefined): Promise<RelayRuleRow> {
  const number = e164(input.number, 'number');
  const numbers = await store.listNumbers();
  const owner = numbers.find((n) => n.number === number)?.account_id ?? implicitOwner(number);
  const existing = await store.getRelayRule(number);
  if (!actor.operator && (owner !== actor.accountId || (existing && existing.account_id !== actor.accountId))) {
    throw new AppError('forbidden', `${number} is not one of this account's numbers`, { field: 'number' });
  }
  const account = actingAccount(actor, input.account_id, existing?.account_id ?? owner ?? DEFAULT_ACCOUNT);
  const destinations = input.destinations.map((d) => e164(d, 'destinations'));
  if (destinations.length === 0 || destinations.length > MAX_DESTINATIONS) throw new AppError('validation_error', `give 1 to ${MAX_DESTINATIONS} destinations`, { field: 'destinations' });
  if (new Set(destinations).size !== destinations.length) throw new AppError('validation_error', 'a destination is listed twice', { field: 'destinations' });
  for (const d of destinations) {
    // Relaying to a number we own would feed the text straight back in: a loop.
    if (d === number || numbers.some((n) => n.number === d) || implicitOwner(d) !== undefined) {
      throw new AppError('invalid_relay_destination', `${d} is one of our own numbers`, { field: 'destinations' });
    }
  }
  const template = input.template ?? DEFAULT_TEMPLATE;
  const problem = templateProblem(template);
  if (problem) throw new AppError('validation_error', problem, { field: 'template' });
  const now = Date.now();
  await store.ensureAccount(account, account, now);
  const row: RelayRuleRow = {
    number, account_id: account, destinations: JSON.stringify(destinations), template, active: input.active === false ? 0 : 1,
    created_at: existing?.created_at ?? now, updated_at: now,
  };
  await store.upsertRelayRule(row);
  return row;
}

/** The rule of `number`, if `actor` may see it (404 otherwise: other accounts' rules do not show). */
export async function getRelayRule(store: RecordStore & RelayStore, actor: Actor, number: string): Promise<RelayRuleRow> {
  const row = await store.getRelayRule(number);
  if (!row || !canSee(actor, row.account_id)) throw new AppError('not_found', `no relay rule for ${number}`);
  return row;
}

export async function deactivateRelayRule(store: RecordStore & RelayStore, actor: Actor, number: string): Promise<RelayRuleRow> {
  const row = { ...(await getRelayRule(store, actor, number)), active: 0, updated_at: Date.now() };
  await store.upsertRelayRule(row);
  return row;
}
