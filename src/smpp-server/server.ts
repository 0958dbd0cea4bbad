// Switchboard as an SMSC: legacy systems (PBXs, Kannel, Jasmin, monitoring tools) bind
// over SMPP 3.4 (SWITCHBOARD_SMPP_PORT, off by default; TLS when a certificate is given)
// with the system_id and password of an API key (`switchboard keys create NAME --smpp`).
// - bind_transmitter / bind_transceiver need the key's `send` scope, bind_receiver its
//   `read` scope; a wrong or revoked credential gets ESME_RBINDFAIL.
// - submit_sm goes through the same intake as POST /v1/messages (validation, opt-out,
//   routing, failover, durability), answered with our message id once it is on disk.
//   Parts of a long text (UDH or SAR) are held until all have arrived, then accepted as
//   one message, every part answered with its id; message_payload carries a whole text.
//   A resubmitted sequence number within a bind is the same message (idempotency).
// - Per bind: at most SWITCHBOARD_SMPP_WINDOW submit_sm unanswered and
//   SWITCHBOARD_SMPP_MAX_PER_SECOND accepted; beyond either, ESME_RTHROTTLED.
// - registered_delivery: the final status comes back as a deliver_sm receipt in the
//   standard text format, with receipted_message_id and message_state TLVs, to a
//   receiver bound with the same system_id (queued in memory until one is).
// - Inbound texts to the account's numbers go to its bound receivers as deliver_sm.
// - enquire_link every SWITCHBOARD_SMPP_ENQUIRE_LINK_SECONDS; a client that does not
//   answer by the next one is unbound. A malformed PDU is answered with generic_nack and
//   the connection closed; the listener carries on.
import smpp, { type PDU, type Server, type Session } from 'smpp';
import { readFileSync } from 'node:fs';
import type { AppContext } from '../http/context.ts';
import type { Principal } from '../http/auth.ts';
import type { MessageRow } from '../store/store.ts';
import { storeFailure } from '../store/failures.ts';
import { AppError } from '../domain/errors.ts';
import { addressOf, e164, readShortMessage, receiptText, smppMessageId } from '../domain/smpp.ts';
import { encodeGsm7, encodeUcs2, isGsm7 } from '../domain/encoding.ts';
import { isFinal } from '../domain/status.ts';
import { newId } from '../domain/ids.ts';

const ESME = {
  ROK: 0x00, RINVMSGLEN: 0x01, RINVBNDSTS: 0x04, RALYBND: 0x05, RSYSERR: 0x08, RINVSRCADR: 0x0a, RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d, RMSGQFUL: 0x14, RSUBMITFAIL: 0x45, RTHROTTLED: 0x58, RX_P_APPN: 0x65, RINVCMDLEN: 0x02,
} as const;

/** Intake's refusals → command_status. */
function statusFor(err: unknown): number {
  // The database away or full: a temporary refusal (message queue full), which ESMEs retry.
  if (storeFailure(err)) return ESME.RMSGQFUL;
  if (!(err instanceof AppError)) return ESME.RSYSERR;
  switch (err.code) {
    case 'invalid_phone_number': return ESME.RINVDSTADR;
    case 'invalid_sender': case 'unknown_sender': case 'sender_not_allowed': return ESME.RINVSRCADR;
    case 'body_empty': case 'body_too_long': case 'invalid_body': return ESME.RINVMSGLEN;
    case 'recipient_opted_out': return ESME.RX_P_APPN;
    case 'rate_limited': return ESME.RTHROTTLED;
    default: return ESME.RSUBMITFAIL;
  }
}

const STATE: Record<string, [stat: string, state: number]> = {
  delivered: ['DELIVRD', 2], undelivered: ['UNDELIV', 5], failed: ['UNDELIV', 5], expired: ['EXPIRED', 3], canceled: ['DELETED', 4],
};

interface Bind { id: string; session: Session; principal: Principal; systemId: string; transmit: boolean; receive: boolean; inflight: number; windowStart: number; windowCount: number; awaitingLink: boolean }
interface Held { parts: Map<number, { pdu: PDU; text: string }>; total: number; timer: NodeJS.Timeout }
interface PendingReceipt { systemId: string; accountId: string; message: MessageRow; source: string; dest: string }

