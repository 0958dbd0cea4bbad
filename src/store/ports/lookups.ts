// The carrier lookup cache (issue 28), shared by every process. Terms:
// - fresh: a row with a result whose expires_at is still ahead (SWITCHBOARD_LOOKUP_TTL_DAYS).
// - claim: the right to ask the provider about a number, a lease on its row; a number
//   not fresh and not under another's live lease can be claimed, so two processes never
//   look one number up at once. Whoever loses waits for the winner's row.
import type { LookupRow } from '../rows.ts';

export interface LookupCache {
  getLookup(number: string): Promise<LookupRow | undefined>;
  /** Takes the number's lease until `now + leaseMs` when it is not fresh and nobody else holds it; true when `owner` holds it. */
  claimLookup(number: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /** Stores a result (or a failure, `error` set), releasing the lease. */
  putLookup(row: LookupRow): Promise<void>;
}
