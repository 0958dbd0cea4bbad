// Consumers of the event stream, each on the broker's own client as an application would
// use it: a JetStream ordered consumer, a RabbitMQ queue bound to the topic exchange, a
// Redis XREAD loop. Each keeps every CloudEvent it received, duplicates included, in the
// order received.
import { connect as natsConnect, DeliverPolicy, type NatsConnection } from 'nats';
import { connect as amqpConnect, type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import type { CloudEvent } from '../../src/events/cloud-event.ts';
import { STREAM } from '../../src/events/sinks/nats.ts';
import { EXCHANGE } from '../../src/events/sinks/amqp.ts';
import { STREAM_KEY } from '../../src/events/sinks/redis.ts';

export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? '';
export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? '';
if (process.env.CI === 'true' && (!TEST_NATS_URL || !TEST_AMQP_URL)) throw new Error('CI must set TEST_NATS_URL and TEST_AMQP_URL (see .ci/run)');
export const brokersSkip = TEST_NATS_URL && TEST_AMQP_URL && process.env.TEST_REDIS_URL ? false : 'TEST_NATS_URL, TEST_AMQP_URL or TEST_REDIS_URL is not set (the brokers are not available here)';

export interface EventConsumer { readonly received: CloudEvent[]; close(): Promise<void> }

/** From now on, the events on switchboard.<account>.> (the stream is made if no publisher has yet). */
export async function natsConsumer(url: string, account: string): Promise<EventConsumer> {
  const u = new URL(url);
  const nc: NatsConnection = await natsConnect({ servers: `${u.hostname}:${u.port || 4222}` });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.info(STREAM).catch(() => jsm.streams.add({ name: STREAM, subjects: ['switchboard.>'], max_age: 3_600 * 1e9 }));
  // One subject, not a list: Debian's nats-server (2.9) has no multi-filter consumers.
  const consumer = await nc.jetstream().consumers.get(STREAM, { filterSubjects: `switchboard.${account}.>`, deliver_policy: DeliverPolicy.New });
  const received: CloudEvent[] = [];
  const messages = await consumer.consume();
  const loop = (async () => { for await (const m of messages) received.push(m.json<CloudEvent>()); })();
  return { received, async close() { await messages.close(); await loop.catch(() => {}); await nc.close(); } };
}

/** A queue of its own bound to `<account>.#` on the exchange. */
export async function amqpConsumer(url: string, account: string): Promise<EventConsumer> {
  const model: ChannelModel = await amqpConnect(url);
  const ch = await model.createChannel();
  await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, EXCHANGE, `${account}.#`);
  const received: CloudEvent[] = [];
  await ch.consume(queue, (m) => { if (m) received.push(JSON.parse(m.content.toString())); }, { noAck: true });
  return { received, async close() { await model.close(); } };
}

/**
 * The stream's entries from now on, of this account; `account` may be a function, for a
 * consumer started before the account exists.
 */
export async function redisConsumer(url: string, account: string | (() => string)): Promise<EventConsumer> {
  const accountOf = typeof account === 'string' ? () => account : account;
  const redis = new Redis(url);
  const all: CloudEvent[] = []; // filtered when read: the account may be named after the consumer started
  let last = (await redis.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  let open = true;
  const loop = (async () => {
    while (open) {
      const r = await redis.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', STREAM_KEY, last).catch(() => null);
      for (const [, entries] of r ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          const event = JSON.parse(fields[fields.indexOf('event') + 1]) as CloudEvent;
          all.push(event);
        }
      }
    }
  })();
  return { get received() { return all.filter((e) => e.account_id === accountOf()); }, async close() { open = false; await loop; redis.disconnect(); } };
}

/**
 * Each message's event types in the order first received (a duplicate id counted once),
 * and how many distinct ids there were.
 */
export function byMessage(events: readonly CloudEvent[]): { types: Map<string, string[]>; ids: number } {
  const seen = new Set<string>();
  const types = new Map<string, string[]>();
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const list = types.get(e.subject) ?? [];
    list.push(e.type);
    types.set(e.subject, list);
  }
  return { types, ids: seen.size };
}
