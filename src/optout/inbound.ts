// STOP / START / HELP on inbound texts. STOP opts the sender out (of the business number
// it texted, or of the whole account: the account's opt_out_scope, by default
// SWITCHBOARD_OPT_OUT_SCOPE) and sends one confirmation; START opts them back in and
// confirms; HELP answers the help text. Each STOP and START is a consent record holding
// the inbound text's id and words (domain/consent.ts).
// Replies go from the number that was texted when it is ours, and carry an idempotency
// key derived from the inbound message, so a replayed webhook never texts twice.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ConsentLedger, InboundRow } from '../store/store.ts';
import { pendingConfirmation, type AccountSettings, type NewConsentScope } from '../domain/consent.ts';
import type { Intake } from '../intake/accept-message.ts';
import { keywordOf } from '../domain/keywords.ts';

/** What this needs of the store. */
export type OptOutStore = Pick<ConsentLedger, 'recordConsent' | 'listConsent'>;

export class OptOutHandler {
  readonly #store: OptOutStore;
  readonly #config: Config;
  readonly #intake: Intake;
  readonly #owns: (number: string) => boolean;
  readonly #log: Logger;
  readonly #settings: (accountId: string) => Pick<AccountSettings, 'opt_out_scope'>;

  constructor(opts: { store: OptOutStore; config: Config; intake: Intake; owns: (number: string) => boolean; logger: Logger; settings?: (accountId: string) => Pick<AccountSettings, 'opt_out_scope'> }) {
    this.#settings = opts.settings ?? (() => ({ opt_out_scope: opts.config.optOutScope === 'number' ? 'number' : 'account' }));
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
      let sender = this.#settings(m.account_id).opt_out_scope === 'number' ? m.to_number : '';
      if (keyword !== 'help') {
        // A START that answers a confirmation request (double opt-in) opts in of what was asked.
        const asked = keyword === 'start' ? pendingConfirmation(await this.#store.listConsent(m.account_id, m.from_number), Date.now()) : undefined;
        const scope: NewConsentScope = asked ? { scope: asked.scope, sender: asked.sender, topic: asked.topic } : { scope: sender === '' ? 'account' : 'sender', sender, topic: '' };
        if (asked) sender = asked.sender;
        // One record per inbound text (its id is derived from the text's): a replayed webhook writes it once.
        await this.#store.recordConsent({
          id: `cns_${m.id}`, account_id: m.account_id, number: m.from_number, action: keyword === 'stop' ? 'opt_out' : 'opt_in', ...scope,
          source: asked ? 'confirmation' : 'keyword', inbound_id: m.id, inbound_text: m.body, created_at: Date.now(),
        });
      }
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
