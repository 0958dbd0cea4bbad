// Failed sign-ins spiking (issue 29): refused Bearer keys, dashboard sign-ins and SMPP
// binds, as this process counted them (switchboard_auth_failures_total and
// switchboard_smpp_bind_refusals_total), over the alert window. Above
// SWITCHBOARD_ALERT_SIGN_IN_FAILURES the `sign_in_failures` alert fires (once per
// episode: its state is in the store) and resolves when the window is quiet again. Each
// api process watches what it answered; one resolves only an episode it fired.
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AlertStore } from '../store/store.ts';
import type { AlertNotifier } from '../routing/alerts.ts';
import type { Metrics } from '../metrics.ts';
import { Periodic } from '../loop/periodic.ts';

export const SIGN_IN_RULE = 'sign_in_failures';

async function total(c: Counter<string>): Promise<number> {
  return (await c.get()).values.reduce((n, v) => n + v.value, 0);
}

interface Options { metrics: Pick<Metrics, 'authFailures' | 'smppBindRefusals'>; store: Pick<AlertStore, 'setAlertState'>; notifier: AlertNotifier; threshold: number; windowMs: number }

export class SignInWatch {
  readonly #o: Options;
  readonly #loop: Periodic;
  /** the running totals, oldest first; the first is at or before the window's start */
  #samples: { at: number; total: number }[] = [];
  #firing = false;

  constructor(o: Options & { everyMs: number; logger: Logger }) {
    this.#o = o;
    this.#loop = new Periodic(() => this.check(), o.everyMs, o.logger, 'sign-in watch');
  }

  start(): void { this.#loop.start(); }
  stop(): Promise<void> { return this.#loop.stop(); }

  /** Samples the counters; fires or resolves the alert. Answers the failures in the window. */
  async check(now = Date.now()): Promise<number> {
    const { metrics, windowMs, threshold } = this.#o;
    const sum = (await total(metrics.authFailures)) + (await total(metrics.smppBindRefusals));
    this.#samples.push({ at: now, total: sum });
    while (this.#samples.length > 1 && this.#samples[1].at <= now - windowMs) this.#samples.shift();
    const failures = sum - this.#samples[0].total;
    const firing = failures > threshold;
    if (firing || this.#firing) {
      const minutes = Math.round(windowMs / 60_000);
      await this.#o.notifier.episode(this.#o.store, SIGN_IN_RULE, firing, `${failures} failed sign-ins (API keys, dashboard, SMPP binds) in the last ${minutes} min on this process (alert above ${threshold})`, now);
      this.#firing = firing;
    }
    return failures;
  }
}
