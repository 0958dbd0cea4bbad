// Number masking: two participants text each other through proxy numbers (pool "masking")
// and neither learns the other's real number. Each participant has one proxy in a session:
// they text it, and receive the other's texts from it. A proxy serves many sessions at once
// as long as no participant holds it twice, so an inbound (participant → proxy) names
// exactly one session; the store enforces that with a unique index over active legs.
// Anyone else texting a proxy gets nothing forwarded.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { InboundRow, MaskRow, MaskStore } from '../store/store.ts';
import type { Intake } from '../intake/accept-message.ts';
import type { Router } from '../routing/choose-route.ts';
import type { Metrics } from '../metrics.ts';
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { Periodic } from '../loop/periodic.ts';

export class MaskService {
  readonly #store: MaskStore;
  readonly #config: Config;
  readonly #intake: Intake;
  readonly #router: Router;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  #next = 0;
  #loop: Periodic | null = null;

  constructor(opts: { store: MaskStore; config: Config; intake: Intake; router: Router; metrics: Metrics; logger: Logger }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#intake = opts.intake;
    this.#router = opts.router;
    this.#metrics = opts.metrics;
    this.#log = opts.logger;
  }

  /** Ends sessions past their TTL (lookups already ignore them; this frees their legs for reuse). */
  start(): void {
    this.#loop = new Periodic(() => this.#store.expireMasks(Date.now()), 5_000, this.#log, 'mask expiry', 5_000);
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
    this.#loop = null;
  }

  async create(accountId: string, participants: [string, string], contextId: string | null, ttlSeconds: number, now = Date.now()): Promise<MaskRow> {
    const [a, b] = participants;
    if (a === b) throw new AppError('validation_error', 'the two participants must be different numbers', { field: 'participants' });
    if (this.#router.number(a) || this.#router.number(b)) throw new AppError('validation_error', 'a participant cannot be one of our own numbers', { field: 'participants' });
    const pool = this.#router.maskingPool(accountId);
    if (pool.length === 0) throw new AppError('no_proxy_available', 'no number is in the "masking" pool (add one with POST /v1/numbers and "pool": "masking")');
    const expires = now + Math.min(ttlSeconds, this.#config.maskMaxTtlSeconds) * 1000;
    // Spread sessions over the pool; a race with another process is settled by the unique legs.
    for (let round = 0; round < 3; round++) {
      const start = this.#next++ % pool.length;
      const ordered = [...pool.slice(start), ...pool.slice(0, start)];
      const legs = await this.#store.activeMaskLegs([a, b], now);
      const held = (p: string) => new Set(legs.filter((l) => l.participant === p).map((l) => l.proxy));
      const heldA = held(a);
      const heldB = held(b);
      const shared = ordered.find((p) => !heldA.has(p) && !heldB.has(p));
      const proxyA = shared ?? ordered.find((p) => !heldA.has(p));
      const proxyB = shared ?? ordered.find((p) => !heldB.has(p));
      if (!proxyA || !proxyB) break;
      const id = newId('msk');
      const leg = (participant: string, proxy: string) => this.#store.insertMaskLeg({ mask_id: id, participant, proxy, expires_at: expires, active: 1 }, now);
      if (!(await leg(a, proxyA)) || !(await leg(b, proxyB))) {
        await this.#store.deleteMaskLegs(id);
        continue;
      }
      const row: MaskRow = {
        id, account_id: accountId, context_id: contextId, participant_a: a, proxy_a: proxyA, participant_b: b, proxy_b: proxyB,
        expires_at: expires, ended_at: null, end_reason: null, messages_a: 0, messages_b: 0, created_at: now, updated_at: now,
      };
      await this.#store.insertMask(row);
      return row;
    }
    throw new AppError('no_proxy_available', `every masking number is already in an active session with ${a} or ${b}`);
  }

  /** Forwards texts from participants to their proxies; answers the rows not sent to a masking number. */
  async handle(rows: InboundRow[]): Promise<InboundRow[]> {
    const rest: InboundRow[] = [];
    for (const m of rows) {
      if (this.#router.number(m.to_number)?.pool !== 'masking') { rest.push(m); continue; }
      const mask = await this.#store.findMask(m.to_number, m.from_number, Date.now());
      if (!mask) {
        this.#metrics.masked.inc({ outcome: 'dropped' });
        this.#log.info({ inbound: m.id, proxy: m.to_number }, 'text to a masking number from no participant of an active session: not forwarded');
        continue;
      }
      const fromA = mask.participant_a === m.from_number && mask.proxy_a === m.to_number;
      const [to, from] = fromA ? [mask.participant_b, mask.proxy_b] : [mask.participant_a, mask.proxy_a];
      try {
        const { created } = await this.#intake.accept({ to, from, body: m.body, metadata: { mask_id: mask.id } }, { accountId: mask.account_id, keyId: null }, `mask:${m.provider_id}:${m.provider_message_id}`);
        // A replayed webhook finds the message already queued: counted once.
        if (created) {
          await this.#store.countMaskMessage(mask.id, fromA, Date.now());
          this.#metrics.masked.inc({ outcome: 'forwarded' });
        }
      } catch (err) {
        this.#log.warn({ err, inbound: m.id, mask: mask.id }, 'masked text could not be forwarded');
      }
    }
    return rest;
  }
}
