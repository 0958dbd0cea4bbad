// Shared set-up for the store contract cases.
import assert from 'node:assert/strict';
import type { MessagePartRow, MessageRow, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage } from '../../helpers/rows.ts';

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

