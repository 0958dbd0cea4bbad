import { newId } from '../../src/domain/ids.ts';
import type { MessageRow, NewMessage, WebhookRow } from '../../src/store/store.ts';

export function messageRow(over: Partial<MessageRow> = {}): MessageRow {
  const now = over.created_at ?? Date.now();
  return {
    id: newId('msg'), account_id: 'default', api_key_id: null, to_number: '+14155550100', from_number: null,
    requested_from: null, country: 'US', body: 'hello', encoding: 'GSM-7', segments: 1, price: '0.0050', currency: 'USD',
    status: 'queued', provider_id: null, provider_message_id: null, callback_url: null, metadata: null, idempotency_key: null,
    send_at: null, expires_at: null, attempts: 0, throttled_attempts: 0, next_attempt_at: now, lease_owner: null,
    error_code: null, error_message: null, provider_error_code: null, created_at: now, updated_at: now, sent_at: null, final_at: null,
    ...over,
  };
}

export function newMessage(over: Partial<MessageRow> = {}, idempotency: NewMessage['idempotency'] = null): NewMessage {
  return { row: messageRow(over), idempotency };
}

export function webhookRow(over: Partial<WebhookRow> = {}): WebhookRow {
  const now = Date.now();
  return {
    id: newId('whk'), provider_id: 'simulator', kind: 'status', url: 'http://localhost/webhooks/simulator/status',
    headers: '{}', body: '{}', received_at: now, process_after: now, processed_at: null, lease_until: null, attempts: 0, error: null,
    ...over,
  };
}
