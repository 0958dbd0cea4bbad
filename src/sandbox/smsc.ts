// A loopback SMSC written directly on SMPP 3.4 PDUs (domain.md §6), independent of the
// `smpp` package the adapter uses: bind_transceiver with a system_id and password,
// submit_sm decoded field by field (UDH, SAR and message_payload concatenation, GSM-7
// and UCS-2), delivery receipts as deliver_sm in every text variant §6.4 lists or as
// TLVs, inbound (MO) texts, enquire_link, unbind, generic_nack. Tests steer it: answer
// statuses (throttling, errors), receipts before the submit_sm_resp, a silent link, a
// dropped link.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { InboundText, Sandboxed, SandboxMessage } from './control.ts';
import type { Script } from './script.ts';

export const FAKE_SMPP_SYSTEM_ID = 'switchboard';
export const FAKE_SMPP_PASSWORD = 'sekrit12';

// SMPP 3.4 §5.2: the most octets each C-Octet String field may take, its NUL included.
// Strict SMSCs (and Kannel as a client) refuse longer ones; so does this fake.
const SMPP_MAX_OCTETS: Record<string, number> = {
  system_id: 16, password: 9, system_type: 13, address_range: 41, service_type: 6,
  source_addr: 21, destination_addr: 21, schedule_delivery_time: 17, validity_period: 17,
};

const GSM = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT: Record<number, string> = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };

function decodeGsm(b: Buffer): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i] === 0x1b ? GSM_EXT[b[++i]] ?? '?' : GSM[b[i]] ?? '?';
  return s;
}
function encodeGsm(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const i = GSM.indexOf(ch);
    if (i >= 0 && ch !== '\u001b') { out.push(i); continue; }
    const ext = Object.entries(GSM_EXT).find(([, c]) => c === ch);
    out.push(0x1b, Number(ext?.[0] ?? 0x3f));
  }
  return Buffer.from(out);
}
const ucs2 = (b: Buffer) => { let s = ''; for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i)); return s; };
const toUcs2 = (t: string) => { const b = Buffer.alloc(t.length * 2); for (let i = 0; i < t.length; i++) b.writeUInt16BE(t.charCodeAt(i), i * 2); return b; };

function pdu(commandId: number, status: number, seq: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(16 + body.length, 0); h.writeUInt32BE(commandId >>> 0, 4); h.writeUInt32BE(status, 8); h.writeUInt32BE(seq, 12);
  return Buffer.concat([h, body]);
}
const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
const tlv = (tag: number, value: Buffer) => { const h = Buffer.alloc(4); h.writeUInt16BE(tag, 0); h.writeUInt16BE(value.length, 2); return Buffer.concat([h, value]); };

class Reader {
  off = 0;
  readonly b: Buffer;
  constructor(b: Buffer) { this.b = b; }
  u8(): number { return this.b[this.off++]; }
  /** fields longer than SMPP 3.4 allows, as `field (octets)` */
  readonly tooLong: string[] = [];
  /** A C-Octet String; `field` names it, to hold it to its maximum (SMPP_MAX_OCTETS, NUL included). */
  cstr(field?: string): string {
    const end = this.b.indexOf(0, this.off); const s = this.b.toString('latin1', this.off, end); this.off = end + 1;
    if (field && s.length + 1 > SMPP_MAX_OCTETS[field]) this.tooLong.push(`${field} (${s.length + 1} octets, at most ${SMPP_MAX_OCTETS[field]})`);
    return s;
  }
  bytes(n: number): Buffer { const s = this.b.subarray(this.off, this.off + n); this.off += n; return s; }
  tlvs(): Map<number, Buffer> {
    const m = new Map<number, Buffer>();
    while (this.off + 4 <= this.b.length) { const tag = this.b.readUInt16BE(this.off); const len = this.b.readUInt16BE(this.off + 2); this.off += 4; m.set(tag, this.bytes(len)); }
    return m;
  }
}

