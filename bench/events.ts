// The event stream's publish rate per sink (BENCH_ONLY=events): BENCH_EVENTS (50,000)
// message events in a SQLite outbox, then the publisher (events/publisher.ts) alone with
// one sink, timed from its start until that sink's cursor reaches the last event:
// sequencing, reading, the CloudEvent JSON, the broker's acknowledgement and the cursor
// write, per event. Brokers from BENCH_NATS_URL / BENCH_AMQP_URL / BENCH_REDIS_URL (or the
// TEST_ ones); a sink without a URL is skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { EventPublisher } from '../src/events/publisher.ts';
import { makeSinks } from '../src/events/sinks/make.ts';
import { acceptedEvent } from '../src/public/events.ts';
import { messageRow } from '../test/helpers/rows.ts';
import { loadConfig } from '../src/config.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);

export async function benchEvents(): Promise<void> {
  const urls = [
    process.env.BENCH_NATS_URL ?? process.env.TEST_NATS_URL,
    process.env.BENCH_AMQP_URL ?? process.env.TEST_AMQP_URL,
    process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL,
  ].filter((u): u is string => !!u);
  for (const url of urls) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-events-'));
    const store = new SqliteStore(join(dir, 'switchboard.db'));
    await store.migrate();
    const now = Date.now();
    for (let i = 0; i < EVENTS; i += 5_000) {
      await store.appendEvents(Array.from({ length: Math.min(5_000, EVENTS - i) }, () => acceptedEvent(messageRow({ account_id: 'bench' }), now)));
    }
    const [sink] = makeSinks(loadConfig({ SWITCHBOARD_EVENT_SINKS: url }));
    const publisher = new EventPublisher({ store, sinks: [sink], source: 'http://bench', logger: pino({ level: 'warn' }), retentionMs: 3_600_000 });
    const t = performance.now();
    const cpu = process.cpuUsage();
    publisher.start();
    while ((await store.outboxCursor(sink.name)) < EVENTS) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    await publisher.stop();
    console.log(`events published to ${sink.name}: ${EVENTS.toLocaleString('en')} in ${(ms / 1000).toFixed(2)} s = ${Math.round(EVENTS / (ms / 1000)).toLocaleString('en')} events/s; Switchboard CPU ${((used.user + used.system) / EVENTS).toFixed(1)} µs/event`);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
