// Shared set-up for the store contract cases.
import assert from 'node:assert/strict';
import type { MessagePartRow, MessageRow, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import type { ConsentSource } from '../../../src/domain/consent.ts';

export function part(messageId: string, index: number, ref: string, now: number): MessagePartRow {
  return { message_id: messageId, part_index: index, provider_id: 'sim', provider_message_id: ref, status: 'sent', error_code: null, error_message: null, provider_error_code: null, created_at: now, updated_at: now, reconciled_at: null };
}

/** A message the provider accepted in parts with these ids (recorded the way the worker does). */
export async function sentMessage(store: Store, refs: string[], now: number): Promise<MessageRow> {
  const m = newMessage({ status: 'sending', lease_owner: 'w-parts', next_attempt_at: now + 30_000, segments: refs.length });
  await store.insertMessages([m]);
  const applied = await store.recordOutcomes([{
    messageId: m.row.id, leaseOwner: 'w-parts', now, attempts: [], event: null, callback: null,
    parts: refs.map((ref, i) => part(m.row.id, i, ref, now)),
    set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: 'sim', provider_message_id: refs[0], sent_at: now },
  }]);
  assert.ok(applied.has(m.row.id));
  return m.row;
}

export const receiptFor = (webhookId: string, ref: string, status: ReceiptWrite['status'], now: number, errorCode: string | null = null): ReceiptWrite =>
  ({ webhookId, providerId: 'sim', providerMessageId: ref, status, providerStatus: status ?? 'unknown', errorCode: errorCode ? 'unreachable' : null, providerErrorCode: errorCode, errorMessage: errorCode ? 'part not delivered' : null, occurredAt: now, detail: null });


/** A consent record (opt-out or opt-in) of one scope, written the way the ledger takes them. */
export async function consent(store: Store, o: { account: string; number: string; action?: 'opt_out' | 'opt_in'; sender?: string; topic?: string; source?: ConsentSource; inbound?: { id: string; text: string }; id?: string }): Promise<number> {
  const sender = o.sender ?? '';
  const topic = o.topic ?? '';
  return store.recordConsent({
    id: o.id ?? newId('cns'), account_id: o.account, number: o.number, action: o.action ?? 'opt_out', scope: topic ? 'topic' : sender ? 'sender' : 'account',
    sender, topic, source: o.source ?? 'keyword', inbound_id: o.inbound?.id ?? null, inbound_text: o.inbound?.text ?? null, created_at: Date.now(),
  });
}
