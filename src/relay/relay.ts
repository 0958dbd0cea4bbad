// Relay: an inbound text to a business number with an active rule is forwarded along the
// rule's chain of destinations. The first destination gets it; when that send fails
// (refused at intake, a failed/undelivered outcome, or no final receipt within
// SWITCHBOARD_RELAY_RECEIPT_TIMEOUT_MS) the next one is tried, and so on.
//
// Everything lives in the store: the relay row is the audit (source, body, status, why) and
// the cursor through the chain; one attempt row per destination says what happened to it.
// The chain advances by compare-and-set on the relay's position, so a receipt handled here
// and a sweep in another process cannot both move it on. Sends carry the idempotency key
// `relay:<relay>:<position>`, so re-driving an attempt after a crash never texts twice.
//
// Loop protection, before anything is sent: a provider message is relayed at most once
// (unique in the store); a text whose body already went through SWITCHBOARD_RELAY_HOP_LIMIT
// relays is blocked (hops are read off the template's wording); each sender may trigger at
// most SWITCHBOARD_RELAY_RATE_PER_MINUTE relays per number (burst SWITCHBOARD_RELAY_BURST);
// a destination that is the sender or one of our own numbers is skipped.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { EventOutbox, InboundRow, MessageLedger, MessageRow, RelayAttemptOutcome, RelayRow, RelayStore, Store } from '../store/store.ts';
import type { Intake } from '../intake/accept-message.ts';
import type { Router } from '../routing/choose-route.ts';
import type { RateLimiter } from '../routing/rate-limit/limiter.ts';
import { isFinal } from '../domain/status.ts';
import type { Metrics } from '../metrics.ts';
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { DEFAULT_TEMPLATE, hopsOf, renderTemplate } from './template.ts';
import { Periodic } from '../loop/periodic.ts';
import { relayHopEvent } from '../public/events.ts';

/** What this needs of the store. */
export type RelayServiceStore = RelayStore & Pick<MessageLedger, 'getMessage'> & Pick<EventOutbox, 'appendEvents'> & Pick<Store, 'regions'>;

/** How long a process may take to hand an attempt to intake before a sweep re-drives it. */
const START_LEASE_MS = 30_000;
const FAILED: ReadonlySet<string> = new Set(['failed', 'undelivered', 'expired', 'canceled']);

export interface RelayInput {
  number: string;
  source: string;
  body: string;
  inboundId: string | null;
  providerId: string | null;
  providerMessageId: string | null;
}

export type RelayResult =
  | { kind: 'no_rule' }
  | { kind: 'duplicate' }
  | { kind: 'relayed'; relay: RelayRow };

export class RelayService {
  readonly #store: RelayServiceStore;
  readonly #config: Config;
  readonly #intake: Intake;
  readonly #router: Router;
  readonly #limiter: RateLimiter;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  #loop: Periodic | null = null;
  readonly #inflight = new Set<Promise<void>>();

  constructor(opts: { store: RelayServiceStore; config: Config; intake: Intake; router: Router; limiter: RateLimiter; metrics: Metrics; logger: Logger }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#intake = opts.intake;
    this.#router = opts.router;
    this.#limiter = opts.limiter;
    this.#metrics = opts.metrics;
    this.#log = opts.logger;
  }

