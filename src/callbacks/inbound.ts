// Inbound texts to the application: a text received on a number that names an
// `inbound_url` is posted there as `{"type": "message.inbound", "data": <inbound message>}`,
// signed (Standard Webhooks) with the secret of the key that set the URL, through the same
// durable, retried callback queue as status callbacks. One callback per text: its id comes
// from the text's, so a replayed webhook queues nothing twice.
import type { CallbackRow, InboundRow } from '../store/store.ts';
import { presentInbound } from '../public/present.ts';

export const INBOUND_TYPE = 'message.inbound';

/** Where a number's inbound texts go, if anywhere. */
export type InboundTarget = (number: string) => { url: string; keyId: string | null } | undefined;

export function inboundCallbacks(rows: readonly InboundRow[], target: InboundTarget, now: number): CallbackRow[] {
  return rows.flatMap((m) => {
    const to = target(m.to_number);
    if (!to) return [];
    const payload = JSON.stringify({ type: INBOUND_TYPE, data: presentInbound(m) });
    return [{
      id: `cbk_${m.id.slice(m.id.indexOf('_') + 1)}`, account_id: m.account_id, api_key_id: to.keyId, message_id: m.id,
      url: to.url, type: INBOUND_TYPE, payload, status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, last_error: null,
      created_at: now, updated_at: now, delivered_at: null,
    } satisfies CallbackRow];
  });
}
