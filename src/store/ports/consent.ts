// The consent ledger (domain/consent.ts has the terms: record, scope, opt-out, category,
// settings). A record is written once and never changed; the opt-outs intake checks
// (RecordStore.listOptOuts, and the insert's own check) are what the records leave, and
// change in the record's transaction. A record made by staff (API, dashboard, CLI, apply,
// import) is also a configuration change, audited with it (ports/audit.ts); a recipient's
// own (a keyword, a confirmation) is in the ledger alone.
import type { ConsentRecordRow } from '../../domain/consent.ts';

/** A record as written: its actor is the one under way (domain/audit.ts auditActor). */
export type NewConsentRecord = Omit<ConsentRecordRow, 'actor_kind' | 'actor_id' | 'actor_name'>;

export interface ConsentLedger {
  /**
   * Writes the record and applies it: an opt-out adds its scope's opt-out (kept as it is
   * when there already); an opt-in removes its scope's (an account-wide one, all of the
   * recipient's); a confirmation request changes none. Answers how many opt-outs it added
   * or removed.
   */
  recordConsent(r: NewConsentRecord): Promise<number>;
  /** one recipient's records in one account, oldest first */
  listConsent(accountId: string, number: string): Promise<ConsentRecordRow[]>;
  /** every account's stored settings (JSON; null: the defaults) */
  listAccountSettings(): Promise<{ id: string; settings: string | null }[]>;
  /** stores an account's settings (audited); creates the account if needed */
  setAccountSettings(accountId: string, settings: string, now: number): Promise<void>;
}
