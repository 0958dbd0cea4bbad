// Operator alerts. Each rule is checked every `alertCheckMs` against the ledger (so every
// process sees the same numbers) and its state lives in the store: only the process whose
// update moves a rule from ok to firing notifies, so an episode alerts once however many
// workers run, and again only after it has resolved.
//   failovers:  more than N failovers within W (default 3 in 10 minutes)
//   queue_age:  the oldest due message has waited longer than the limit
//   routes_down: messages wait because no route can take them (providers down, circuits
//               open, binds lost): the count waiting by country, and the providers out
//   provider_demoted:<id>: a provider accepts but is held back for what its receipts say:
//               most undelivered (`delivery`) or most overdue (`latency`); resolved when
//               its window judges it healthy again
//   provider_account:<id>: a provider refused the account itself (credentials, barred,
//               no credit; the worker opened its circuit), with the provider's own code
//               and words; resolved when its circuit closes again
//   database_down: this process could not reach its database for longer than the limit
//               (services/database-watch.ts; each process alerts for itself, since no
//               state can be shared while the database is away, and by webhook only)
// Notifications go to the alert webhook (signed like callbacks when
// SWITCHBOARD_WEBHOOK_SECRET is set) and, optionally, as an SMS to an operator number.
import type { Logger } from 'pino';
import { request } from 'undici';
import type { Config } from '../config.ts';
import type { AlertStore, MessageLedger } from '../store/store.ts';
import { newId } from '../domain/ids.ts';
import { signStandardWebhook } from '../domain/sign.ts';
import { Periodic } from '../loop/periodic.ts';

/** What this needs of the store. */
export type AlertsStore = Pick<AlertStore, 'listAlerts' | 'setAlertState'> & Pick<MessageLedger, 'countFailovers' | 'queueStats' | 'waitingForRoute'>;

const DEMOTED = 'provider_demoted:';

export interface AlertNotice { rule: string; state: 'firing' | 'resolved'; detail: string; at: string }

type SendSms = (to: string, body: string) => Promise<void>;

export class AlertMonitor {
  readonly #store: AlertsStore;
  readonly #config: Config;
  readonly #log: Logger;
  readonly #notifier: AlertNotifier;
  readonly #down: () => string[];
  readonly #demoted: () => [string, string | null][];
  #loop: Periodic | null = null;

  /** `downProviders`: the providers not taking traffic now (named in the routes_down alert) */
  /** `demotions`: each active provider and why routing holds it back for its receipts (`delivery`, `latency`), if it does */
  constructor(opts: { store: AlertsStore; config: Config; logger: Logger; notifier: AlertNotifier; downProviders?: () => string[]; demotions?: () => [string, string | null][] }) {
    this.#down = opts.downProviders ?? (() => []);
    this.#demoted = opts.demotions ?? (() => []);
    this.#store = opts.store;
    this.#config = opts.config;
    this.#log = opts.logger;
    this.#notifier = opts.notifier;
  }

