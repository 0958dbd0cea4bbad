// RabbitMQ (AMQP 0-9-1, amqplib): a durable topic exchange `switchboard`; each event
// persistent, routed by <account>.<type> (default.message.delivered), with the event id as
// its message-id, on a confirm channel: resolves once the broker confirmed every one. A
// broken connection is dropped and made again on the next publish.
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { LazyConnection } from './connection.ts';
import { token, TYPE_PREFIX, type Envelope, type EventSink } from '../cloud-event.ts';

export const EXCHANGE = 'switchboard';

export class AmqpSink implements EventSink {
  readonly name: string;
  readonly #url: string;
  readonly #conn = new LazyConnection<{ model: ChannelModel; ch: ConfirmChannel }>(() => this.#open(), ({ model }) => model.close());

  constructor(url: string, name: string) {
    this.#url = url;
    this.name = name;
  }

  async #open(): Promise<{ model: ChannelModel; ch: ConfirmChannel }> {
    const model = await connect(this.#url, { timeout: 2_000 });
    const drop = () => { void this.#conn.drop(); };
    model.on('error', drop);
    model.on('close', drop);
    try {
      const ch = await model.createConfirmChannel();
      ch.on('error', drop);
      ch.on('close', drop);
      await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
      return { model, ch };
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  async publish(events: readonly Envelope[]): Promise<void> {
    const c = await this.#conn.get();
    const { ch } = c;
    try {
      for (const e of events) {
        ch.publish(EXCHANGE, `${token(e.account_id)}.${e.type}`, Buffer.from(e.json), {
          persistent: true, messageId: e.id, contentType: 'application/cloudevents+json', timestamp: Math.floor(e.time / 1000), type: TYPE_PREFIX + e.type,
        });
      }
      await withTimeout(ch.waitForConfirms(), 10_000, 'RabbitMQ did not confirm the events');
    } catch (err) {
      await this.#conn.drop(c);
      throw err;
    }
  }

  async close(): Promise<void> { await this.#conn.close(); }
}

/** A broker that stops answering mid-publish (a cut TCP path) fails the publish instead of hanging it. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]).finally(() => clearTimeout(timer));
}
