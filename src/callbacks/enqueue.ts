// Which status changes a caller hears about, and the callback row that carries it. The
// row is written in the same transaction as the status change, so a change is never
// committed without its callback (nor a callback without its change).
import { newId } from '../domain/ids.ts';
import type { MessageStatus } from '../domain/status.ts';
import type { CallbackRow, MessageRow } from '../store/store.ts';
import { presentMessage } from '../public/present.ts';
import { isFinal } from '../domain/status.ts';
import { parseSmppReceiptTarget, SMPP_RECEIPT } from '../domain/smpp.ts';

const ANNOUNCED: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'undelivered', 'failed', 'canceled', 'expired']);

export function callbackFor(message: MessageRow, now: number): CallbackRow | null {
  if (!message.callback_url || !ANNOUNCED.has(message.status)) return null;
  // A message submitted over SMPP asking for receipts: its final status, as deliver_sm receipts.
  const smpp = parseSmppReceiptTarget(message.callback_url);
  if (smpp && !isFinal(message.status)) return null;
  const [url, type, extra] = smpp
    ? [`smpp:${smpp.systemId}`, SMPP_RECEIPT, { parts: smpp.parts.map((p) => p ?? 0), dest: smpp.dest }]
    : [message.callback_url, 'message.status', {}];
  return newCallback({ id: newId('cbk'), account_id: message.account_id, api_key_id: message.api_key_id, message_id: message.id, url, type, payload: JSON.stringify({ type, ...extra, data: presentMessage(message) }) }, now);
}

/** A callback row, pending and due at once: what it is about, where it goes, and what it says. */
export function newCallback(c: Pick<CallbackRow, 'id' | 'account_id' | 'api_key_id' | 'message_id' | 'url' | 'type' | 'payload'>, now: number): CallbackRow {
  return { ...c, status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, last_error: null, created_at: now, updated_at: now, delivered_at: null };
}
