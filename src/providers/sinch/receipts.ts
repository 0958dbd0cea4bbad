// Sinch delivery reports and inbound texts → canonical records (pure). Per-recipient
// reports (`recipient_delivery_report_sms`) come on every status change; a summary or
// full report (`delivery_report_sms`) once, when all are final. Our batches have one
// recipient, so the batch id names the part. MSISDNs come without `+`.
import type { MessageStatus } from '../../domain/status.ts';
import type { InboundMessage, Receipt } from '../provider.ts';
import { SINCH_FINAL_ERRORS } from './errors.ts';
import { lookup } from '../../domain/lookup.ts';

const STATUS: Record<string, MessageStatus | null> = {
  queued: null, dispatched: 'sent', delivered: 'delivered', failed: 'failed', expired: 'undelivered', rejected: 'failed',
  aborted: 'failed', cancelled: 'canceled', deleted: 'failed', unknown: null,
};

const plus = (n: string) => (/^\d+$/.test(n) ? `+${n}` : n);

function receipt(batchId: string, status: string, code: unknown, message: unknown, at: unknown): Receipt {
  const s = status.toLowerCase();
  const error = lookup(SINCH_FINAL_ERRORS, s);
  const time = typeof at === 'string' ? Date.parse(at) : NaN;
  return {
    providerMessageId: batchId, status: lookup(STATUS, s) ?? null, providerStatus: s,
    errorCode: error, providerErrorCode: error && code !== undefined ? String(code) : undefined,
    errorMessage: error ? (typeof message === 'string' ? message : `Sinch status ${status}`) : undefined,
    occurredAt: Number.isNaN(time) ? undefined : time,
  };
}

export function sinchReceipts(body: string): Receipt[] {
  const b = JSON.parse(body) as Record<string, unknown>;
  if (typeof b.batch_id !== 'string') throw new Error('delivery report without batch_id');
  if (b.type === 'recipient_delivery_report_sms' && typeof b.status === 'string') {
    return [{ ...receipt(b.batch_id, b.status, b.code, b.status_message, b.operator_status_at ?? b.at), ...(typeof b.recipient === 'string' ? { to: plus(b.recipient) } : {}) }];
  }
  if (b.type === 'delivery_report_sms' && Array.isArray(b.statuses)) {
    // One recipient per batch: the report's one status is the part's.
    return (b.statuses as { status?: string; code?: number }[]).filter((s) => typeof s.status === 'string')
      .map((s) => receipt(b.batch_id as string, s.status!, s.code, undefined, undefined));
  }
  throw new Error(`not a delivery report: ${String(b.type)}`);
}

export function sinchInbound(body: string): InboundMessage[] {
  const b = JSON.parse(body) as Record<string, unknown>;
  if (b.type !== 'mo_text' || typeof b.id !== 'string' || typeof b.from !== 'string' || typeof b.to !== 'string') throw new Error('not a mo_text inbound message');
  const at = typeof b.received_at === 'string' ? Date.parse(b.received_at) : NaN;
  return [{ providerMessageId: b.id, from: plus(b.from), to: plus(b.to), body: typeof b.body === 'string' ? b.body : '', receivedAt: Number.isNaN(at) ? undefined : at }];
}
