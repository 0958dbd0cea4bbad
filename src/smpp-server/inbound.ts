// Inbound texts to an account's numbers, handed to its bound receivers as deliver_sm,
// oldest first, spread over the receivers; each text once per process (from the newest
// one already stored when the first receiver bound).
import type { InboundRow, WebhookLog } from '../store/store.ts';
import { addressOf } from '../domain/smpp.ts';
import { encodeGsm7, encodeUcs2, isGsm7 } from '../domain/encoding.ts';
import type { Bind } from './bind.ts';

export class InboundDelivery {
  readonly #store: Pick<WebhookLog, 'listInbound'>;
  readonly #receivers: () => Iterable<Bind>;
  /** per account: the newest inbound text already handed to receivers */
  readonly #seen = new Map<string, string>();

  constructor(store: Pick<WebhookLog, 'listInbound'>, receivers: () => Iterable<Bind>) {
    this.#store = store;
    this.#receivers = receivers;
  }

  /** A receiver bound: texts stored before this are not its to deliver. */
  async bound(accountId: string): Promise<void> {
    if (this.#seen.has(accountId)) return;
    const [newest] = await this.#store.listInbound(accountId, undefined, 1);
    this.#seen.set(accountId, newest?.id ?? '');
  }

  /** Delivers the texts stored since the last look, for every account with a bound receiver. */
  async deliver(): Promise<void> {
    const binds = [...this.#receivers()].filter((b) => b.receive);
    for (const accountId of new Set(binds.map((b) => b.principal.accountId))) {
      const seen = this.#seen.get(accountId) ?? '';
      const fresh = (await this.#store.listInbound(accountId, undefined, 50)).filter((m) => m.id > seen).reverse();
      if (fresh.length === 0) continue;
      this.#seen.set(accountId, fresh.at(-1)!.id);
      const receivers = binds.filter((b) => b.principal.accountId === accountId);
      for (const [i, m] of fresh.entries()) receivers[i % receivers.length].session.deliver_sm(deliverSm(m));
    }
  }
}

/** An inbound text as deliver_sm: GSM-7 or UCS-2, in message_payload when it exceeds one PDU's short_message. */
function deliverSm(m: InboundRow): Record<string, unknown> {
  const src = addressOf(m.from_number);
  const dst = addressOf(m.to_number);
  const gsm = isGsm7(m.body);
  const text = gsm ? encodeGsm7(m.body) : encodeUcs2(m.body);
  return {
    source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr,
    esm_class: 0, data_coding: gsm ? 0 : 8,
    ...(m.body.length <= (gsm ? 160 : 70) ? { short_message: text } : { short_message: Buffer.alloc(0), message_payload: text }),
  };
}