export interface Submitted {
  seq: number; messageId: string; source: string; sourceTon: number; dest: string; destTon: number; destNpi: number;
  esmClass: number; dataCoding: number; registeredDelivery: number; validity: string; text: string;
  concat?: { ref: number; total: number; part: number; via: 'udh' | 'sar' }; payload: boolean;
  /** when it came, and the stat of the last receipt sent for it */
  at?: number; stat?: string;
}

export type ReceiptFormat = 'standard' | 'seconds' | 'capital-text' | 'hex-id' | 'padded-id' | 'tlv';

export interface SmscPlan {
  /** receipts sent after each accepted submit_sm: their stat values, in order (none: no receipt) */
  stats: string[];
  format: ReceiptFormat;
  /** the receipt goes out before the submit_sm_resp (fast SMSCs do this) */
  receiptFirst?: boolean;
  delayMs: number;
}

export class SmscFake implements Sandboxed {
  /** scripted behaviour (script.ts); the control API runs on a server of its own (control.ts controlServer) */
  script: Script | null = null;
  #server: Server | null = null;
  readonly sockets = new Set<Socket>();
  readonly submitted: Submitted[] = [];
  readonly binds: { systemId: string; password: string; ok: boolean }[] = [];
  /** fields Switchboard sent longer than SMPP 3.4 allows (each refused) */
  readonly tooLong: string[] = [];
  /** the statuses of the next submit_sm_resp, one each (e.g. 0x58 throttled; -1: never answered) */
  readonly answers: number[] = [];
  /** receipts and MOs acknowledged by the ESME with this status */
  readonly acked: { seq: number; status: number }[] = [];
  readonly unbinds: number[] = [];
  enquireLinks = 0;
  /** a dead link: enquire_link gets no answer */
  silent = false;
  plan: SmscPlan = { stats: ['DELIVRD'], format: 'standard', delayMs: 5 };
  malformed = 0;
  #nextId = 1000;
  #seq = 1;
  port = 0;

  /** Listens on a free port, or on `port` again after stop() (an SMSC that was down comes back). */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.#server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((r) => this.#server!.listen(port, host, r));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Bound sockets (after a successful bind). */
  get bound(): Socket[] { return [...this.sockets].filter((s) => (s as Socket & { bound?: boolean }).bound); }

