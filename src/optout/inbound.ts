// STOP / START / HELP on inbound texts. STOP puts the sender on the opt-out list (for the
// business number it texted, or for the whole account: SWITCHBOARD_OPT_OUT_SCOPE) and
// sends one confirmation; START removes them and confirms; HELP answers the help text.
// Replies go from the number that was texted when it is ours, and carry an idempotency
// key derived from the inbound message, so a replayed webhook never texts twice.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { InboundRow, RecordStore } from '../store/store.ts';
import type { Intake } from '../intake/accept-message.ts';
import { keywordOf } from '../domain/keywords.ts';

/** What this needs of the store. */
export type OptOutStore = Pick<RecordStore, 'addOptOut' | 'removeOptOuts'>;

export class OptOutHandler {
  readonly #store: OptOutStore;
  readonly #config: Config;
  readonly #intake: Intake;
  readonly #owns: (number: string) => boolean;
  readonly #log: Logger;

  constructor(opts: { store: OptOutStore; config: Config; intake: Intake; owns: (number: string) => boolean; logger: Logger }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#intake = opts.intake;
    this.#owns = opts.owns;
    this.#log = opts.logger;
  }

  /**
   * Acts on the keyword messages among newly received inbound texts; answers the others.
   * Keywords are answered here and go no further (not masked, not relayed).
   */
  /** a keyword changed the customer's consent (after the change is stored): the app announces it */
  onConsent: ((m: InboundRow, change: 'consent.opt_out' | 'consent.opt_in', sender: string) => Promise<void>) | null = null;

  async handle(rows: InboundRow[]): Promise<InboundRow[]> {
    const c = this.#config;
    const rest: InboundRow[] = [];
    for (const m of rows) {
      const keyword = keywordOf(m.body, { stop: c.stopKeywords, start: c.startKeywords, help: c.helpKeywords });
      if (!keyword) { rest.push(m); continue; }
      const sender = c.optOutScope === 'number' ? m.to_number : '';
      if (keyword === 'stop') await this.#store.addOptOut({ account_id: m.account_id, number: m.from_number, sender, source: 'keyword', created_at: Date.now() });
      if (keyword === 'start') await this.#store.removeOptOuts(m.account_id, m.from_number, c.optOutScope === 'number' ? sender : null);
      if (keyword !== 'help') await this.onConsent?.(m, keyword === 'stop' ? 'consent.opt_out' : 'consent.opt_in', sender);
      const body = keyword === 'stop' ? c.stopReply : keyword === 'start' ? c.startReply : c.helpReply;
      try {
        await this.#intake.accept(
          { to: m.from_number, body, ...(this.#owns(m.to_number) ? { from: m.to_number } : {}) },
          { accountId: m.account_id, keyId: null },
          `keyword-reply:${m.provider_id}:${m.provider_message_id}`,
          { skipOptOut: true },
        );
      } catch (err) {
        this.#log.error({ err, inbound: m.id, keyword }, 'keyword reply could not be queued');
      }
      this.#log.info({ inbound: m.id, keyword, account: m.account_id }, 'compliance keyword handled');
    }
    return rest;
  }
}