  start(): void {
    this.#loop = new Periodic(() => this.check(), this.#config.alertCheckMs, this.#log, 'alert check', this.#config.alertCheckMs);
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  /** Evaluates every rule once. */
  async check(now = Date.now()): Promise<void> {
    const c = this.#config;
    try {
      const failovers = await this.#store.countFailovers(now - c.alertWindowMs);
      const minutes = Math.round(c.alertWindowMs / 60_000 * 10) / 10;
      await this.#evaluate('failovers', failovers > c.alertFailovers, `${failovers} failovers in the last ${minutes} min (alert above ${c.alertFailovers})`, now);
      const q = await this.#store.queueStats(now);
      const age = q.oldestDueAt === null ? 0 : Math.round((now - q.oldestDueAt) / 1000);
      await this.#evaluate('queue_age', age > c.alertQueueAgeSeconds, `oldest due message has waited ${age} s (alert above ${c.alertQueueAgeSeconds} s); ${q.depth} queued`, now);
      const waiting = await this.#store.waitingForRoute();
      const total = waiting.reduce((n, w) => n + w.n, 0);
      const down = this.#down();
      await this.#evaluate('routes_down', total > 0,
        total > 0 ? `${total} messages waiting for a route (${waiting.map((w) => `${w.country ?? 'unknown country'} ${w.n}`).join(', ')}); not taking traffic: ${down.join(', ') || 'none now'}` : 'no message waiting for a route', now);
      // Only the providers demoted now, and those whose alert fires still (to resolve it): no row, and no write, for every healthy provider at every check.
      const demoted = new Map(this.#demoted().filter(([, reason]) => reason === 'delivery' || reason === 'latency'));
      const firing = (await this.#store.listAlerts()).filter((a) => a.state === 'firing' && a.rule.startsWith(DEMOTED)).map((a) => a.rule.slice(DEMOTED.length));
      for (const id of new Set([...demoted.keys(), ...firing])) {
        const reason = demoted.get(id);
        const why = reason === 'delivery' ? 'most of its recent receipts say undelivered' : reason === 'latency' ? `most of its recent sends have no receipt after ${Math.round(c.receiptSlaMs / 1000)} s` : '';
        await this.#evaluate(`${DEMOTED}${id}`, why !== '', why ? `${id} is placed after healthy routes: ${why}` : `${id} takes its share of traffic again`, now);
      }
    } catch (err) {
      this.#log.error({ err }, 'alert check failed');
    }
  }

  async #evaluate(rule: string, firing: boolean, detail: string, now: number): Promise<void> {
    await this.#notifier.episode(this.#store, rule, firing, detail, now);
  }
}

/** Where alerts go: the log, the alert webhook, and for a firing one an SMS to the operator where asked for. */
export class AlertNotifier {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #sms: SendSms;

  constructor(opts: { config: Config; logger: Logger; sendSms: SendSms }) {
    this.#config = opts.config;
    this.#log = opts.logger;
    this.#sms = opts.sendSms;
  }

  /**
   * An alert whose state is kept in the store, so an episode notifies once whichever
   * process sees it: notifies only when this call moved the rule between ok and firing.
   */
  async episode(store: Pick<AlertStore, 'setAlertState'>, rule: string, firing: boolean, detail: string, now: number): Promise<void> {
    if (!(await store.setAlertState(rule, firing ? 'firing' : 'ok', detail, now))) return;
    await this.notify({ rule, state: firing ? 'firing' : 'resolved', detail, at: new Date(now).toISOString() });
  }

  /** `sms: false` for an alert an SMS could not carry (one about the database, where the SMS would be queued). */
  async notify(notice: AlertNotice, opts: { sms?: boolean } = {}): Promise<void> {
    const firing = notice.state === 'firing';
    this.#log[firing ? 'error' : 'info']({ alert: notice }, `alert ${notice.rule} ${notice.state}`);
    await Promise.allSettled([this.#post(notice), firing && this.#config.alertSmsTo && opts.sms !== false ? this.#text(notice) : null]);
  }

  async #post(notice: AlertNotice): Promise<void> {
    const url = this.#config.alertWebhookUrl;
    if (!url) return;
    const body = JSON.stringify({ type: `alert.${notice.state}`, data: notice });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#config.webhookSecret) Object.assign(headers, signStandardWebhook(this.#config.webhookSecret, newId('evt'), Math.floor(Date.now() / 1000), body));
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await request(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
        await res.body.dump();
        if (res.statusCode < 300) return;
        this.#log.warn({ status: res.statusCode, attempt }, 'alert webhook refused the alert');
      } catch (err) {
        this.#log.warn({ err: (err as Error).message, attempt }, 'alert webhook unreachable');
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }

  async #text(notice: AlertNotice): Promise<void> {
    try {
      await this.#sms(this.#config.alertSmsTo, `Switchboard alert ${notice.rule}: ${notice.detail}`);
    } catch (err) {
      this.#log.error({ err }, 'alert SMS could not be queued');
    }
  }
}
