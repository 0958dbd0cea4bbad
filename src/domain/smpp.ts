// SMPP 3.4 facts shared by the carrier adapter (providers/smpp/) and Switchboard's own
// SMPP server (smpp-server/): addresses (TON/NPI), relative validity, the text and
// concatenation of a short_message by data_coding, and the delivery receipt text
// (domain.md §6). Fields arrive as the `smpp` package decodes PDUs.
import { decodeGsm7, decodeUcs2, encodeGsm7 } from './encoding.ts';

/** TON/NPI of an address: `+E.164` → international/E.164, letters → alphanumeric, other digits → unknown. */
export function addressOf(a: string, ton?: number, npi?: number): { ton: number; npi: number; addr: string } {
  if (a.startsWith('+')) return { ton: ton ?? 1, npi: npi ?? 1, addr: a.slice(1) };
  if (/[^0-9]/.test(a)) return { ton: ton ?? 5, npi: npi ?? 0, addr: a };
  return { ton: ton ?? 0, npi: npi ?? 0, addr: a };
}

/** A received address → ours: international digits get their `+`. */
export function e164(addr: string, ton: number): string {
  return ton === 1 || (/^\d{8,15}$/.test(addr) && ton !== 5 && ton !== 3) ? `+${addr.replace(/^\+/, '')}` : addr;
}

/** SMPP relative validity: `YYMMDDhhmmss000R`. */
export function relativeValidity(seconds: number): string {
  let s = Math.max(1, Math.floor(seconds));
  const parts = [Math.floor(s / 31_536_000)]; s %= 31_536_000;
  parts.push(Math.floor(s / 2_592_000)); s %= 2_592_000;
  parts.push(Math.floor(s / 86_400)); s %= 86_400;
  parts.push(Math.floor(s / 3_600)); s %= 3_600;
  parts.push(Math.floor(s / 60), s % 60);
  return `${parts.map((n) => String(Math.min(99, n)).padStart(2, '0')).join('')}000R`;
}

/** The text of a submit_sm's or deliver_sm's short_message or message_payload, by data_coding, and its concatenation (UDH or SAR), if any. */
export function readShortMessage(pdu: Record<string, unknown>): { text: string; concat?: { ref: string; part: number; total: number } } {
  const raw = (pdu.message_payload ?? pdu.short_message) as { udh?: Buffer[]; message?: unknown } | Buffer | string | undefined;
  // The library decodes by data_coding; we decode ourselves from the bytes where it left them.
  let bytes: Buffer | null = null;
  let text = '';
  let udh: Buffer[] | undefined;
  if (Buffer.isBuffer(raw)) bytes = raw;
  else if (raw && typeof raw === 'object') { udh = raw.udh; if (Buffer.isBuffer(raw.message)) bytes = raw.message; else text = String(raw.message ?? ''); }
  else if (typeof raw === 'string') text = raw;
  const coding = Number(pdu.data_coding ?? 0) & 0x0f;
  // The smpp package reads data_coding 1 (IA5, ASCII) as GSM 03.38, which it calls ASCII:
  // its decoding is undone to get the bytes back (one byte per GSM character, escapes aside).
  if (!bytes && coding === 1) bytes = encodeGsm7(text);
  if (bytes) text = coding === 8 ? decodeUcs2(bytes) : coding === 3 || coding === 1 ? bytes.toString('latin1') : decodeGsm7(bytes);
  let concat: { ref: string; part: number; total: number } | undefined;
  for (const ie of udh ?? []) {
    if (ie[0] === 0x00 && ie.length >= 5) concat = { ref: String(ie[2]), total: ie[3], part: ie[4] };
    if (ie[0] === 0x08 && ie.length >= 6) concat = { ref: String(ie.readUInt16BE(2)), total: ie[4], part: ie[5] };
  }
  if (!concat && pdu.sar_msg_ref_num !== undefined && pdu.sar_total_segments !== undefined && pdu.sar_segment_seqnum !== undefined) {
    concat = { ref: String(pdu.sar_msg_ref_num), total: Number(pdu.sar_total_segments), part: Number(pdu.sar_segment_seqnum) };
  }
  return concat && concat.total > 1 ? { text, concat } : { text };
}


/** `YYMMDDhhmm` (UTC), as receipts carry dates. */
export function receiptDate(t: number): string {
  return new Date(t).toISOString().replace(/\D/g, '').slice(2, 12);
}

/** SMPP 3.4 §7.1.1 absolute time `YYMMDDhhmmsstnnp` in UTC (tenths of a second; offset 00, `+`), as query_sm_resp's final_date. */
export function smppTime(t: number): string {
  const iso = new Date(t).toISOString(); // 2026-12-05T23:59:59.123Z
  return `${iso.replace(/\D/g, '').slice(2, 14)}${iso[20]}00+`;
}

