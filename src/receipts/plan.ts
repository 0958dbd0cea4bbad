// What a receipt does to a message: pure, shared by both stores so they cannot disagree.
// A receipt is about one part (what the provider gave its own id to) and is always kept
// as an event. The part's status moves only forward; the message then rolls up from its
// parts: delivered only when every part is, undelivered as soon as one part fails (with
// that part's error). With a single part, the receipt is the message's, as it always was.
// Forward only throughout, so a late `sent` after `delivered`, or the same receipt twice,
// changes nothing. After a failover on no receipt the message has two sends: the first
// provider's parts are kept as superseded (part_index + SUPERSEDED_PART) and the rollup
// is the current send's; a superseded part's late receipt is recorded on its part, and
// makes the message delivered only when it says the first send was (so it is final
// once, whichever send's receipt comes first).
import { canTransition, isFinal, type MessageStatus } from '../domain/status.ts';
import { newId } from '../domain/ids.ts';
import type { EventRow, MessagePartRow, MessageRow, ReceiptPlan, ReceiptPlanner, ReceiptPlannerModule, ReceiptWrite } from '../store/store.ts';
import { SUPERSEDED_PART } from '../store/rows.ts';
import { announce } from '../callbacks/enqueue.ts';
import { receiptEvent } from '../public/events.ts';

const FAILED: ReadonlySet<MessageStatus> = new Set(['undelivered', 'failed']);

/**
 * The status a message of these parts has reached (null: nothing to say yet): undelivered
 * once a part failed; delivered when all were; expired when all are final but some got no
 * report in time; else still sent.
 */
export function rollUp(parts: readonly Pick<MessagePartRow, 'status'>[]): MessageStatus | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0].status;
  if (parts.some((p) => FAILED.has(p.status))) return 'undelivered';
  if (parts.every((p) => p.status === 'delivered')) return 'delivered';
  if (parts.every((p) => p.status === 'delivered' || p.status === 'expired')) return 'expired';
  return 'sent';
}

export const planReceipt: ReceiptPlanner = (message: MessageRow, all: readonly MessagePartRow[], r: ReceiptWrite, now: number): ReceiptPlan => {
  const target = all.find((p) => p.provider_id === r.providerId && p.provider_message_id === r.providerMessageId);
  // The send the receipt is about: the current one, or the one superseded by a failover on no receipt.
  const superseded = target !== undefined && target.part_index >= SUPERSEDED_PART;
  const parts = all.filter((p) => (p.part_index >= SUPERSEDED_PART) === superseded);
  const event: EventRow = {
    id: newId('evt'),
    message_id: message.id,
    type: 'receipt',
    status: r.status,
    provider_id: r.providerId,
    provider_status: r.providerStatus,
    // The event keeps the receipt as the provider sent it: its own code.
    error_code: r.providerErrorCode ?? r.errorCode,
    webhook_id: r.webhookId,
    occurred_at: r.occurredAt,
    created_at: now,
    detail: r.detail ?? (superseded ? `the send superseded by a failover on no receipt${parts.length > 1 ? `, part ${target.part_index - SUPERSEDED_PART + 1} of ${parts.length}` : ''}`
      : target && parts.length > 1 ? `part ${target.part_index + 1} of ${parts.length}` : null),
  };
  const moves = (from: MessageStatus, to: MessageStatus | null): to is MessageStatus =>
    to !== null && to !== 'queued' && to !== 'scheduled' && canTransition(from, to);
  let part: ReceiptPlan['part'] = null;
  let status: MessageStatus | null = r.status;
  const error = { error_code: r.errorCode, error_message: r.errorMessage, provider_error_code: r.providerErrorCode };
  let failing: Pick<MessagePartRow, 'error_code' | 'error_message' | 'provider_error_code'> = error;
  if (target && parts.length > 1) {
    // Several parts: the message follows its parts, not this one receipt.
    if (moves(target.status, r.status)) part = { index: target.part_index, set: { status: r.status, ...error, updated_at: now } };
    const after = parts.map((p) => (part && p.part_index === part.index ? { ...p, ...part.set } : p));
    status = rollUp(after);
    failing = after.find((p) => FAILED.has(p.status)) ?? failing;
  } else if (target && moves(target.status, r.status)) {
    part = { index: target.part_index, set: { status: r.status, ...error, updated_at: now } };
  }
  // A superseded send's receipt finishes the message only by saying it was delivered; its failure leaves the current send to go on.
  if (superseded && status !== 'delivered') status = null;
  const receipt = receiptEvent(message, event, now);
  if (!moves(message.status, status)) return { event, part, set: null, callback: null, outbox: [receipt] };
  const set: Partial<MessageRow> = { status, updated_at: now, next_attempt_at: null, lease_owner: null };
  if (status === 'sent' || isFinal(status)) set.sent_at = message.sent_at ?? r.occurredAt;
  if (isFinal(status)) { set.final_at = now; set.failover_at = null; }
  if (failing.error_code) { set.error_code = failing.error_code; set.error_message = failing.error_message; set.provider_error_code = failing.provider_error_code; }
  const { callback, outbox } = announce({ ...message, ...set }, now);
  return { event, part, set, callback, outbox: [receipt, ...outbox] };
};

/** The planner as a store's writer thread imports it (store/sqlite/threaded-store.ts). */
export const RECEIPT_PLANNER: ReceiptPlannerModule = { plan: planReceipt, url: import.meta.url, name: 'planReceipt' };
