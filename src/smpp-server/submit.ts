// submit_sm and data_sm: each goes through the same intake as POST /v1/messages, within
// the bind's window and rate; the parts of a long text are held until all have arrived.
import type { PDU } from 'smpp';
import type { Config } from '../config.ts';
import type { MessageRow } from '../store/store.ts';
import type { Intake } from '../intake/accept-message.ts';
import { e164, readShortMessage, smppMessageId, smppReceiptTarget } from '../domain/smpp.ts';
import { ESME, statusFor, type Bind } from './bind.ts';
import { LANE, laneOfSmppPriority } from '../domain/lanes.ts';

interface Held { parts: Map<number, { pdu: PDU; text: string }>; total: number; timer: NodeJS.Timeout }

export class Submissions {
  readonly #d: { config: Config; intake: Pick<Intake, 'accept'> };
  readonly #held = new Map<string, Held>();
  constructor(deps: { config: Config; intake: Pick<Intake, 'accept'> }) { this.#d = deps; }

  /** The server is stopping: the timers of texts still waiting for their parts are cleared. */
  stop(): void { for (const h of this.#held.values()) clearTimeout(h.timer); }

  async submit(bind: Bind, pdu: PDU): Promise<void> {
    const c = this.#d.config;
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
    // priority_flag 2 or 3 asks for the urgent lane; otherwise the key's default applies.
    const { message } = await this.#d.intake.accept(
      { to, body, ...(from ? { from } : {}), ...timing, ...smppPriority(Number(first.priority_flag ?? 0)) },
      { accountId: p.accountId, keyId: p.keyId, priority: p.priority, ...callback },
      // A client that resubmits a sequence number within one bind gets the same message.
      `smpp:${bind.id}:${pdus.map((x) => x.sequence_number).join(',')}`,
    );
    return message;
  }
}

/** SMPP priority_flag as intake's priority: only the urgent lane is asked for (domain/lanes.ts). */
function smppPriority(flag: number): { priority?: 'urgent' } {
  return laneOfSmppPriority(flag) === LANE.urgent ? { priority: 'urgent' } : {};
}
