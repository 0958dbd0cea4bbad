// Vonage delivery receipts and inbound messages → canonical records (pure). Vonage sends
// them as a JSON POST, a form POST or a GET with the fields in the query, as the account
// is set up (domain.md §3.2); all three read the same here. Unknown fields are ignored.
import type { MessageStatus } from '../../domain/status.ts';
import type { InboundMessage, Receipt } from '../provider.ts';
import { vonageDlrError } from './errors.ts';
import { lookup } from '../../domain/lookup.ts';

const STATUS: Record<string, MessageStatus | null> = {
  accepted: 'sent', buffered: 'sent', delivered: 'delivered', expired: 'undelivered', failed: 'failed', rejected: 'failed', unknown: null,
};

/** A webhook's fields, whichever way Vonage sent them, as strings. */
export function vonageParams(req: { url: string; body: string; headers: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  const type = req.headers['content-type'] ?? '';
  if (req.body.trim().startsWith('{') || type.includes('json')) {
    const json = JSON.parse(req.body) as Record<string, unknown>;
    for (const [k, v] of Object.entries(json)) if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : String(v);
  } else {
    const fields = req.body ? new URLSearchParams(req.body) : new URL(req.url).searchParams;
    for (const [k, v] of fields) out[k] = v;
  }
  return out;
}

/** `scts` is YYMMDDHHMM (the carrier's time, read as UTC). */
function scts(v: string | undefined): number | undefined {
  const m = v && /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(v);
  return m ? Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) : undefined;
}

export function vonageReceipts(p: Record<string, string>): Receipt[] {
  const id = p.messageId ?? p['message-id'];
  const status = (p.status ?? '').toLowerCase();
  if (!id || !status) throw new Error('delivery receipt without messageId/status');
  const errCode = p['err-code'];
  const failed = errCode !== undefined && errCode !== '0';
  return [{
    providerMessageId: id,
    status: lookup(STATUS, status) ?? null,
    providerStatus: status,
    errorCode: failed ? vonageDlrError(errCode) : undefined,
    providerErrorCode: failed ? errCode : undefined,
    errorMessage: failed ? `Vonage delivery error ${errCode}` : undefined,
    occurredAt: scts(p.scts),
    ...(p.msisdn ? { to: p.msisdn.startsWith('+') ? p.msisdn : `+${p.msisdn}` } : {}),
  }];
}

/**
 * An inbound text. A long one arrives in parts (`concat`, `concat-ref`, `concat-part`,
 * 1-based, `concat-total`): each is marked as a part, and the webhook processor joins
 * them once all are here.
 */
export function vonageInbound(p: Record<string, string>): InboundMessage[] {
  const id = p.messageId;
  if (!id || !p.msisdn || !p.to) throw new Error('inbound message without messageId/msisdn/to');
  const plus = (n: string) => (n.startsWith('+') || !/^\d+$/.test(n) ? n : `+${n}`);
  const at = p['message-timestamp'] ? Date.parse(`${p['message-timestamp'].replace(' ', 'T')}Z`) : NaN;
  const part = Number(p['concat-part']);
  const total = Number(p['concat-total']);
  const concat = p.concat === 'true' && p['concat-ref'] && part >= 1 && total >= part ? { ref: p['concat-ref'], part, total } : undefined;
  return [{ providerMessageId: id, from: plus(p.msisdn), to: plus(p.to), body: p.text ?? '', receivedAt: Number.isNaN(at) ? undefined : at, ...(concat ? { concat } : {}) }];
}
