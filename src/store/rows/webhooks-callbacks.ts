// Raw provider webhooks and inbound texts; callbacks to callers and their attempts. All
// times are epoch milliseconds (numbers); JSON columns hold text.

export interface WebhookRow {
  id: string;
  provider_id: string;
  kind: 'status' | 'inbound';
  url: string;
  headers: string;
  body: string;
  received_at: number;
  process_after: number;
  processed_at: number | null;
  lease_until: number | null;
  attempts: number;
  error: string | null;
}

/** Every column of a raw webhook row (both stores' hot insert). */
export const WEBHOOK_COLUMNS = ['id', 'provider_id', 'kind', 'url', 'headers', 'body', 'received_at', 'process_after', 'processed_at', 'lease_until', 'attempts', 'error'] as const satisfies readonly (keyof WebhookRow)[];

/** One part of a long inbound text that arrived in parts (Vonage's concat-*), kept until all are here. */
export interface InboundPartRow {
  provider_id: string;
  from_number: string;
  /** the provider's reference shared by the parts */
  concat_ref: string;
  /** 1-based */
  part: number;
  total: number;
  provider_message_id: string;
  to_number: string;
  body: string;
  webhook_id: string;
  received_at: number;
}

export interface InboundRow {
  id: string;
  account_id: string;
  provider_id: string;
  provider_message_id: string;
  from_number: string;
  to_number: string;
  body: string;
  webhook_id: string;
  received_at: number;
  created_at: number;
  /** the conversation of its pair (domain/conversations.ts) */
  conversation_id?: string | null;
  /** the message it answers: the latest one sent on its pair within the reply window */
  in_reply_to?: string | null;
}

/** The texts between one business number and one customer, both ways. */
export interface ConversationRow { id: string; account_id: string; business_number: string; customer_number: string; created_at: number }

export interface CallbackRow {
  id: string;
  account_id: string;
  api_key_id: string | null;
  message_id: string;
  url: string;
  type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface CallbackAttemptRow {
  id: string;
  callback_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  started_at: number;
  duration_ms: number;
}