  /** Sweeps for attempts past their deadline (and relays a crash left half-way). */
  start(): void {
    const every = Math.min(this.#config.pollMs, 1_000);
    this.#loop = new Periodic(() => this.sweep(), every, this.#log, 'relay sweep', every);
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
    this.#loop = null;
    await Promise.all(this.#inflight);
  }

  async sweep(now = Date.now()): Promise<void> {
    for (const r of await this.#store.dueRelays(now, 100)) await this.evaluate(r.id, now);
  }

  /** Relays inbound texts sent to numbers with an active rule; answers the rows it did not take. */
  async handle(rows: InboundRow[]): Promise<InboundRow[]> {
    const rest: InboundRow[] = [];
    for (const m of rows) {
      try {
        const r = await this.relay({ number: m.to_number, source: m.from_number, body: m.body, inboundId: m.id, providerId: m.provider_id, providerMessageId: m.provider_message_id });
        if (r.kind === 'no_rule') rest.push(m);
      } catch (err) {
        // The relay row, if written, is re-driven by the sweep; the other texts go on.
        this.#log.error({ err, inbound: m.id }, 'relay failed to start');
      }
    }
    return rest;
  }

  async relay(input: RelayInput, now = Date.now()): Promise<RelayResult> {
    const rule = await this.#store.getRelayRule(input.number);
    if (!rule || !rule.active) return { kind: 'no_rule' };
    const c = this.#config;
    const hops = hopsOf(input.body, [rule.template, DEFAULT_TEMPLATE], c.relayHopLimit);
    let reason: string | null = null;
    if (hops >= c.relayHopLimit) reason = `hop_limit: the text already went through ${hops} relays (limit ${c.relayHopLimit})`;
    else if (this.#router.number(input.source)) reason = `own_number: ${input.source} is one of our numbers`;
    else if (c.relayRatePerMinute > 0) {
      const perSecond = c.relayRatePerMinute / 60;
      const slot = await this.#limiter.reserve(`relay:${input.number}:${input.source}`, perSecond, ((c.relayBurst - 1) * 1000) / perSecond);
      if (!slot.ok) reason = `rate_limited: ${input.source} may trigger ${c.relayRatePerMinute} relays a minute through ${input.number}`;
    }
    const relay: RelayRow = {
      id: this.#store.regions?.idFor('rly', input.number) ?? newId('rly'), account_id: rule.account_id, number: input.number, source: input.source, body: input.body, destinations: rule.destinations,
      inbound_id: input.inboundId, provider_id: input.providerId, provider_message_id: input.providerMessageId,
      status: reason ? 'blocked' : 'forwarding', reason, hops, position: -1, deadline_at: reason ? null : now + START_LEASE_MS, created_at: now, updated_at: now,
    };
    if (!(await this.#store.insertRelay(relay))) {
      this.#log.info({ provider: input.providerId, provider_message_id: input.providerMessageId }, 'provider message already relayed');
      return { kind: 'duplicate' };
    }
    if (reason) {
      this.#metrics.relays.inc({ status: 'blocked' });
      this.#log.warn({ relay: relay.id, number: relay.number, reason }, 'relay blocked');
    } else {
      await this.#advance(relay, -1, now);
    }
    return { kind: 'relayed', relay: (await this.#store.getRelay(relay.id)) ?? relay };
  }

  /** A relayed message changed status: look at its relay now rather than at the next sweep. */
  onMessage(message: MessageRow): void {
    if (!message.metadata || !isFinal(message.status)) return;
    const relayId = (JSON.parse(message.metadata) as Record<string, string>).relay_id;
    if (!relayId) return;
    const p = this.evaluate(relayId).catch((err) => this.#log.error({ err, relay: relayId }, 'relay evaluation failed')).finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Moves a relay on from what its current attempt's message did. Safe to call any time, from any process. */
  async evaluate(id: string, now = Date.now()): Promise<void> {
    const relay = await this.#store.getRelay(id);
    if (!relay || relay.status !== 'forwarding') return;
    const pos = relay.position;
    if (pos < 0) return this.#advance(relay, -1, now);
    const attempt = (await this.#store.listRelayAttempts([id])).find((a) => a.position === pos);
    if (!attempt || (attempt.outcome === 'pending' && !attempt.message_id)) {
      // The process that started this attempt stopped before intake answered.
      if (relay.deadline_at !== null && relay.deadline_at <= now) await this.#send(relay, pos, now);
      return;
    }
    if (attempt.outcome === 'delivered') return this.#finish(relay, pos, 'delivered', null, now);
    if (attempt.outcome !== 'pending') return this.#advance(relay, pos, now);
    const message = await this.#store.getMessage(null, attempt.message_id!);
    const status = message?.status ?? 'failed';
    if (status === 'delivered') {
      await this.#store.updateRelayAttempt(id, pos, { outcome: 'delivered', finished_at: now });
      return this.#finish(relay, pos, 'delivered', null, now);
    }
    let outcome: RelayAttemptOutcome | null = null;
    let detail: string | null = null;
    if (FAILED.has(status)) {
      outcome = status as RelayAttemptOutcome;
      detail = message?.error_code ? `${message.error_code}: ${message.error_message ?? ''}`.trim() : null;
    } else if (relay.deadline_at !== null && relay.deadline_at <= now) {
      outcome = 'timeout';
      detail = `no final receipt within ${this.#config.relayReceiptTimeoutMs / 1000} s (last status ${status})`;
    }
    if (!outcome) return;
    await this.#store.updateRelayAttempt(id, pos, { outcome, detail, finished_at: now });
    await this.#advance(relay, pos, now);
  }

  /** Takes the chain from position `from` to the next destination worth trying, or ends it. */
  async #advance(relay: RelayRow, from: number, now: number): Promise<void> {
    const destinations = JSON.parse(relay.destinations) as string[];
    let pos = from + 1;
    for (; pos < destinations.length; pos++) {
      const d = destinations[pos];
      const why = d === relay.source ? 'the destination is the sender' : this.#router.number(d) ? 'the destination is one of our own numbers' : null;
      if (!why) break;
      await this.#store.insertRelayAttempt({ relay_id: relay.id, position: pos, destination: d, message_id: null, outcome: 'skipped', detail: why, started_at: now, finished_at: now });
    }
    if (pos >= destinations.length) return this.#finish(relay, from, 'failed', 'no destination left to try', now);
    if (!(await this.#store.updateRelay(relay.id, from, { position: pos, deadline_at: now + START_LEASE_MS }, now))) return;
    await this.#send({ ...relay, position: pos }, pos, now);
  }

  async #send(relay: RelayRow, pos: number, now: number): Promise<void> {
    const to = (JSON.parse(relay.destinations) as string[])[pos];
    await this.#store.insertRelayAttempt({ relay_id: relay.id, position: pos, destination: to, message_id: null, outcome: 'pending', detail: null, started_at: now, finished_at: null });
    await this.#store.appendEvents([relayHopEvent(relay, pos, to, now)]);
    const rule = await this.#store.getRelayRule(relay.number);
    const body = renderTemplate(rule?.template ?? DEFAULT_TEMPLATE, { from: relay.source, to: relay.number, body: relay.body });
    const own = this.#router.number(relay.number);
    const caller = { accountId: relay.account_id, keyId: null };
    const key = `relay:${relay.id}:${pos}`;
    const input = { to, body, metadata: { relay_id: relay.id } };
    try {
      let accepted;
      try {
        // From the business number when it is ours, so a reply reaches it again.
        accepted = await this.#intake.accept(own ? { ...input, from: relay.number } : input, caller, key);
      } catch (err) {
        if (!(own && err instanceof AppError && (err.code === 'sender_not_allowed' || err.code === 'unknown_sender'))) throw err;
        accepted = await this.#intake.accept(input, caller, key);
      }
      await this.#store.updateRelayAttempt(relay.id, pos, { message_id: accepted.message.id });
      await this.#store.updateRelay(relay.id, pos, { deadline_at: Date.now() + this.#config.relayReceiptTimeoutMs }, Date.now());
      this.#log.info({ relay: relay.id, position: pos, message: accepted.message.id }, 'relay attempt queued');
      // A send that already ended (fast failure, or a replayed key) published before the attempt knew its message.
      const m = await this.#store.getMessage(null, accepted.message.id);
      if (m && isFinal(m.status)) await this.evaluate(relay.id);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      await this.#store.updateRelayAttempt(relay.id, pos, { outcome: 'refused', detail: `${err.code}: ${err.message}`, finished_at: now });
      await this.#advance(relay, pos, now);
    }
  }

  async #finish(relay: RelayRow, pos: number, status: 'delivered' | 'failed', reason: string | null, now: number): Promise<void> {
    if (!(await this.#store.updateRelay(relay.id, pos, { status, reason, deadline_at: null }, now))) return;
    this.#metrics.relays.inc({ status });
    if (status === 'failed') this.#log.warn({ relay: relay.id, number: relay.number }, 'relay failed at every destination');
  }
}
