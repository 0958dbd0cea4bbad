// What a receipt does to a message: pure, shared by both stores so they cannot disagree.
// A receipt is always kept as an event; it moves the status only forward, so a late
// `sent` after `delivered`, or the same receipt twice, changes nothing.
import { canTransition, isFinal } from '../domain/status.ts';
import { newId } from '../domain/ids.ts';
import type { CallbackRow, EventRow, MessageRow, ReceiptWrite } from '../store/store.ts';
import { callbackFor } from '../callbacks/enqueue.ts';

export interface ReceiptPlan {
  event: EventRow;
  /** fields to set on the message, or null when the status does not move */
  set: Partial<MessageRow> | null;
  /** the caller's callback announcing the change */
  callback: CallbackRow | null;
}

export function planReceipt(message: MessageRow, r: ReceiptWrite, now: number): ReceiptPlan {
  const event: EventRow = {
    id: newId('evt'),
    message_id: message.id,
    type: 'receipt',
    status: r.status,
    provider_id: r.providerId,
    provider_status: r.providerStatus,
    error_code: r.errorCode,
    webhook_id: r.webhookId,
    occurred_at: r.occurredAt,
    created_at: now,
    detail: r.detail,
  };
  if (!r.status || !canTransition(message.status, r.status) || r.status === 'queued' || r.status === 'scheduled') {
    return { event, set: null, callback: null };
  }
  const set: Partial<MessageRow> = { status: r.status, updated_at: now, next_attempt_at: null, lease_owner: null };
  if (r.status === 'sent' || isFinal(r.status)) set.sent_at = message.sent_at ?? r.occurredAt;
  if (isFinal(r.status)) set.final_at = now;
  if (r.errorCode) { set.error_code = r.errorCode; set.error_message = r.errorMessage; }
  return { event, set, callback: callbackFor({ ...message, ...set }, now) };
}
