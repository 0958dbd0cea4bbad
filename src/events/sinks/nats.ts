// NATS JetStream (the official client, nats.js): stream SWITCHBOARD over subjects
// switchboard.>, created if missing with the configured limits; each event on
// switchboard.<account>.<type> with Nats-Msg-Id = the event id, so JetStream drops a
// republished duplicate within its duplicate window. Resolves once every publish is
// acknowledged (stored by the stream). A broken connection is dropped and made again on
// the next publish: the events wait in the outbox meanwhile.
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { LazyConnection } from './connection.ts';
import { token, TYPE_PREFIX, type Envelope, type EventSink } from '../cloud-event.ts';

export const STREAM = 'SWITCHBOARD';
const NS_PER_MS = 1_000_000;

export interface NatsLimits { maxAgeHours: number; maxBytes: number }

export class NatsSink implements EventSink {
  readonly name: string;
  readonly #servers: string;
  readonly #auth: { user?: string; pass?: string; token?: string };
  readonly #limits: NatsLimits;
  readonly #conn = new LazyConnection<{ nc: NatsConnection; js: JetStreamClient }>(() => this.#open(), ({ nc }) => nc.close());

  constructor(url: string, name: string, limits: NatsLimits) {
    const u = new URL(url);
    this.name = name;
    this.#servers = `${u.hostname}:${u.port || 4222}`;
    this.#auth = u.password ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : u.username ? { token: decodeURIComponent(u.username) } : {};
    this.#limits = limits;
  }

  async #open(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const nc = await connect({ servers: this.#servers, ...this.#auth, reconnect: false, timeout: 2_000, name: 'switchboard-events' });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 5_000 });
      const config = { subjects: [`${TYPE_PREFIX}>`], max_age: Math.round(this.#limits.maxAgeHours * 3_600_000 * NS_PER_MS), max_bytes: this.#limits.maxBytes, duplicate_window: 120_000 * NS_PER_MS };
      await jsm.streams.info(STREAM).catch(async () => jsm.streams.add({ name: STREAM, ...config }));
      return { nc, js: nc.jetstream({ timeout: 5_000 }) };
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  async publish(events: readonly Envelope[]): Promise<void> {
    const c = await this.#conn.get();
    const { nc, js } = c;
    try {
      if (nc.isClosed()) throw new Error('the NATS connection closed');
      // Sent in order on one connection, so the stream stores them in order; acknowledged together.
      await Promise.all(events.map((e) => js.publish(`${TYPE_PREFIX}${token(e.account_id)}.${e.type}`, e.json, { msgID: e.id })));
    } catch (err) {
      await this.#conn.drop(c);
      throw err;
    }
  }

  async close(): Promise<void> { await this.#conn.close(); }
}