  #accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16) {
        const len = buf.readUInt32BE(0);
        if (len < 16 || len > 65_536) { socket.destroy(); return; }
        if (buf.length < len) break;
        const p = buf.subarray(0, len);
        buf = buf.subarray(len);
        this.#handle(socket, p.readUInt32BE(4), p.readUInt32BE(8), p.readUInt32BE(12), p.subarray(16));
      }
    });
  }

  #handle(socket: Socket & { bound?: boolean }, id: number, status: number, seq: number, body: Buffer): void {
    const r = new Reader(body);
    switch (id) {
      case 0x09: case 0x02: case 0x01: { // bind_*
        const systemId = r.cstr('system_id'); const password = r.cstr('password'); r.cstr('system_type'); r.u8(); r.u8(); r.u8(); r.cstr('address_range');
        this.tooLong.push(...r.tooLong);
        const ok = r.tooLong.length === 0 && systemId === FAKE_SMPP_SYSTEM_ID && password === FAKE_SMPP_PASSWORD;
        this.binds.push({ systemId, password, ok });
        if (ok) { socket.bound = true; (socket as Socket & { mode?: number }).mode = id; }
        socket.write(pdu(id | 0x80000000, ok ? 0 : 0x0e, seq, ok ? cstr('FAKESMSC') : Buffer.alloc(0)));
        return;
      }
      case 0x15: this.enquireLinks++; if (!this.silent) socket.write(pdu(0x80000015, 0, seq)); return;
      case 0x06: this.unbinds.push(seq); socket.write(pdu(0x80000006, 0, seq)); socket.end(); return;
      case 0x80000005: this.acked.push({ seq, status }); return; // deliver_sm_resp
      case 0x80000015: return;
      case 0x04: return this.#submit(socket, seq, r);
      default:
        this.malformed++;
        socket.write(pdu(0x80000000, 0x03, seq)); // generic_nack, RINVCMDID
    }
  }

  #submit(socket: Socket, seq: number, r: Reader): void {
    if (!(socket as Socket & { bound?: boolean }).bound) { socket.write(pdu(0x80000004, 0x04, seq)); return; }
    r.cstr('service_type');
    const sourceTon = r.u8(); r.u8(); const source = r.cstr('source_addr');
    const destTon = r.u8(); const destNpi = r.u8(); const dest = r.cstr('destination_addr');
    const esmClass = r.u8(); r.u8(); r.u8();
    r.cstr('schedule_delivery_time'); const validity = r.cstr('validity_period');
    // A field over its maximum: ESME_RINVPARLEN, as a strict SMSC answers.
    if (r.tooLong.length > 0) { this.tooLong.push(...r.tooLong); socket.write(pdu(0x80000004, 0xc2, seq)); return; }
    const registeredDelivery = r.u8(); r.u8(); const dataCoding = r.u8(); r.u8();
    const smLength = r.u8(); let sm = r.bytes(smLength);
    const tlvs = r.tlvs();
    let concat: Submitted['concat'];
    if (esmClass & 0x40) {
      const udhl = sm[0];
      const udh = sm.subarray(1, 1 + udhl);
      if (udh[0] === 0x00) concat = { ref: udh[2], total: udh[3], part: udh[4], via: 'udh' };
      sm = sm.subarray(1 + udhl);
    }
    if (tlvs.has(0x020c)) concat = { ref: tlvs.get(0x020c)!.readUInt16BE(0), total: tlvs.get(0x020e)![0], part: tlvs.get(0x020f)![0], via: 'sar' };
    const payload = tlvs.has(0x0424);
    const bytes = payload ? tlvs.get(0x0424)! : sm;
    const text = dataCoding === 8 ? ucs2(bytes) : dataCoding === 3 ? bytes.toString('latin1') : decodeGsm(bytes);
    const verdict = this.script?.verdict() ?? 'ok';
    // The script: ESME_RTHROTTLED, or ESME_RSYSERR for an error or an outage.
    const answer = this.answers.shift() ?? (verdict === 'throttle' ? 0x58 : verdict === 'ok' ? 0 : 0x08);
    if (answer === -1) return;
    if (answer !== 0) { socket.write(pdu(0x80000004, answer, seq)); return; }
    const messageId = String(this.#nextId++);
    const entry: Submitted = { seq, messageId, source, sourceTon, dest, destTon, destNpi, esmClass, dataCoding, registeredDelivery, validity, text, concat, payload, at: Date.now() };
    this.submitted.push(entry);
    const plan = this.#scripted() ?? this.plan;
    const receipts = registeredDelivery & 0x03 ? plan.stats : [];
    const latency = this.script?.latencyMs() ?? 0;
    const resp = () => socket.write(pdu(0x80000004, 0, seq, cstr(messageId)));
    if (!plan.receiptFirst) { if (latency > 0) setTimeout(resp, latency).unref(); else resp(); }
    // Receipts go to a session that may receive: this one if it is a transceiver, else a receiver.
    const receiver = () => (this.#mode(socket) === 0x09 ? socket : this.bound.find((s) => this.#mode(s) === 0x01 || this.#mode(s) === 0x09));
    receipts.forEach((stat, i) => {
      const send = () => { const to = receiver(); if (to && !to.destroyed) { entry.stat = stat; to.write(this.receipt(messageId, stat, plan.format, dest, source)); } };
      if (plan.receiptFirst && i === 0) send();
      else setTimeout(send, plan.delayMs * (i + 1)).unref();
    });
    if (plan.receiptFirst) setTimeout(resp, plan.delayMs).unref();
  }

  #mode(s: Socket): number | undefined { return (s as Socket & { mode?: number }).mode; }

  /** How each bound session bound: 0x09 transceiver, 0x02 transmitter, 0x01 receiver. */
  get modes(): number[] { return this.bound.map((s) => this.#mode(s) ?? 0); }

  /** A delivery receipt deliver_sm for `messageId`, in one of the §6.4 variants (or TLVs). */
  receipt(messageId: string, stat: string, format: ReceiptFormat, from: string, to: string): Buffer {
    const now = new Date();
    const d = (withSeconds: boolean) => now.toISOString().replace(/\D/g, '').slice(2, withSeconds ? 14 : 12);
    const id = format === 'hex-id' ? BigInt(messageId).toString(16) : format === 'padded-id' ? messageId.padStart(16, '0') : messageId;
    const err = stat === 'DELIVRD' ? '000' : '001';
    const textKey = format === 'capital-text' ? 'Text' : 'text';
    const text = format === 'tlv' ? '' : `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${d(format === 'seconds')} done date:${d(format === 'seconds')} stat:${stat} err:${err} ${textKey}:Hello there`;
    const states: Record<string, number> = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };
    const tlvs = format === 'tlv' ? Buffer.concat([tlv(0x001e, cstr(messageId)), tlv(0x0427, Buffer.from([states[stat] ?? 7]))]) : Buffer.alloc(0);
    return this.#deliver(from, to, 0x04, 0, Buffer.from(text, 'latin1'), tlvs);
  }

  #deliver(from: string, to: string, esmClass: number, dataCoding: number, sm: Buffer, tlvs = Buffer.alloc(0)): Buffer {
    const body = Buffer.concat([
      cstr(''), Buffer.from([1, 1]), cstr(from), Buffer.from([1, 1]), cstr(to), Buffer.from([esmClass, 0, 0]), cstr(''), cstr(''),
      Buffer.from([0, 0, dataCoding, 0, sm.length]), sm, tlvs,
    ]);
    return pdu(0x05, 0, this.#seq++, body);
  }

  /** Sends an inbound text (MO) to every bound ESME: GSM-7, UCS-2 or Latin-1, optionally one part of a UDH-concatenated text. */
  mo(p: { from: string; to: string; text: string; coding?: 0 | 3 | 8; concat?: { ref: number; total: number; part: number } }): void {
    const coding = p.coding ?? 0;
    let sm = coding === 8 ? toUcs2(p.text) : coding === 3 ? Buffer.from(p.text, 'latin1') : encodeGsm(p.text);
    let esm = 0;
    if (p.concat) { sm = Buffer.concat([Buffer.from([5, 0, 3, p.concat.ref, p.concat.total, p.concat.part]), sm]); esm = 0x40; }
    for (const s of this.bound) if (this.#mode(s) !== 0x02) s.write(this.#deliver(p.from, p.to, esm, coding, sm));
  }

  /** The receipts the script gives a message accepted now (UNDELIV when undelivered, none when lost). */
  #scripted(): SmscPlan | null {
    if (!this.script) return null;
    const outcome = this.script.receipt();
    return { stats: outcome === 'lost' ? [] : [outcome === 'undelivered' ? 'UNDELIV' : 'DELIVRD'], format: this.plan.format, delayMs: this.script.receiptDelayMs(this.plan.delayMs) };
  }

  sent(): SandboxMessage[] {
    // International numbers (TON 1) travel without their +.
    const e164 = (n: string, ton: number) => (ton === 1 && !n.startsWith('+') ? `+${n}` : n);
    return this.submitted.map((s) => ({ id: s.messageId, to: e164(s.dest, s.destTon), from: e164(s.source, s.sourceTon), body: s.text, status: s.stat ?? 'ENROUTE', at: new Date(s.at ?? 0).toISOString() }));
  }

  /** An inbound text (deliver_sm) to the bound sessions that receive; 503 when none is bound. */
  async inbound(p: InboundText): Promise<{ status: number }> {
    if (!this.bound.some((s) => this.#mode(s) !== 0x02)) return { status: 503 };
    this.mo({ from: p.from, to: p.to, text: p.text, ...([...p.text].some((c) => c.charCodeAt(0) > 0xff) ? { coding: 8 as const } : {}) });
    return { status: 200 };
  }

  reset(): void { this.submitted.length = 0; }

  /** Writes raw bytes to every bound ESME (malformed PDUs). */
  raw(bytes: Buffer): void { for (const s of this.bound) s.write(bytes); }

  /** The link goes away without an unbind. */
  dropLinks(): void { for (const s of this.sockets) s.destroy(); }

  async stop(): Promise<void> {
    this.dropLinks();
    await new Promise((r) => this.#server?.close(r));
  }
}
