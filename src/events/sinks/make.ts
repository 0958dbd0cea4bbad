// SWITCHBOARD_EVENT_SINKS → one sink per URL, by scheme. A sink is named by its URL
// without credentials: that name is its cursor in the outbox, so changing a password
// keeps the cursor, and the name is safe for logs, metrics and /readyz.
import type { Config } from '../../config.ts';
import { redactUrl } from '../../config.ts';
import type { EventSink } from '../cloud-event.ts';
import { NatsSink } from './nats.ts';
import { AmqpSink } from './amqp.ts';
import { RedisSink } from './redis.ts';

export function sinkName(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

export function makeSinks(config: Pick<Config, 'eventSinks' | 'eventNatsMaxAgeHours' | 'eventNatsMaxBytes' | 'eventRedisMaxLen'>): EventSink[] {
  return config.eventSinks.map((url) => {
    const name = sinkName(url);
    switch (new URL(url).protocol) {
      case 'nats:': return new NatsSink(url, name, { maxAgeHours: config.eventNatsMaxAgeHours, maxBytes: config.eventNatsMaxBytes });
      case 'amqp:': case 'amqps:': return new AmqpSink(url, name);
      case 'redis:': case 'rediss:': return new RedisSink(url, name, config.eventRedisMaxLen);
      default: throw new Error(`no event sink for ${redactUrl(url)}`);
    }
  });
}