/** A delivery receipt's short_message text (domain.md §6.4). */
export function receiptText(r: { id: string; stat: string; err: string; submitted: number; done: number; text: string }): string {
  const dlvrd = r.stat === 'DELIVRD' ? '001' : '000';
  const quoted = [...r.text.slice(0, 20)].map((ch) => (BOTH_ALPHABETS.test(ch) ? ch : '?')).join('');
  return `id:${r.id} sub:001 dlvrd:${dlvrd} submit date:${receiptDate(r.submitted)} done date:${receiptDate(r.done)} stat:${r.stat} err:${r.err} text:${quoted}`;
}

// Characters with the same byte in GSM 03.38 and in ASCII (IA5): a receipt text made of
// them reads the same whichever way a client decodes data_coding 0 (many parse `id:` as
// ASCII). `$`, `@`, `_` and the rest differ, so they are quoted as `?`.
const BOTH_ALPHABETS = /^[A-Za-z0-9 !"#%&'()*+,\-./:;<=>?]$/;

/**
 * The id a message, or one part of it, has over SMPP: the message id without its `msg_`
 * prefix (a ULID: 26 uppercase letters and digits, which survive any default alphabet),
 * and for part n of a text the client sent in several parts, the part number after it
 * (`01KC…ZX3` is part 3). `msg_` + the first 26 characters is the API's id.
 */
export function smppMessageId(messageId: string, part?: number): string {
  return `${messageId.replace(/^msg_/, '')}${part === undefined ? '' : String(part)}`;
}

/** The message and part (1-based; undefined for a whole message) an SMPP id names, or null. */
export function messageOfSmpp(smppId: string): { messageId: string; part?: number } | null {
  const m = /^([0-9A-Z]{26})([1-9]\d{0,2})?$/.exec(smppId);
  if (!m) return null;
  return m[2] === undefined ? { messageId: `msg_${m[1]}` } : { messageId: `msg_${m[1]}`, part: Number(m[2]) };
}

/**
 * Where a message's SMPP receipts go, kept as its callback target (`callback_url`):
 * `smpp:<system_id>?parts=1,2&dest=<the client's source address>`, parts being the parts
 * that asked for a receipt (`0` a text sent whole). The receipts are callback rows of
 * type SMPP_RECEIPT, written with the status change like every callback, and delivered by
 * the SMPP server to a receiver bound with that system_id.
 */
export const SMPP_RECEIPT = 'smpp.receipt';
export interface SmppReceiptTarget { systemId: string; parts: (number | undefined)[]; dest: string }

export function smppReceiptTarget(t: SmppReceiptTarget): string {
  const q = new URLSearchParams({ parts: t.parts.map((p) => p ?? 0).join(','), dest: t.dest });
  return `smpp:${encodeURIComponent(t.systemId)}?${q}`;
}

export function parseSmppReceiptTarget(url: string): SmppReceiptTarget | null {
  const m = /^smpp:([^?]*)\?(.*)$/.exec(url);
  if (!m) return null;
  const q = new URLSearchParams(m[2]);
  const parts = (q.get('parts') ?? '0').split(',').map((p) => (Number(p) > 0 ? Number(p) : undefined));
  return { systemId: decodeURIComponent(m[1]), parts, dest: q.get('dest') ?? '' };
}

/** The `err:` of a receipt (and query_sm_resp's error_code): three digits of the provider's code, `000` when delivered, `001` when it gave none. */
export function receiptErr(stat: string, providerCode: string | null): string {
  return stat === 'DELIVRD' ? '000' : ((providerCode ?? '').replace(/\D/g, '').slice(0, 3) || '1').padStart(3, '0');
}

/** SMPP 3.4 §5.2.28 message_state of a final status (ENROUTE while it is not final). */
export const SMPP_STATE: Readonly<Record<string, { stat: string; state: number }>> = {
  delivered: { stat: 'DELIVRD', state: 2 }, undelivered: { stat: 'UNDELIV', state: 5 }, failed: { stat: 'UNDELIV', state: 5 },
  expired: { stat: 'EXPIRED', state: 3 }, canceled: { stat: 'DELETED', state: 4 },
};
export const SMPP_ENROUTE = 1;

/**
 * SMPP 3.4 maximum lengths (§5.2, in octets, the terminating NUL included) of the C-Octet
 * String fields Switchboard writes or accepts, and short_message's (§5.2.22: an Octet String
 * of at most 254). A longer value is refused by strict peers (Kannel cuts it and fails the bind).
 */
export const SMPP_MAX: Readonly<Record<string, number>> = {
  system_id: 16, password: 9, system_type: 13, address_range: 41, service_type: 6,
  source_addr: 21, destination_addr: 21, schedule_delivery_time: 17, validity_period: 17, final_date: 17, message_id: 65, short_message: 254,
};

/** The characters a value may have in a C-Octet String field (its NUL not counted). */
export function smppFieldFits(field: keyof typeof SMPP_MAX | string, value: string | Buffer): boolean {
  const max = SMPP_MAX[field];
  if (max === undefined) return true;
  const octets = Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value, 'latin1');
  return field === 'short_message' ? octets <= max : octets <= max - 1;
}
