// Twilio status callbacks and inbound webhooks (form POSTs) → canonical records (pure).
// Twilio adds fields without notice; unknown ones are ignored here (but were signed).
import type { MessageStatus } from '../../domain/status.ts';
import type { InboundMessage, Receipt } from '../provider.ts';
import { twilioReceiptError } from './errors.ts';
import { lookup } from '../../domain/lookup.ts';

const STATUS: Record<string, MessageStatus | null> = {
  queued: null, accepted: null, scheduled: null, sending: null, receiving: null, received: null,
  sent: 'sent', delivered: 'delivered', read: 'delivered', undelivered: 'undelivered', failed: 'failed', canceled: 'canceled',
  partially_delivered: null,
};

/** RawDlrDoneDate is YYMMDDhhmm (no zone; read as UTC). */
function dlrDate(v: string | null): number | undefined {
  const m = v && /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(v);
  if (!m) return undefined;
  return Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

/** Call statuses → ours: a completed call is delivered; busy, no-answer, failed and canceled are not. */
const CALL: Record<string, { status: MessageStatus | null; errorCode?: 'unreachable' | 'undelivered' }> = {
  queued: { status: null }, initiated: { status: null }, ringing: { status: null }, 'in-progress': { status: null }, answered: { status: null },
  completed: { status: 'delivered' }, busy: { status: 'undelivered', errorCode: 'unreachable' }, 'no-answer': { status: 'undelivered', errorCode: 'unreachable' },
  failed: { status: 'undelivered', errorCode: 'undelivered' }, canceled: { status: 'undelivered', errorCode: 'undelivered' },
};

export function twilioReceipts(body: string): Receipt[] {
  const p = new URLSearchParams(body);
  const callSid = p.get('CallSid');
  const callStatus = (p.get('CallStatus') ?? '').toLowerCase();
  if (callSid && callStatus) {
    const c = lookup(CALL, callStatus);
    return [{
      providerMessageId: callSid, status: c?.status ?? null, providerStatus: callStatus,
      ...(c?.errorCode ? { errorCode: c.errorCode, providerErrorCode: callStatus, errorMessage: `the call ended ${callStatus}` } : {}),
    }];
  }
  const sid = p.get('MessageSid') ?? p.get('SmsSid');
  const status = (p.get('MessageStatus') ?? p.get('SmsStatus') ?? '').toLowerCase();
  if (!sid || !status) throw new Error('status callback without MessageSid/MessageStatus');
  const errorCode = p.get('ErrorCode') ?? undefined;
  return [{
    providerMessageId: sid,
    status: lookup(STATUS, status) ?? null,
    providerStatus: status,
    errorCode: errorCode ? twilioReceiptError(errorCode) : undefined,
    providerErrorCode: errorCode || undefined,
    errorMessage: errorCode ? `Twilio error ${errorCode}` : undefined,
    occurredAt: dlrDate(p.get('RawDlrDoneDate')),
    ...(p.get('To') ? { to: p.get('To')! } : {}),
  }];
}

/**
 * A Message resource (GET …/Messages/{Sid}.json, as the create answer) → a receipt: how
 * reconciliation learns what became of a message whose callback never came.
 */
export function twilioMessageResource(json: Record<string, unknown>): Receipt {
  const sid = json.sid;
  const status = typeof json.status === 'string' ? json.status.toLowerCase() : '';
  if (typeof sid !== 'string' || !status) throw new Error('Message resource without sid/status');
  const code = json.error_code === null || json.error_code === undefined ? undefined : String(json.error_code);
  const updated = typeof json.date_updated === 'string' ? Date.parse(json.date_updated) : NaN;
  return {
    providerMessageId: sid,
    status: lookup(STATUS, status) ?? null,
    providerStatus: status,
    errorCode: code ? twilioReceiptError(code) : undefined,
    providerErrorCode: code,
    errorMessage: typeof json.error_message === 'string' ? json.error_message : code ? `Twilio error ${code}` : undefined,
    occurredAt: Number.isNaN(updated) ? undefined : updated,
  };
}

export function twilioInbound(body: string): InboundMessage[] {
  const p = new URLSearchParams(body);
  const sid = p.get('MessageSid') ?? p.get('SmsMessageSid') ?? p.get('SmsSid');
  const from = p.get('From');
  const to = p.get('To');
  if (!sid || !from || !to) throw new Error('inbound webhook without MessageSid/From/To');
  return [{ providerMessageId: sid, from, to, body: p.get('Body') ?? '' }];
}
