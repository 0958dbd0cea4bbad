// A strict SMPP 3.4 client (ESME) written directly on PDUs, independent of the `smpp`
// package Switchboard's SMPP server uses: the legacy system on the other side of it. It
// behaves as Kannel does where Kannel is strict: a C-Octet String is cut to its maximum
// (§5.2: password 9 octets with the NUL, so 8 characters), and every field it receives is
// held to its maximum too (`tooLong`). It reads receipt texts as ASCII, as many clients do.
import { connect, type Socket } from 'node:net';

// SMPP 3.4 §5.2: the most octets each C-Octet String may take, its NUL included.
const MAX: Record<string, number> = {
  system_id: 16, password: 9, system_type: 13, address_range: 41, service_type: 6,
  source_addr: 21, destination_addr: 21, schedule_delivery_time: 17, validity_period: 17, message_id: 65, final_date: 17,
};
const TLV_RECEIPTED_MESSAGE_ID = 0x001e;
const TLV_MESSAGE_STATE = 0x0427;
const TLV_MESSAGE_PAYLOAD = 0x0424;

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
  /** command_status to answer the next deliver_sm with, in order (then ESME_ROK): a client that refuses a receipt */
  readonly deliverAnswers: number[] = [];
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
  async submit(to: string, text: string, registeredDelivery = 1, opts: { scheduleDeliveryTime?: string } = {}): Promise<{ status: number; messageId: string }> {
    return this.#submitSm(to, Buffer.from(text, 'latin1'), { registeredDelivery, dataCoding: 1, esmClass: 0, ...opts });
  }

  /**
   * A text as a handset's concatenated message: UCS-2 (data_coding 8), cut into parts of
   * 67 characters, each with a UDH (esm_class 0x40) and each asking for its own receipt.
   * Answers each part's submit_sm_resp.
   */
  async submitParts(to: string, text: string): Promise<{ status: number; messageId: string }[]> {
    const chars = [...text];
    const parts: string[] = [];
    for (let i = 0; i < chars.length; i += 67) parts.push(chars.slice(i, i + 67).join(''));
    const ref = (this.#seq + 1) & 0xff;
    return Promise.all(parts.map((p, i) => {
      const ucs2 = Buffer.from(p, 'utf16le').swap16();
      const udh = Buffer.from([0x05, 0x00, 0x03, ref, parts.length, i + 1]);
      return this.#submitSm(to, Buffer.concat([udh, ucs2]), { registeredDelivery: 1, dataCoding: 8, esmClass: 0x40 });
    }));
  }

  /** data_sm: the text (ASCII) in the message_payload TLV. */
  async dataSm(to: string, text: string): Promise<{ status: number; messageId: string }> {
    const payload = Buffer.from(text, 'latin1');
    const tlv = Buffer.alloc(4); tlv.writeUInt16BE(TLV_MESSAGE_PAYLOAD, 0); tlv.writeUInt16BE(payload.length, 2);
    const body = Buffer.concat([
      cstr('service_type', ''), Buffer.from([0, 0]), cstr('source_addr', ''), Buffer.from([1, 1]), cstr('destination_addr', to.replace(/^\+/, '')),
      Buffer.from([0, 1, 1]), tlv, payload,
    ]);
    const resp = await this.#request(0x103, body);
    return { status: resp.status, messageId: resp.status === 0 ? this.#cstrIn(resp.body, 0, 'message_id').value : '' };
  }

  /** query_sm: a submitted message's state by its id. */
  async query(messageId: string): Promise<{ status: number; messageId: string; finalDate: string; messageState: number; errorCode: number }> {
    const resp = await this.#request(0x03, Buffer.concat([cstr('message_id', messageId), Buffer.from([0, 0]), cstr('source_addr', '')]));
    if (resp.status !== 0) return { status: resp.status, messageId: '', finalDate: '', messageState: 0, errorCode: 0 };
    const id = this.#cstrIn(resp.body, 0, 'message_id');
    const date = this.#cstrIn(resp.body, id.next, 'final_date');
    return { status: 0, messageId: id.value, finalDate: date.value, messageState: resp.body[date.next], errorCode: resp.body[date.next + 1] };
  }

  /** cancel_sm of a submitted message by its id. */
  async cancel(messageId: string): Promise<number> {
    const body = Buffer.concat([cstr('service_type', ''), cstr('message_id', messageId), Buffer.from([0, 0]), cstr('source_addr', ''), Buffer.from([1, 1]), cstr('destination_addr', '')]);
    return (await this.#request(0x08, body)).status;
  }

  async #submitSm(to: string, sm: Buffer, o: { registeredDelivery: number; dataCoding: number; esmClass: number; scheduleDeliveryTime?: string }): Promise<{ status: number; messageId: string }> {
    const body = Buffer.concat([
      cstr('service_type', ''), Buffer.from([0, 0]), cstr('source_addr', ''), Buffer.from([1, 1]), cstr('destination_addr', to.replace(/^\+/, '')),
      Buffer.from([o.esmClass, 0, 0]), cstr('schedule_delivery_time', o.scheduleDeliveryTime ?? ''), cstr('validity_period', ''),
      Buffer.from([o.registeredDelivery, 0, o.dataCoding, 0, sm.length]), sm,
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
      if (id === 0x05) {
        const answer = this.deliverAnswers.shift() ?? 0;
        if (answer === 0) this.delivered.push(this.#deliverSm(body));
        this.#write(0x80000005, answer, seq, Buffer.from([0]));
        continue;
      }
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
