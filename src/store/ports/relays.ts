// Relay rules and their audit: one row per relayed text (unique per provider message,
// so a retried webhook relays once) and one per destination tried. A relay moves down
// its chain by compare-and-set on its position, so two processes never both advance it.
import type { RelayAttemptRow, RelayRow, RelayRuleRow, RelayStatus } from '../rows.ts';

export interface RelayStore {
  upsertRelayRule(row: RelayRuleRow): Promise<void>;
  /** every rule, or one account's */
  listRelayRules(accountId?: string): Promise<RelayRuleRow[]>;
  getRelayRule(number: string): Promise<RelayRuleRow | undefined>;
  /** false when this provider message was already relayed */
  insertRelay(row: RelayRow): Promise<boolean>;
  getRelay(id: string): Promise<RelayRow | undefined>;
  /** newest first; `before` is an id cursor */
  listRelays(f: { accountId?: string; number?: string; before?: string; limit: number }): Promise<RelayRow[]>;
  /** compare-and-set: applies `set` only while the relay is forwarding at position `from` */
  updateRelay(id: string, from: number, set: Partial<Pick<RelayRow, 'status' | 'reason' | 'position' | 'deadline_at'>>, now: number): Promise<boolean>;
  /** relays whose current attempt is due for a look (deadline passed), oldest first */
  dueRelays(now: number, limit: number): Promise<RelayRow[]>;
  /** inserts the attempt unless this relay already has one at that position */
  insertRelayAttempt(row: RelayAttemptRow): Promise<void>;
  updateRelayAttempt(relayId: string, position: number, set: Partial<Pick<RelayAttemptRow, 'message_id' | 'outcome' | 'detail' | 'finished_at'>>): Promise<void>;
  listRelayAttempts(relayIds: string[]): Promise<RelayAttemptRow[]>;
  /** relays by how they stand, since a time: every account's, or one's */
  countRelays(since: number, accountId?: string): Promise<{ status: RelayStatus; n: number }[]>;
}
