// Switchboard as an SMSC: legacy systems (PBXs, Kannel, Jasmin, monitoring tools) bind
// over SMPP 3.4 (SWITCHBOARD_SMPP_PORT, off by default; TLS when a certificate is given)
// with the system_id and password of an API key (`switchboard keys create NAME --smpp`).
// - bind_transmitter / bind_transceiver need the key's `send` scope, bind_receiver its
//   `read` scope; a wrong or revoked credential gets ESME_RBINDFAIL.
// - submit_sm (and data_sm) goes through the same intake as POST /v1/messages (validation,
//   opt-out, routing, failover, durability), answered with the message's SMPP id once it
//   is on disk. Parts of a long text (UDH or SAR) are held until all have arrived, then
//   accepted as one message, each part answered with its own id (the message's and the
//   part number); message_payload carries a whole text. A resubmitted sequence number
//   within a bind is the same message (idempotency).
// - query_sm and cancel_sm by id, for the bind's own account only.
// - Per bind: at most SWITCHBOARD_SMPP_WINDOW submit_sm unanswered and
//   SWITCHBOARD_SMPP_MAX_PER_SECOND accepted; beyond either, ESME_RTHROTTLED. Repeated
//   failed binds lock a system_id out for a while.
// - registered_delivery: the final status comes back as a deliver_sm receipt per part that
//   asked, in the standard text format, with receipted_message_id and message_state TLVs,
//   to a receiver bound with the same system_id. Receipts are callback rows (type
//   smpp.receipt) written with the status change, so they survive a restart and are
//   retried until the client answers deliver_sm_resp with ESME_ROK.
// - Inbound texts to the account's numbers go to its bound receivers as deliver_sm.
// - enquire_link every SWITCHBOARD_SMPP_ENQUIRE_LINK_SECONDS; a client that does not
//   answer by the next one is unbound. A malformed PDU is answered with generic_nack and
//   the connection closed; the listener carries on.
import smpp, { type PDU, type Server, type Session } from 'smpp';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Authenticator, Principal } from '../auth/auth.ts';
import type { MessageRow, Store } from '../store/store.ts';
import type { Intake } from '../intake/accept-message.ts';
import type { MessageBus } from '../events/bus.ts';
import type { Metrics } from '../metrics.ts';
import { storeFailure } from '../store/failures.ts';
import { AppError } from '../domain/errors.ts';
import { addressOf, e164, messageOfSmpp, receiptErr, readShortMessage, smppMessageId, smppReceiptTarget, smppTime, SMPP_ENROUTE, SMPP_STATE } from '../domain/smpp.ts';
import { encodeGsm7, encodeUcs2, isGsm7 } from '../domain/encoding.ts';
import { isFinal } from '../domain/status.ts';
import { newId } from '../domain/ids.ts';
import { cancelMessage } from '../services/cancel.ts';
import { BindGuard } from './bind-guard.ts';
import { partStatus, ReceiptQueue } from './receipts.ts';

