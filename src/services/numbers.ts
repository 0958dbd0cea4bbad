// The number pool: senders routing chooses from. Which numbers exist, their provider,
// pool, rate and owning account are shared routing state, written by operators. An
// account's admin may only switch its own numbers on or off and set what they may carry
// (`active`, `capabilities`, `inbound_url`); the default account's numbers are everyone's fallback
// pool, so they stay with operators. A number's type sets its default send rate (long
// code 1/s, toll-free 3/s, short code 100/s: domain.md §8.2).
import parsePhoneNumber from 'libphonenumber-js/max';
import { AppError } from '../domain/errors.ts';
import { DEFAULT_ACCOUNT, type Actor } from '../domain/actor.ts';
import { parsePhone, isAlphanumericSender } from '../domain/phone.ts';
import { DEFAULT_RATES } from '../routing/numbers.ts';
import type { NumberRow, NumberType, RecordStore } from '../store/store.ts';

export interface NumberInput {
  number: string; provider_id: string; account_id?: string; country?: string; type?: NumberType;
  capabilities?: string[]; rate_per_second?: number; pool?: string; active?: boolean;
  /** where the texts it receives are posted (null clears it); set by whoever may manage the number */
  inbound_url?: string | null;
}

export const NUMBER_TYPES: NumberType[] = ['longcode', 'shortcode', 'tollfree', 'alphanumeric'];
export const CAPABILITIES = ['sms', 'mms', 'voice', 'international'];
export const POOLS = ['default', 'masking'];

/** What kind of sender `input.number` is, and its normalized form and country. */
function classify(input: Pick<NumberInput, 'number' | 'type' | 'country'>): { number: string; country: string | null; type: NumberType } {
  const bad = (message: string, field = 'number') => new AppError('validation_error', message, { field });
  const phone = parsePhone(input.number);
  if (phone.ok) {
    const detected = parsePhoneNumber(phone.e164)?.getType() === 'TOLL_FREE' ? 'tollfree' : 'longcode';
    const type = input.type ?? detected;
    if (type === 'alphanumeric' || type === 'shortcode') throw bad(`${input.number} is a phone number, not a ${type} sender`, 'type');
    if (input.country && phone.country && input.country !== phone.country) throw bad(`${input.number} is a ${phone.country} number, not ${input.country}`, 'country');
    return { number: phone.e164, country: phone.country ?? input.country ?? null, type };
  }
  if (/^\d{3,8}$/.test(input.number)) {
    if (input.type && input.type !== 'shortcode') throw bad(`${input.number} is a short code`, 'type');
    if (!input.country) throw bad('a short code needs its country', 'country');
    return { number: input.number, country: input.country, type: 'shortcode' };
  }
  if (isAlphanumericSender(input.number)) {
    if (input.type && input.type !== 'alphanumeric') throw bad(`${input.number} is an alphanumeric sender id`, 'type');
    return { number: input.number, country: null, type: 'alphanumeric' };
  }
  throw bad(`${input.number} is neither an E.164 number, a short code nor an alphanumeric sender id (3–11 letters/digits)`);
}

/** Whether `actor` may change `row` at all (operators always; admins their own, unshared numbers). */
function mayManage(actor: Actor, row: NumberRow): boolean {
  return actor.operator || (row.account_id === actor.accountId && row.account_id !== DEFAULT_ACCOUNT);
}

/** The numbers `actor` may see: all for an operator (or one account's); otherwise its own and the shared pool. */
export async function listNumbers(store: RecordStore, actor: Actor, accountId?: string): Promise<NumberRow[]> {
  const rows = await store.listNumbers();
  if (actor.operator) return accountId ? rows.filter((n) => n.account_id === accountId) : rows;
  return rows.filter((n) => n.account_id === actor.accountId || (accountId === undefined && n.account_id === DEFAULT_ACCOUNT));
}

/** One number `actor` may see (404 otherwise, so other accounts' numbers do not show). */
export async function getNumber(store: RecordStore, actor: Actor, number: string): Promise<NumberRow> {
  const row = (await store.listNumbers()).find((r) => r.number === number);
  if (!row || !(actor.operator || row.account_id === actor.accountId || row.account_id === DEFAULT_ACCOUNT)) throw new AppError('not_found', `no number ${number}`);
  return row;
}

/** Validates and writes a number record (API, CLI and `switchboard apply`). */
export async function upsertNumber(store: RecordStore, actor: Actor & { keyId?: string | null }, input: NumberInput): Promise<NumberRow> {
  const { number, country, type } = classify(input);
  const existing = (await store.listNumbers()).find((n) => n.number === number);
  if (!actor.operator) {
    if (!existing || !mayManage(actor, existing)) {
      throw new AppError('forbidden', `${number} is not one of this account's own numbers: adding numbers and assigning them to accounts needs an operator key`, { field: 'number' });
    }
    // Everything but active and capabilities is routing state other accounts depend on.
    const fixed: [keyof NumberInput, unknown, unknown][] = [
      ['provider_id', input.provider_id, existing.provider_id], ['account_id', input.account_id, existing.account_id],
      ['country', input.country === undefined ? undefined : country, existing.country], ['type', input.type, existing.type],
      ['rate_per_second', input.rate_per_second, existing.rate_per_second], ['pool', input.pool, existing.pool],
    ];
    for (const [field, given, stored] of fixed) {
      if (given !== undefined && given !== stored) throw new AppError('forbidden', `only an operator key may change a number's ${field}`, { field });
    }
  }
  const providers = await store.listProviders();
  if (!providers.some((p) => p.id === input.provider_id)) throw new AppError('validation_error', `no provider ${input.provider_id}`, { field: 'provider_id' });
  for (const c of input.capabilities ?? []) if (!CAPABILITIES.includes(c)) throw new AppError('validation_error', `unknown capability ${c}; known: ${CAPABILITIES.join(', ')}`, { field: 'capabilities' });
  if (input.pool !== undefined && !POOLS.includes(input.pool)) throw new AppError('validation_error', `pool must be one of ${POOLS.join(', ')}`, { field: 'pool' });
  const now = Date.now();
  const account = input.account_id ?? existing?.account_id ?? DEFAULT_ACCOUNT;
  await store.ensureAccount(account, account, now);
  const row: NumberRow = {
    number, provider_id: input.provider_id, account_id: account, country, type,
    capabilities: JSON.stringify(input.capabilities ?? (existing ? JSON.parse(existing.capabilities) : ['sms'])),
    rate_per_second: input.rate_per_second ?? existing?.rate_per_second ?? DEFAULT_RATES[type], pool: input.pool ?? existing?.pool ?? 'default',
    active: input.active === false ? 0 : 1, created_at: existing?.created_at ?? now, updated_at: now,
    // Inbound texts are signed with the secret of the key that named where they go.
    ...(input.inbound_url !== undefined
      ? { inbound_url: input.inbound_url, inbound_key_id: input.inbound_url === null ? null : actor.keyId ?? null }
      : { inbound_url: existing?.inbound_url ?? null, inbound_key_id: existing?.inbound_key_id ?? null }),
  };
  await store.upsertNumber(row);
  return row;
}

/** Deactivates a number (the record is kept). */
export async function deactivateNumber(store: RecordStore, actor: Actor, number: string): Promise<NumberRow> {
  const existing = await getNumber(store, actor, number);
  if (!mayManage(actor, existing)) throw new AppError('forbidden', `${number} is in the shared pool: only an operator key may deactivate it`, { field: 'number' });
  const row = { ...existing, active: 0, updated_at: Date.now() };
  await store.upsertNumber(row);
  return row;
}
