// Who is acting, as the services see it: an account, and whether the caller is an
// operator (the bootstrap key, a key with the `operator` scope, or the CLI, which holds
// the database itself). Operators manage what all accounts share; everyone else acts
// only inside their own account.
import { AppError } from './errors.ts';

export interface Actor { readonly accountId: string; readonly operator: boolean }

/**
 * The account a fresh install starts with. Its numbers are the shared pool: routing
 * falls back to them for any account that has none of its own, so only operators
 * change them.
 */
export const DEFAULT_ACCOUNT = 'default';

/** The account of operators' events (provider circuits, configuration changes): only an operator reads them. */
export const SYSTEM_ACCOUNT = '_system';

/** The CLI and `switchboard apply`: whoever can open the database is an operator. */
export const CLI_OPERATOR: Actor = Object.freeze({ accountId: DEFAULT_ACCOUNT, operator: true });

/** Refuses anyone but an operator. */
export function requireOperator(actor: Actor, what: string): void {
  if (!actor.operator) throw new AppError('forbidden', `${what} is shared by every account: only an operator key may do this`);
}

/**
 * The account a read covers: a caller's own, always; an operator's, the one it names
 * (`?account_id=`) or every account (undefined) when it names none.
 */
export function readScope(actor: Actor, requested: string | undefined): string | undefined {
  if (actor.operator) return requested || undefined;
  if (requested !== undefined && requested !== actor.accountId) throw new AppError('forbidden', 'only an operator key may read another account', { field: 'account_id' });
  return actor.accountId;
}

/**
 * The one account a call acts in: the caller's own, or for an operator the one it names
 * (writes for another account; reads of one account's ledger: messages, inbound, masks,
 * opt-outs).
 */
export function actingAccount(actor: Actor, requested: string | undefined, fallback = actor.accountId): string {
  if (requested === undefined) return fallback;
  if (requested !== actor.accountId && !actor.operator) throw new AppError('forbidden', 'only an operator key may act for another account', { field: 'account_id' });
  return requested;
}

/** Whether `actor` may see or change a record of `accountId`. */
export function canSee(actor: Actor, accountId: string): boolean {
  return actor.operator || actor.accountId === accountId;
}
