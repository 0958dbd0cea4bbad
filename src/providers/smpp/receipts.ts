// SMPP's pure parts: the delivery receipt text of a deliver_sm (domain.md §6.4) in every
// variant carriers send (10- or 12-digit dates, `text:` or `Text:`, decimal or hex ids),
// and the JSON Switchboard stores for each deliver_sm it receives (its raw webhook), read
// back into receipts and inbound texts.
import type { InboundMessage, Receipt } from '../provider.ts';
import { lookup } from '../../domain/lookup.ts';
import { SMPP_STATES, stateName } from './errors.ts';

export interface ReceiptText { id: string; sub?: string; dlvrd?: string; submitDate?: string; doneDate?: string; stat: string; err?: string; text?: string }

const FIELD = /(id|sub|dlvrd|submit date|done date|stat|err|text):\s*/gi;

/** Parses `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`; null when it is not a receipt. */
export function parseReceiptText(text: string): ReceiptText | null {
  const found: Record<string, string> = {};
  const marks = [...text.matchAll(FIELD)];
  marks.forEach((m, i) => {
    const key = m[1].toLowerCase();
    const end = key === 'text' ? text.length : (marks[i + 1]?.index ?? text.length);
    found[key] ??= text.slice(m.index! + m[0].length, end).trim();
  });
  if (!found.id || !found.stat) return null;
  return {
    id: found.id, stat: found.stat.toUpperCase(), sub: found.sub, dlvrd: found.dlvrd, submitDate: found['submit date'],
    doneDate: found['done date'], err: found.err, text: found.text,
  };
}

/** `YYMMDDhhmm` or `YYMMDDhhmmss` (UTC, as SMSCs mostly send) → epoch ms, or undefined. */
export function parseReceiptDate(s: string | undefined): number | undefined {
  if (!s || !/^\d{10}(\d{2})?$/.test(s)) return undefined;
  const n = (i: number) => Number(s.slice(i, i + 2));
  const t = Date.UTC(2000 + n(0), n(2) - 1, n(4), n(6), n(8), s.length === 12 ? n(10) : 0);
  return Number.isFinite(t) ? t : undefined;
}

/** What Switchboard stores for a deliver_sm (the raw webhook's body). */
export type StoredDeliverSm =
  | { type: 'receipt'; text: string; receipted_message_id?: string; message_state?: number; network_error_code?: string; received_at: number; source_addr?: string }
  | { type: 'mo'; id: string; from: string; to: string; text: string; concat?: { ref: string; part: number; total: number }; received_at: number };

/**
 * One spelling of a message id for both sides: the submit_sm_resp's and the receipt's.
 * Decimal ids lose their leading zeros (`0000000012345678` = `12345678`), hex ids are
 * lower-cased.
 */
export function canonicalId(id: string): string {
  if (/^\d{1,30}$/.test(id)) return BigInt(id).toString();
  if (/^[0-9a-f]+$/i.test(id)) return id.toLowerCase();
  return id;
}

/**
 * How a carrier writes ids in receipts, when not as its submit_sm_resp did: `hex` (the
 * receipt's id is the resp's decimal id in hex, as SMPP 3.3 SMSCs do) or `decimal`.
 */
export type ReceiptIdBase = 'same' | 'hex' | 'decimal';

function receiptId(id: string, base: ReceiptIdBase): string {
  if (base === 'hex' && /^[0-9a-f]{1,24}$/i.test(id)) return BigInt(`0x${id}`).toString();
  if (base === 'decimal' && /^\d{1,30}$/.test(id)) return BigInt(id).toString(16);
  return canonicalId(id);
}

export function smppReceipts(body: string, base: ReceiptIdBase = 'same'): Receipt[] {
  const b = JSON.parse(body) as StoredDeliverSm;
  if (b?.type !== 'receipt') throw new Error('not an SMPP receipt');
  const parsed = parseReceiptText(b.text ?? '');
  // The TLVs, when present, are authoritative (SMPP 3.4 §5.3.2.12, 5.3.2.35).
  const id = b.receipted_message_id ?? parsed?.id;
  const stat = (b.message_state !== undefined ? stateName(b.message_state) : undefined) ?? parsed?.stat;
  if (!id || !stat) throw new Error('an SMPP receipt without a message id or a state');
  const known = lookup(SMPP_STATES, stat);
  const err = parsed?.err && !/^0+$/.test(parsed.err) ? parsed.err : b.network_error_code;
  return [{
    providerMessageId: receiptId(id, base), status: known?.status ?? null, providerStatus: stat.toLowerCase(),
    ...(known?.errorCode && known.status !== 'delivered' ? { errorCode: known.errorCode } : {}),
    ...(err && known?.status !== 'delivered' ? { providerErrorCode: err } : {}),
    occurredAt: parseReceiptDate(parsed?.doneDate) ?? b.received_at,
    // A receipt comes from the handset: its source is the recipient (SMPP 3.4 §4.6.1).
    ...(b.source_addr && /^\+?\d+$/.test(b.source_addr) ? { to: b.source_addr.startsWith('+') ? b.source_addr : `+${b.source_addr}` } : {}),
  }];
}

export function smppInbound(body: string): InboundMessage[] {
  const b = JSON.parse(body) as StoredDeliverSm;
  if (b?.type !== 'mo' || typeof b.from !== 'string' || typeof b.to !== 'string' || typeof b.id !== 'string') throw new Error('not an SMPP inbound text');
  return [{ providerMessageId: b.id, from: b.from, to: b.to, body: typeof b.text === 'string' ? b.text : '', receivedAt: b.received_at, ...(b.concat ? { concat: b.concat } : {}) }];
}