const ESME = {
  ROK: 0x00, RINVMSGLEN: 0x01, RINVBNDSTS: 0x04, RALYBND: 0x05, RSYSERR: 0x08, RINVSRCADR: 0x0a, RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d, RMSGQFUL: 0x14, RSUBMITFAIL: 0x45, RTHROTTLED: 0x58, RX_P_APPN: 0x65, RINVCMDLEN: 0x02,
  RINVMSGID: 0x0c, RCANCELFAIL: 0x11, RQUERYFAIL: 0x67,
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

interface Bind { id: string; session: Session; principal: Principal; systemId: string; transmit: boolean; receive: boolean; inflight: number; windowStart: number; windowCount: number; awaitingLink: boolean }
interface Held { parts: Map<number, { pdu: PDU; text: string }>; total: number; timer: NodeJS.Timeout }
/**
 * What the SMPP server needs, and no more: it stands beside HTTP (not inside it), on the
 * same intake, store and authentication.
 */
export interface SmppServerDeps {
  config: Config;
  logger: Logger;
  metrics: Pick<Metrics, 'smppBindRefusals' | 'smppBindLockouts'>;
  auth: Pick<Authenticator, 'authenticateSmpp'>;
  intake: Pick<Intake, 'accept'>;
  bus: Pick<MessageBus, 'publish' | 'onStatus'>;
  store: Pick<Store, 'claimCallbacks' | 'finishCallbacks' | 'getMessage' | 'getMessages' | 'listParts' | 'cancelMessage' | 'listInbound'>;
}

export class SmppServer {
  readonly #ctx: SmppServerDeps;
  readonly #server: Server;
  readonly #binds = new Set<Bind>();
  readonly #held = new Map<string, Held>();
  /** per account: the newest inbound text already handed to receivers */
  readonly #inboundSeen = new Map<string, string>();
  readonly #guard = new BindGuard();
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  readonly #receipts: ReceiptQueue;
  port = 0;

  constructor(ctx: SmppServerDeps) {
    this.#ctx = ctx;
    const c = ctx.config;
    this.#receipts = new ReceiptQueue({ store: ctx.store, logger: ctx.logger, ttlMs: c.smppReceiptTtlSeconds * 1000, receivers: () => this.#binds });
    const tls = c.smppTlsCert && c.smppTlsKey ? { key: readFileSync(c.smppTlsKey), cert: readFileSync(c.smppTlsCert) } : {};
    this.#server = smpp.createServer(tls, (session) => this.#accept(session));
    this.#server.on('error', (err: Error) => ctx.logger.error({ err }, 'SMPP listener error'));
    // A final status in this process: its receipt (if asked for) is already on disk; send it now.
    ctx.bus.onStatus(({ message }) => { if (isFinal(message.status)) this.#receipts.now(); });
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
    await this.#receipts.stop();
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
        if (this.#guard.lockedOut(systemId, Date.now())) {
          this.#ctx.metrics.smppBindRefusals.inc({ reason: 'locked_out' });
          session.send(pdu.response({ command_status: ESME.RBINDFAIL }));
          return;
        }
        const p = await this.#ctx.auth.authenticateSmpp(systemId, String(pdu.password ?? ''));
        const allowed = p && (!transmit || p.scopes.has('send')) && (!receive || p.scopes.has('read'));
        if (!p || !allowed) {
          this.#ctx.metrics.smppBindRefusals.inc({ reason: p ? 'scope' : 'credentials' });
          this.#ctx.logger.warn({ system_id: systemId }, 'SMPP bind refused');
          const locked = this.#guard.failed(systemId, Date.now());
          if (locked !== null) {
            this.#ctx.metrics.smppBindLockouts.inc();
            this.#ctx.logger.warn({ system_id: systemId, seconds: locked / 1000 }, 'SMPP system_id locked out after repeated failed binds');
          }
          session.send(pdu.response({ command_status: ESME.RBINDFAIL }));
          return;
        }
        this.#guard.cleared(systemId);
        bind = { id: newId('smb'), session, principal: p, systemId, transmit, receive, inflight: 0, windowStart: 0, windowCount: 0, awaitingLink: false };
        this.#binds.add(bind);
        session.send(pdu.response({ system_id: 'Switchboard' }));
        if (receive) { this.#receipts.now(); await this.#markInboundSeen(p.accountId); }
      } finally {
        session.resume();
      }
    };
    session.on('bind_transceiver', onBind(true, true));
    session.on('bind_transmitter', onBind(true, false));
    session.on('bind_receiver', onBind(false, true));
    // data_sm (its text in message_payload) is taken as submit_sm is.
    for (const cmd of ['submit_sm', 'data_sm']) {
      session.on(cmd, (pdu: PDU) => {
        if (!bind || !bind.transmit) { session.send(pdu.response({ command_status: ESME.RINVBNDSTS })); return; }
        void this.#submit(bind, pdu);
      });
    }
    session.on('query_sm', (pdu: PDU) => {
      if (!bind || !bind.transmit) { session.send(pdu.response({ command_status: ESME.RINVBNDSTS })); return; }
      void this.#query(bind, pdu);
    });
    session.on('cancel_sm', (pdu: PDU) => {
      if (!bind || !bind.transmit) { session.send(pdu.response({ command_status: ESME.RINVBNDSTS })); return; }
      void this.#cancel(bind, pdu);
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('enquire_link_resp', () => { if (bind) bind.awaitingLink = false; });
    session.on('unbind', (pdu: PDU) => { session.send(pdu.response()); session.close(); });
    session.on('unknown', (pdu: PDU) => session.send(pdu.response()));
    for (const cmd of ['replace_sm', 'submit_multi']) {
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
      const message = await this.#accept1(bind, [{ pdu }], text);
      bind.session.send(pdu.response({ message_id: smppMessageId(message.id) }));
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
    const ordered = [...held.parts.entries()].sort((a, b) => a[0] - b[0]).map(([part, p]) => ({ ...p, part }));
    bind.inflight++;
    this.#accept1(bind, ordered, ordered.map((p) => p.text).join('')).then(
      (message) => {
        // Each part has its own id, as an SMSC answers each submit_sm, and its own receipt.
        for (const p of ordered) bind.session.send(p.pdu.response({ message_id: smppMessageId(message.id, p.part) }));
      },
      (err) => { for (const p of ordered) bind.session.send(p.pdu.response({ command_status: statusFor(err) })); },
    ).finally(() => { bind.inflight--; });
  }

  /** Takes one text through intake; the parts that asked for a receipt (registered_delivery) get one, durably. */
  async #accept1(bind: Bind, parts: { pdu: PDU; part?: number }[], body: string): Promise<MessageRow> {
    const pdus = parts.map((p) => p.pdu);
    const first = pdus[0];
    const to = e164(String(first.destination_addr ?? ''), Number(first.dest_addr_ton ?? 1) || 1);
    const source = String(first.source_addr ?? '');
    const from = source ? e164(source, Number(first.source_addr_ton ?? 0)) : undefined;
    const p = bind.principal;
    // schedule_delivery_time and validity_period (absolute or relative; the codec reads both as a time).
    const now = Date.now();
    const at = (v: unknown) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.getTime() : null);
    const sendAt = at(first.schedule_delivery_time);
    const until = at(first.validity_period);
    const timing = {
      ...(sendAt !== null && sendAt > now ? { send_at: new Date(sendAt).toISOString() } : {}),
      ...(until !== null ? { validity_period: Math.min(259_200, Math.max(1, Math.round((until - Math.max(now, sendAt ?? now)) / 1000))) } : {}),
    };
    // Receipts go back over SMPP, as callbacks do over HTTP: the message's callback target
    // names this system_id, so each receipt is written with the final status (durable).
    const receiptParts = parts.filter((x) => (Number(x.pdu.registered_delivery ?? 0) & 0x03) !== 0).map((x) => x.part);
    const callback = receiptParts.length > 0
      ? { callbackUrl: smppReceiptTarget({ systemId: bind.systemId, parts: receiptParts, dest: from ?? 'Switchboard' }), signsCallbacks: true }
      : { callbackUrl: p.callbackUrl, signsCallbacks: p.signsCallbacks };
    const { message } = await this.#ctx.intake.accept(
      { to, body, ...(from ? { from } : {}), ...timing },
      { accountId: p.accountId, keyId: p.keyId, ...callback },
      // A client that resubmits a sequence number within one bind gets the same message.
      `smpp:${bind.id}:${pdus.map((x) => x.sequence_number).join(',')}`,
    );
    return message;
  }

  /** query_sm: the state of a message (or of one part) this account submitted, by its SMPP id. */
  async #query(bind: Bind, pdu: PDU): Promise<void> {
    const id = String(pdu.message_id ?? '');
    try {
      const found = await this.#find(bind, id);
      if (!found) { bind.session.send(pdu.response({ command_status: ESME.RQUERYFAIL })); return; }
      const { status, finalAt, errorCode } = found;
      const final = SMPP_STATE[status];
      bind.session.send(pdu.response({
        message_id: id, final_date: final && finalAt ? smppTime(finalAt) : '', message_state: final?.state ?? SMPP_ENROUTE,
        error_code: final ? Number(receiptErr(final.stat, errorCode)) & 0xff : 0,
      }));
    } catch (err) {
      bind.session.send(pdu.response({ command_status: storeFailure(err) ? ESME.RSYSERR : ESME.RQUERYFAIL }));
    }
  }

  /** cancel_sm: cancels a message this account submitted that is still queued or scheduled (any of its ids). */
  async #cancel(bind: Bind, pdu: PDU): Promise<void> {
    const named = messageOfSmpp(String(pdu.message_id ?? ''));
    try {
      if (!named) { bind.session.send(pdu.response({ command_status: ESME.RINVMSGID })); return; }
      const r = await cancelMessage(this.#ctx, bind.principal.accountId, named.messageId);
      bind.session.send(pdu.response(r.kind === 'canceled' ? {} : { command_status: ESME.RCANCELFAIL }));
    } catch {
      bind.session.send(pdu.response({ command_status: ESME.RCANCELFAIL }));
    }
  }

  /** A message or part of this bind's account by SMPP id, with its status (the part's own, where it has one). */
  async #find(bind: Bind, smppId: string): Promise<{ status: string; finalAt: number | null; errorCode: string | null } | null> {
    const named = messageOfSmpp(smppId);
    if (!named) return null;
    const message = await this.#ctx.store.getMessage(bind.principal.accountId, named.messageId);
    if (!message) return null;
    return partStatus(message, named.part, await this.#ctx.store.listParts(message.id));
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
      // Receipts of final statuses reached in other processes, retries, and expiry.
      this.#receipts.now();
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