export class SmppServer {
  readonly #ctx: AppContext;
  readonly #server: Server;
  readonly #binds = new Set<Bind>();
  readonly #held = new Map<string, Held>();
  /** messages whose client asked for a receipt, until it is sent */
  readonly #receipts = new Map<string, PendingReceipt>();
  /** final statuses waiting for a receiver of their system_id to bind */
  readonly #queued: PendingReceipt[] = [];
  /** per account: the newest inbound text already handed to receivers */
  readonly #inboundSeen = new Map<string, string>();
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  port = 0;

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
    const c = ctx.config;
    const tls = c.smppTlsCert && c.smppTlsKey ? { key: readFileSync(c.smppTlsKey), cert: readFileSync(c.smppTlsCert) } : {};
    this.#server = smpp.createServer(tls, (session) => this.#accept(session));
    this.#server.on('error', (err: Error) => ctx.logger.error({ err }, 'SMPP listener error'));
    ctx.bus.onStatus(({ message }) => { if (isFinal(message.status)) void this.#final(message); });
  }

  async start(): Promise<void> {
    const c = this.#ctx.config;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(c.smppPort, c.smppHost || c.host, () => { this.#server.removeListener('error', reject); resolve(); });
    });
    this.port = this.#server.address()?.port ?? 0;
    // Statuses changed by worker processes elsewhere, and inbound texts, are polled for.
    this.#timer = setInterval(() => void this.#poll(), 500);
    this.#timer.unref();
    const link = setInterval(() => this.#enquireLinks(), c.smppEnquireLinkSeconds * 1000);
    link.unref();
    this.#server.once('close', () => clearInterval(link));
    this.#ctx.logger.info({ port: this.port, tls: !!(c.smppTlsCert && c.smppTlsKey) }, 'SMPP server listening');
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const h of this.#held.values()) clearTimeout(h.timer);
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    await Promise.all([...this.#binds].map((b) => new Promise<void>((resolve) => {
      const t = setTimeout(() => { b.session.destroy(); resolve(); }, 1_000);
      if (!b.session.unbind({}, () => { clearTimeout(t); b.session.close(); resolve(); })) { clearTimeout(t); resolve(); }
    })));
    await closed;
  }

  #accept(session: Session): void {
    let bind: Bind | null = null;
    session.on('error', () => {
      // A PDU the codec could not read: say so, and close; the stream cannot be trusted after it.
      try { session.send(new smpp.PDU('generic_nack', { command_status: ESME.RINVCMDLEN, sequence_number: 0 })); } catch { /* gone */ }
      session.destroy();
    });
    session.on('close', () => { if (bind) this.#binds.delete(bind); });
    const onBind = (transmit: boolean, receive: boolean) => async (pdu: PDU) => {
      if (bind) { session.send(pdu.response({ command_status: ESME.RALYBND })); return; }
      session.pause();
      try {
        const systemId = String(pdu.system_id ?? '');
        const p = await this.#ctx.auth.authenticateSmpp(systemId, String(pdu.password ?? ''));
        const allowed = p && (!transmit || p.scopes.has('send')) && (!receive || p.scopes.has('read'));
        if (!p || !allowed) {
          this.#ctx.logger.warn({ system_id: systemId }, 'SMPP bind refused');
          session.send(pdu.response({ command_status: ESME.RBINDFAIL }));
          return;
        }
        bind = { id: newId('smb'), session, principal: p, systemId, transmit, receive, inflight: 0, windowStart: 0, windowCount: 0, awaitingLink: false };
        this.#binds.add(bind);
        session.send(pdu.response({ system_id: 'Switchboard' }));
        if (receive) { this.#flushQueued(systemId); await this.#markInboundSeen(p.accountId); }
      } finally {
        session.resume();
      }
    };
    session.on('bind_transceiver', onBind(true, true));
    session.on('bind_transmitter', onBind(true, false));
    session.on('bind_receiver', onBind(false, true));
    session.on('submit_sm', (pdu: PDU) => {
      if (!bind || !bind.transmit) { session.send(pdu.response({ command_status: ESME.RINVBNDSTS })); return; }
      void this.#submit(bind, pdu);
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('enquire_link_resp', () => { if (bind) bind.awaitingLink = false; });
    session.on('unbind', (pdu: PDU) => { session.send(pdu.response()); session.close(); });
    session.on('deliver_sm_resp', () => {});
    session.on('unknown', (pdu: PDU) => session.send(pdu.response()));
    for (const cmd of ['query_sm', 'cancel_sm', 'replace_sm', 'submit_multi', 'data_sm']) {
      session.on(cmd, (pdu: PDU) => session.send(pdu.response({ command_status: 0x03 })));
    }
  }

  async #submit(bind: Bind, pdu: PDU): Promise<void> {
    const c = this.#ctx.config;
    const now = Date.now();
    if (now - bind.windowStart >= 1000) { bind.windowStart = now; bind.windowCount = 0; }
    if (bind.inflight >= c.smppWindow || (c.smppMaxPerSecond > 0 && bind.windowCount >= c.smppMaxPerSecond)) {
      bind.session.send(pdu.response({ command_status: ESME.RTHROTTLED }));
      return;
    }
    bind.windowCount++;
    const { text, concat } = readShortMessage(pdu);
    if (concat) return this.#hold(bind, pdu, text, concat);
    bind.inflight++;
    try {
      const id = await this.#accept1(bind, [pdu], text);
      bind.session.send(pdu.response({ message_id: id }));
    } catch (err) {
      bind.session.send(pdu.response({ command_status: statusFor(err) }));
    } finally {
      bind.inflight--;
    }
  }

  /** Parts of one long text are held until all are here (60 s at most), then accepted as one message. */
  #hold(bind: Bind, pdu: PDU, text: string, concat: { ref: string; part: number; total: number }): void {
    const key = `${bind.id}\u0000${String(pdu.destination_addr)}\u0000${concat.ref}`;
    let held = this.#held.get(key);
    if (!held) {
      held = {
        parts: new Map(), total: concat.total,
        timer: setTimeout(() => {
          this.#held.delete(key);
          for (const p of held!.parts.values()) bind.session.send(p.pdu.response({ command_status: ESME.RSUBMITFAIL }));
        }, 60_000),
      };
      held.timer.unref();
      this.#held.set(key, held);
    }
    held.parts.set(concat.part, { pdu, text });
    if (held.parts.size < held.total) return;
    clearTimeout(held.timer);
    this.#held.delete(key);
    const ordered = [...held.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    bind.inflight++;
    this.#accept1(bind, ordered.map((p) => p.pdu), ordered.map((p) => p.text).join('')).then(
      (id) => { for (const p of ordered) bind.session.send(p.pdu.response({ message_id: id })); },
      (err) => { for (const p of ordered) bind.session.send(p.pdu.response({ command_status: statusFor(err) })); },
    ).finally(() => { bind.inflight--; });
  }

  async #accept1(bind: Bind, pdus: PDU[], body: string): Promise<string> {
    const first = pdus[0];
    const to = e164(String(first.destination_addr ?? ''), Number(first.dest_addr_ton ?? 1) || 1);
    const source = String(first.source_addr ?? '');
    const from = source ? e164(source, Number(first.source_addr_ton ?? 0)) : undefined;
    const p = bind.principal;
    const { message } = await this.#ctx.intake.accept(
      { to, body, ...(from ? { from } : {}) },
      { accountId: p.accountId, keyId: p.keyId, callbackUrl: p.callbackUrl, signsCallbacks: p.signsCallbacks },
      // A client that resubmits a sequence number within one bind gets the same message.
      `smpp:${bind.id}:${pdus.map((x) => x.sequence_number).join(',')}`,
    );
    if ((Number(first.registered_delivery ?? 0) & 0x03) !== 0) {
      // The receipt comes from the recipient, to the client's sender.
      const pending = { systemId: bind.systemId, accountId: p.accountId, message, source: to, dest: from ?? 'Switchboard' };
      if (isFinal(message.status)) this.#send(pending, message);
      else this.#receipts.set(message.id, pending);
    }
    return smppMessageId(message.id);
  }

  /** A message reached its final status: its receipt goes to a receiver of the client that sent it. */
  async #final(message: MessageRow): Promise<void> {
    const pending = this.#receipts.get(message.id);
    if (!pending) return;
    this.#receipts.delete(message.id);
    this.#send(pending, message);
  }

  #send(pending: PendingReceipt, message: MessageRow): void {
    const receiver = [...this.#binds].find((b) => b.receive && b.systemId === pending.systemId);
    if (!receiver) { this.#queued.push({ ...pending, message }); return; }
    const [stat, state] = STATE[message.status] ?? ['UNKNOWN', 7];
    const err = stat === 'DELIVRD' ? '000' : (message.provider_error_code ?? '001').replace(/\D/g, '').slice(0, 3).padStart(3, '0');
    // The text is made of characters GSM 03.38 and ASCII share (receiptText), so `id:` reads
    // the same however the client decodes data_coding 0, and equals receipted_message_id.
    const id = smppMessageId(message.id);
    const text = receiptText({ id, stat, err, submitted: message.created_at, done: message.final_at ?? Date.now(), text: message.body });
    const src = addressOf(pending.source);
    const dst = addressOf(pending.dest);
    receiver.session.deliver_sm({
      source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr,
      esm_class: 0x04, data_coding: 0, short_message: Buffer.from(text, 'ascii'), receipted_message_id: id, message_state: state,
    });
  }

  #flushQueued(systemId: string): void {
    const mine = this.#queued.filter((q) => q.systemId === systemId);
    for (const q of mine) { this.#queued.splice(this.#queued.indexOf(q), 1); this.#send(q, q.message); }
  }

  async #markInboundSeen(accountId: string): Promise<void> {
    if (this.#inboundSeen.has(accountId)) return;
    const [newest] = await this.#ctx.store.listInbound(accountId, undefined, 1);
    this.#inboundSeen.set(accountId, newest?.id ?? '');
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      // Final statuses reached in other processes.
      if (this.#receipts.size > 0) {
        for (const m of await this.#ctx.store.getMessages([...this.#receipts.keys()])) if (isFinal(m.status)) await this.#final(m);
      }
      // Inbound texts for accounts with a bound receiver, oldest first.
      const accounts = new Set([...this.#binds].filter((b) => b.receive).map((b) => b.principal.accountId));
      for (const accountId of accounts) {
        const seen = this.#inboundSeen.get(accountId) ?? '';
        const fresh = (await this.#ctx.store.listInbound(accountId, undefined, 50)).filter((m) => m.id > seen).reverse();
        if (fresh.length === 0) continue;
        this.#inboundSeen.set(accountId, fresh.at(-1)!.id);
        const receivers = [...this.#binds].filter((b) => b.receive && b.principal.accountId === accountId);
        for (const [i, m] of fresh.entries()) {
          const r = receivers[i % receivers.length];
          const src = addressOf(m.from_number);
          const dst = addressOf(m.to_number);
          const gsm = isGsm7(m.body);
          r.session.deliver_sm({
            source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr,
            esm_class: 0, data_coding: gsm ? 0 : 8, ...(gsm && m.body.length <= 160 || !gsm && m.body.length <= 70
              ? { short_message: gsm ? encodeGsm7(m.body) : encodeUcs2(m.body) }
              : { short_message: Buffer.alloc(0), message_payload: gsm ? encodeGsm7(m.body) : encodeUcs2(m.body) }),
          });
        }
      }
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'SMPP server poll failed');
    } finally {
      this.#polling = false;
    }
  }

  #enquireLinks(): void {
    for (const b of this.#binds) {
      if (b.awaitingLink) {
        this.#ctx.logger.warn({ system_id: b.systemId }, 'SMPP client stopped answering enquire_link: unbinding');
        b.session.unbind();
        b.session.destroy();
        this.#binds.delete(b);
        continue;
      }
      b.awaitingLink = true;
      b.session.enquire_link({}, () => { b.awaitingLink = false; });
    }
  }
}
