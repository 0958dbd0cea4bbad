// Which status changes a caller hears about, and the callback row that carries it. The
// row is written in the same transaction as the status change, so a change is never
// committed without its callback (nor a callback without its change).
import { newId } from '../domain/ids.ts';
import type { CallbackRow, MessageRow, OutboxRow } from '../store/store.ts';
import { presentMessage } from '../public/present.ts';
import { announces, statusEvents } from '../public/events.ts';
import { isFinal } from '../domain/status.ts';
import { parseSmppReceiptTarget, SMPP_RECEIPT } from '../domain/smpp.ts';


/** `data`: the message as presented already (the change's event carries the same), so it is presented once. */
export function callbackFor(message: MessageRow, now: number, data?: ReturnType<typeof presentMessage>): CallbackRow | null {
  if (!message.callback_url || !announces(message.status)) return null;
  // A message submitted over SMPP asking for receipts: its final status, as deliver_sm receipts.
  const smpp = parseSmppReceiptTarget(message.callback_url);
  if (smpp && !isFinal(message.status)) return null;
  const [url, type, extra] = smpp
    ? [`smpp:${smpp.systemId}`, SMPP_RECEIPT, { parts: smpp.parts.map((p) => p ?? 0), dest: smpp.dest }]
    : [message.callback_url, 'message.status', {}];
  return newCallback({ id: newId('cbk'), account_id: message.account_id, api_key_id: message.api_key_id, message_id: message.id, url, type, payload: JSON.stringify({ type, ...extra, data: data ?? presentMessage(message) }) }, now);
}

/**
 * A status change's announcements: its event (public/events.ts), and the caller's callback
 * when it has one, the message presented once for both (the send and receipt paths are hot).
 */
export function announce(m: MessageRow, now: number): { callback: CallbackRow | null; outbox: OutboxRow[] } {
  const data = announces(m.status) ? presentMessage(m) : undefined;
  return { callback: callbackFor(m, now, data), outbox: statusEvents(m, now, data) };
}

/** A callback row, pending and due at once: what it is about, where it goes, and what it says. */
export function newCallback(c: Pick<CallbackRow, 'id' | 'account_id' | 'api_key_id' | 'message_id' | 'url' | 'type' | 'payload'>, now: number): CallbackRow {
  return { ...c, status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, last_error: null, created_at: now, updated_at: now, delivered_at: null };
}
