// Relay rules, relays and their attempts; masking sessions and their legs. All times are
// epoch milliseconds (numbers); JSON columns hold text.

/** An inbound number that forwards what it receives along a chain of destinations. */
export interface RelayRuleRow {
  number: string;
  account_id: string;
  /** JSON array of E.164 numbers, tried in order */
  destinations: string;
  /** placeholders {from}, {to}, {body} */
  template: string;
  /** 0 = deactivated (rules are never deleted, so the audit keeps its meaning) */
  active: number;
  created_at: number;
  updated_at: number;
}

export type RelayStatus = 'forwarding' | 'delivered' | 'failed' | 'blocked';

/**
 * One inbound text being relayed: the audit record. `position` is the destination being
 * tried (-1 before the first); it only moves forward, by compare-and-set, so processes
 * racing on the same receipt advance the chain once. `deadline_at` is when the current
 * attempt counts as failed without a final receipt.
 */
export interface RelayRow {
  id: string;
  account_id: string;
  /** the business number that was texted */
  number: string;
  /** who texted it */
  source: string;
  body: string;
  /** JSON array: the rule's chain when the text arrived (later edits do not change a relay under way) */
  destinations: string;
  inbound_id: string | null;
  /** with provider_message_id: unique, so one provider message is relayed at most once ('manual' for /sms/relay) */
  provider_id: string | null;
  provider_message_id: string | null;
  status: RelayStatus;
  /** why it was blocked or failed */
  reason: string | null;
  hops: number;
  position: number;
  deadline_at: number | null;
  created_at: number;
  updated_at: number;
}

export type RelayAttemptOutcome = 'pending' | 'delivered' | 'failed' | 'undelivered' | 'expired' | 'canceled' | 'timeout' | 'refused' | 'skipped';

/** One destination of a relay's chain: skipped, or sent as message_id with its outcome. */
export interface RelayAttemptRow {
  relay_id: string;
  position: number;
  destination: string;
  message_id: string | null;
  outcome: RelayAttemptOutcome;
  detail: string | null;
  started_at: number;
  finished_at: number | null;
}

/** A masking session: two participants, each texting its own proxy number. */
export interface MaskRow {
  id: string;
  account_id: string;
  context_id: string | null;
  participant_a: string;
  proxy_a: string;
  participant_b: string;
  proxy_b: string;
  expires_at: number;
  ended_at: number | null;
  /** 'expired' or 'deleted' once ended */
  end_reason: string | null;
  /** texts forwarded from a to b, and from b to a */
  messages_a: number;
  messages_b: number;
  created_at: number;
  updated_at: number;
}

/**
 * A participant's use of a proxy in a session. At most one active leg per (proxy,
 * participant): a partial unique index, so two sessions created at once cannot both give
 * a participant the same proxy.
 */
export interface MaskLegRow {
  mask_id: string;
  participant: string;
  proxy: string;
  expires_at: number;
  active: number;
}
