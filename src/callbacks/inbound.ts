// Inbound texts to the application: a text received on a number that names an
// `inbound_url` is posted there as `{"type": "message.inbound", "data": <inbound message>}`,
// signed (Standard Webhooks) with the secret of the key that set the URL, through the same
// durable, retried callback queue as status callbacks. One callback per text: its id comes
// from the text's, so a replayed webhook queues nothing twice. A STOP or START is also
// announced as the consent change it made (`consent.opt_out`, `consent.opt_in`).
import type { CallbackRow, InboundRow } from '../store/store.ts';
import { presentInbound } from '../public/present.ts';
import { newCallback } from './enqueue.ts';

export const INBOUND_TYPE = 'message.inbound';

/** Where a number's inbound texts go, if anywhere. */
export type InboundTarget = (number: string) => { url: string; keyId: string | null } | undefined;

export function inboundCallbacks(rows: readonly InboundRow[], target: InboundTarget, now: number): CallbackRow[] {
  return rows.flatMap((m) => {
    const to = target(m.to_number);
    return to ? [callbackRow(m, to, INBOUND_TYPE, presentInbound(m), '', now)] : [];
  });
}

/** What a keyword changed: the customer opted out (STOP) or back in (START), of the account or of one number. */
export type ConsentChange = 'consent.opt_out' | 'consent.opt_in';

/** The consent change a keyword text made, announced beside the text itself (one per text). */
export function consentCallback(m: InboundRow, change: ConsentChange, sender: string, target: InboundTarget, now: number): CallbackRow | null {
  const to = target(m.to_number);
  if (!to) return null;
  const data = { number: m.from_number, scope: sender === '' ? 'account' : 'number', sender: sender || null, business_number: m.to_number, inbound_id: m.id, account_id: m.account_id, at: new Date(now).toISOString() };
  return callbackRow(m, to, change, data, 'c', now);
}

function callbackRow(m: InboundRow, to: { url: string; keyId: string | null }, type: string, data: unknown, suffix: string, now: number): CallbackRow {
  const id = `cbk_${m.id.slice(m.id.indexOf('_') + 1)}${suffix}`;
  return newCallback({ id, account_id: m.account_id, api_key_id: to.keyId, message_id: m.id, url: to.url, type, payload: JSON.stringify({ type, data }) }, now);
}
