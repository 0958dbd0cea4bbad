// A strict SMPP 3.4 client (ESME) written directly on PDUs, independent of the `smpp`
// package Switchboard's SMPP server uses: the legacy system on the other side of it. It
// behaves as Kannel does where Kannel is strict: a C-Octet String is cut to its maximum
// (§5.2: password 9 octets with the NUL, so 8 characters), and every field it receives is
// held to its maximum too (`tooLong`). It reads receipt texts as ASCII, as many clients do.
import { connect, type Socket } from 'node:net';

// SMPP 3.4 §5.2: the most octets each C-Octet String may take, its NUL included.
const MAX: Record<string, number> = {
  system_id: 16, password: 9, system_type: 13, address_range: 41, service_type: 6,
  source_addr: 21, destination_addr: 21, schedule_delivery_time: 17, validity_period: 17, message_id: 65,
};
const TLV_RECEIPTED_MESSAGE_ID = 0x001e;
const TLV_MESSAGE_STATE = 0x0427;

export interface DeliverSm {
  sourceAddr: string; destinationAddr: string; esmClass: number; dataCoding: number;
  /** short_message as bytes, and read as ASCII */
  bytes: Buffer; ascii: string;
  receiptedMessageId?: string; messageState?: number;
}

/** A C-Octet String cut to its field's maximum, as Kannel writes it. */
function cstr(field: string, v: string): Buffer {
  return Buffer.concat([Buffer.from(v.slice(0, MAX[field] - 1), 'latin1'), Buffer.from([0])]);
}

export class Esme {
  readonly #socket: Socket;
  #buf = Buffer.alloc(0);
  #seq = 0;
  readonly #waiting = new Map<number, (p: { id: number; status: number; body: Buffer }) => void>();
  /** deliver_sm received (each answered with deliver_sm_resp) */
  readonly delivered: DeliverSm[] = [];
  /** fields Switchboard sent longer than SMPP 3.4 allows */
  readonly tooLong: string[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (d) => this.#read(d));
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<Esme> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    return new Esme(socket);
  }

  async bind(kind: 'transceiver' | 'transmitter' | 'receiver', systemId: string, password: string): Promise<number> {
    const id = { transceiver: 0x09, transmitter: 0x02, receiver: 0x01 }[kind];
    const body = Buffer.concat([cstr('system_id', systemId), cstr('password', password), cstr('system_type', ''), Buffer.from([0x34, 0, 0]), cstr('address_range', '')]);
    const resp = await this.#request(id, body);
    if (resp.status === 0) this.#cstrIn(resp.body, 0, 'system_id');
    return resp.status;
  }

  /** submit_sm of an ASCII text as data_coding 1 (IA5), to an international number. */
  async submit(to: string, text: string, registeredDelivery = 1): Promise<{ status: number; messageId: string }> {
    const sm = Buffer.from(text, 'latin1');
    const body = Buffer.concat([
      cstr('service_type', ''), Buffer.from([0, 0]), cstr('source_addr', ''), Buffer.from([1, 1]), cstr('destination_addr', to.replace(/^\+/, '')),
      Buffer.from([0, 0, 0]), cstr('schedule_delivery_time', ''), cstr('validity_period', ''), Buffer.from([registeredDelivery, 0, 1, 0, sm.length]), sm,
    ]);
    const resp = await this.#request(0x04, body);
    return { status: resp.status, messageId: resp.status === 0 ? this.#cstrIn(resp.body, 0, 'message_id').value : '' };
  }

  close(): void { this.#socket.destroy(); }

  #request(commandId: number, body: Buffer): Promise<{ id: number; status: number; body: Buffer }> {
    const seq = ++this.#seq;
    this.#write(commandId, 0, seq, body);
    return new Promise((resolve) => this.#waiting.set(seq, resolve));
  }

  #write(commandId: number, status: number, seq: number, body: Buffer = Buffer.alloc(0)): void {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(16 + body.length, 0); h.writeUInt32BE(commandId >>> 0, 4); h.writeUInt32BE(status, 8); h.writeUInt32BE(seq, 12);
    this.#socket.write(Buffer.concat([h, body]));
  }

  #cstrIn(b: Buffer, off: number, field: string): { value: string; next: number } {
    const end = b.indexOf(0, off);
    const value = b.toString('latin1', off, end < 0 ? b.length : end);
    if (end < 0 || value.length + 1 > MAX[field]) this.tooLong.push(`${field} (${value.length + 1} octets, at most ${MAX[field]})`);
    return { value, next: end + 1 };
  }

  #read(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 16) {
      const len = this.#buf.readUInt32BE(0);
      if (this.#buf.length < len) return;
      const id = this.#buf.readUInt32BE(4); const status = this.#buf.readUInt32BE(8); const seq = this.#buf.readUInt32BE(12);
      const body = this.#buf.subarray(16, len);
      this.#buf = this.#buf.subarray(len);
      if (id & 0x80000000) { this.#waiting.get(seq)?.({ id, status, body }); this.#waiting.delete(seq); continue; }
      if (id === 0x15) { this.#write(0x80000015, 0, seq); continue; } // enquire_link
      if (id === 0x06) { this.#write(0x80000006, 0, seq); continue; } // unbind
      if (id === 0x05) { this.delivered.push(this.#deliverSm(body)); this.#write(0x80000005, 0, seq, Buffer.from([0])); continue; }
      this.#write(0x80000000, 0x03, seq); // generic_nack
    }
  }

  #deliverSm(b: Buffer): DeliverSm {
    let off = this.#cstrIn(b, 0, 'service_type').next + 2;
    const source = this.#cstrIn(b, off, 'source_addr'); off = source.next + 2;
    const dest = this.#cstrIn(b, off, 'destination_addr'); off = dest.next;
    const esmClass = b[off]; off += 3;
    off = this.#cstrIn(b, off, 'schedule_delivery_time').next;
    off = this.#cstrIn(b, off, 'validity_period').next;
    const dataCoding = b[off + 2]; const smLength = b[off + 4]; off += 5;
    const bytes = b.subarray(off, off + smLength); off += smLength;
    const out: DeliverSm = { sourceAddr: source.value, destinationAddr: dest.value, esmClass, dataCoding, bytes, ascii: bytes.toString('ascii') };
    while (off + 4 <= b.length) {
      const tag = b.readUInt16BE(off); const len = b.readUInt16BE(off + 2); const v = b.subarray(off + 4, off + 4 + len); off += 4 + len;
      if (tag === TLV_RECEIPTED_MESSAGE_ID) out.receiptedMessageId = this.#cstrIn(v, 0, 'message_id').value;
      if (tag === TLV_MESSAGE_STATE) out.messageState = v[0];
    }
    return out;
  }
}
