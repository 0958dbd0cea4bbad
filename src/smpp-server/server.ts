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
//   failed binds lock a system_id out for a while, and a host that fails under many
//   system_ids too (auth/failure-guard.ts).
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
import type { Authenticator } from '../auth/auth.ts';
import type { CallbackQueue, MessageLedger, WebhookLog } from '../store/store.ts';
import type { Intake } from '../intake/accept-message.ts';
import type { MessageBus } from '../events/bus.ts';
import type { Metrics } from '../metrics.ts';
import { storeFailure } from '../store/failures.ts';
import { messageOfSmpp, receiptErr, smppTime, SMPP_ENROUTE, SMPP_STATE } from '../domain/smpp.ts';
import { isFinal } from '../domain/status.ts';
import { newId } from '../domain/ids.ts';
import { cancelMessage } from '../services/cancel.ts';
import { FailureGuard } from '../auth/failure-guard.ts';
import { partStatus, ReceiptQueue } from './receipts.ts';
import { ESME, type Bind } from './bind.ts';
import { Submissions } from './submit.ts';
import { InboundDelivery } from './inbound.ts';
import { Periodic } from '../loop/periodic.ts';

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
  store: Pick<CallbackQueue, 'claimCallbacks' | 'finishCallbacks'> & Pick<MessageLedger, 'getMessage' | 'getMessages' | 'listParts' | 'cancelMessage'> & Pick<WebhookLog, 'listInbound'>;
}

export class SmppServer {
  readonly #ctx: SmppServerDeps;
  readonly #server: Server;
  readonly #binds = new Set<Bind>();
  readonly #submissions: Submissions;
  readonly #inbound: InboundDelivery;
  readonly #guard = new FailureGuard();
  // A host may serve several system_ids: it gets a larger budget than one system_id.
  readonly #hosts = new FailureGuard(20);
  #poller: Periodic | null = null;
  readonly #receipts: ReceiptQueue;
  port = 0;

  constructor(ctx: SmppServerDeps) {
    this.#ctx = ctx;
    const c = ctx.config;
    this.#submissions = new Submissions(ctx);
    this.#inbound = new InboundDelivery(ctx.store, () => this.#binds);
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
    this.#poller = new Periodic(() => this.#poll(), 500, this.#ctx.logger, 'SMPP server poll', 500);
    this.#poller.start();
    const link = setInterval(() => this.#enquireLinks(), c.smppEnquireLinkSeconds * 1000);
    link.unref();
    this.#server.once('close', () => clearInterval(link));
    this.#ctx.logger.info({ port: this.port, tls: !!(c.smppTlsCert && c.smppTlsKey) }, 'SMPP server listening');
  }

  async stop(): Promise<void> {
    await this.#poller?.stop();
    await this.#receipts.stop();
    this.#submissions.stop();
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
        // Failed binds are counted per system_id and per source address: a password
        // guessed across many system_ids from one host is stopped too.
        const host = (session as unknown as { socket?: { remoteAddress?: string } }).socket?.remoteAddress ?? '';
        if (this.#guard.lockedOut(systemId, Date.now()) || this.#hosts.lockedOut(host, Date.now())) {
          this.#ctx.metrics.smppBindRefusals.inc({ reason: 'locked_out' });
          session.send(pdu.response({ command_status: ESME.RBINDFAIL }));
          return;
        }
        const p = await this.#ctx.auth.authenticateSmpp(systemId, String(pdu.password ?? ''));
        const allowed = p && (!transmit || p.scopes.has('send')) && (!receive || p.scopes.has('read'));
        if (!p || !allowed) {
          this.#ctx.metrics.smppBindRefusals.inc({ reason: p ? 'scope' : 'credentials' });
          this.#ctx.logger.warn({ system_id: systemId }, 'SMPP bind refused');
          const [bySystemId, byHost] = [this.#guard.failed(systemId, Date.now()), this.#hosts.failed(host, Date.now())];
          const locked = bySystemId ?? byHost;
          if (locked !== null) {
            this.#ctx.metrics.smppBindLockouts.inc();
            this.#ctx.logger.warn({ system_id: systemId, source: host, seconds: locked / 1000 }, 'SMPP system_id or source address locked out after repeated failed binds');
          }
          session.send(pdu.response({ command_status: ESME.RBINDFAIL }));
          return;
        }
        this.#guard.cleared(systemId); // not the host's count: one good bind does not clear its failures under other names
        bind = { id: newId('smb'), session, principal: p, systemId, transmit, receive, inflight: 0, windowStart: 0, windowCount: 0, awaitingLink: false };
        this.#binds.add(bind);
        session.send(pdu.response({ system_id: 'Switchboard' }));
        if (receive) { this.#receipts.now(); await this.#inbound.bound(p.accountId); }
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
        void this.#submissions.submit(bind, pdu);
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

  /** One run at a time (Periodic); a failed one is logged and the next comes as usual. */
  async #poll(): Promise<void> {
    // Receipts of final statuses reached in other processes, retries, and expiry.
    this.#receipts.now();
    await this.#inbound.deliver();
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
