// The event stream (issue 27) against the real brokers on this machine: NATS JetStream,
// RabbitMQ and Redis Streams. Every message's accepted, sent and delivered events reach
// every sink once per id, in order per message; a broker cut off while messages flow
// loses nothing; two worker processes on PostgreSQL publish without a gap or a reorder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { amqpConsumer, brokersSkip, byMessage, natsConsumer, redisConsumer, TEST_AMQP_URL, TEST_NATS_URL, type EventConsumer } from '../helpers/event-consumers.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { newId } from '../../src/domain/ids.ts';

const LIFECYCLE = ['switchboard.message.accepted', 'switchboard.message.sent', 'switchboard.message.delivered'];

/** A key of a new account of its own: this run's events are told from any other's by it. */
async function accountKey(t: TestApp): Promise<{ account: string; call: (path: string, body?: unknown) => Promise<{ status: number; body: any }> }> {
  const account = `ev_${newId('msg').slice(-10).toLowerCase()}`;
  const k = await t.call('POST', '/v1/keys', { name: 'events', account_id: account, scopes: ['send', 'read'] });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  return { account, call: (path, body) => t.call(body === undefined ? 'GET' : 'POST', path, body, { authorization: `Bearer ${k.body.secret}` }) };
}

async function send(call: (path: string, body?: unknown) => Promise<{ status: number; body: any }>, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => call('/v1/messages', { to: '+14155550100', body: `${tag} ${i + j}` })));
    for (const r of batch) { assert.equal(r.status, 202, JSON.stringify(r.body)); ids.push(r.body.id); }
  }
  return ids;
}

/** Every message's accepted, sent and delivered, each once, in that order (other types may come between). */
function assertLifecycles(consumer: EventConsumer, ids: string[], sink: string): void {
  const { types } = byMessage(consumer.received);
  for (const id of ids) {
    const seen = (types.get(id) ?? []).filter((t) => LIFECYCLE.includes(t));
    assert.deepEqual(seen, LIFECYCLE, `${sink}: ${id}`);
  }
}

const allReceived = (consumers: EventConsumer[], ids: string[]) => () => Promise.resolve(consumers.every((c) => {
  const { types } = byMessage(c.received);
  return ids.every((id) => types.get(id)?.includes('switchboard.message.delivered'));
}));

describe('the event stream on the real brokers', { skip: brokersSkip }, () => {
  it('1,000 messages: every accepted, sent and delivered event reaches NATS, RabbitMQ and Redis, once per id, in order per message', async () => {
    const t = await startApp({ eventSinks: [TEST_NATS_URL, TEST_AMQP_URL, TEST_REDIS_URL], simulatorLatencyMs: 0, workerBatchSize: 100 });
    const consumers: EventConsumer[] = [];
    try {
      const { account, call } = await accountKey(t);
      consumers.push(await natsConsumer(TEST_NATS_URL, account), await amqpConsumer(TEST_AMQP_URL, account), await redisConsumer(TEST_REDIS_URL, account));
      const ids = await send(call, 1000, 'stream');
      await eventually(allReceived(consumers, ids), 90_000, 'every delivered event on every sink');
      for (const [i, c] of consumers.entries()) {
        assertLifecycles(c, ids, ['nats', 'amqp', 'redis'][i]);
        const e = c.received.find((x) => x.type === 'switchboard.message.delivered')!;
        assert.equal(e.specversion, '1.0');
        assert.equal(e.source, t.config.publicUrl);
        assert.equal(e.account_id, account);
        assert.equal((e.data as { status: string }).status, 'delivered');
        assert.ok(!Number.isNaN(Date.parse(e.time)));
      }
      const metrics = (await t.call('GET', '/metrics')).body as string;
      assert.match(metrics, /switchboard_events_published_total\{sink="nats:\/\/127\.0\.0\.1:4222"\} \d+/);
    } finally {
      for (const c of consumers) await c.close();
      await t.stop();
    }
  });

  it('brokers cut off for 10 s while messages flow: events wait in the outbox, readiness says degraded naming the sink, and all are published once it is back', async () => {
    const nats = await new TcpProxy(TEST_NATS_URL).start();
    const amqp = await new TcpProxy(TEST_AMQP_URL).start();
    const t = await startApp({ eventSinks: [nats.url(TEST_NATS_URL), amqp.url(TEST_AMQP_URL)], simulatorLatencyMs: 0 });
    const consumers: EventConsumer[] = [];
    try {
      const { account, call } = await accountKey(t);
      consumers.push(await natsConsumer(TEST_NATS_URL, account), await amqpConsumer(TEST_AMQP_URL, account));
      const before = await send(call, 50, 'before');
      await eventually(allReceived(consumers, before), 30_000, 'the first messages published');
      nats.cut();
      amqp.cut();
      // Messages flow for the whole cut: 10 s of them, at least 300.
      const cutAt = Date.now();
      const during: string[] = [];
      while (during.length < 300 || Date.now() - cutAt < 10_000) {
        during.push(...await send(call, 25, `during ${during.length}`));
        // Paced by delivery: each round waits for the last to be sent, so the cut sees a steady flow, not a flood.
        await eventually(async () => { const q = await t.ctx().store.queueStats(Date.now()); return (q.byStatus.queued ?? 0) + (q.byStatus.sending ?? 0) === 0; }, 10_000, 'the round sent');
      }
      const ready = await eventually(async () => {
        const r = await t.call('GET', '/readyz');
        const text = JSON.stringify(r.body);
        return text.includes(`nats://127.0.0.1:${nats.port}`) && text.includes(`amqp://127.0.0.1:${amqp.port}`) && r;
      }, 30_000, 'readiness naming both sinks');
      assert.equal(ready.status, 200, 'degraded, still ready: intake goes on');
      const depth = await eventually(async () => {
        const m = (await t.call('GET', '/metrics')).body as string;
        const v = Number(/switchboard_event_outbox_depth\{sink="nats:[^"]+"\} (\d+)/.exec(m)?.[1] ?? 0);
        return v >= 300 && v;
      }, 30_000, 'the backlog shown');
      assert.ok(depth >= 300);
      nats.restore();
      amqp.restore();
      await eventually(allReceived(consumers, [...before, ...during]), 60_000, 'every event published after the brokers came back');
      for (const c of consumers) assertLifecycles(c, [...before, ...during], 'after the cut');
      await eventually(async () => !JSON.stringify((await t.call('GET', '/readyz')).body).includes('event sink'), 10_000, 'readiness no longer degraded');
    } finally {
      for (const c of consumers) await c.close();
      await t.stop();
      await nats.stop();
      await amqp.stop();
    }
  });

  it('two worker processes on PostgreSQL: one publishes at a time, no id is missing and each message\'s events keep their order', { skip: pgSkip }, async () => {
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const apps: TestApp[] = [];
    const consumers: EventConsumer[] = [];
    try {
      const pg = () => ({ store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) });
      const worker = () => startApp({ role: 'worker', simulator: 'on', simulatorLatencyMs: 0, eventSinks: [TEST_REDIS_URL] }, pg());
      apps.push(await worker(), await worker());
      const api = await startApp({ role: 'api', simulator: 'on', eventSinks: [TEST_REDIS_URL] }, pg());
      apps.push(api);
      // Listening before the account is made: its key's audit.recorded event is in the outbox too.
      let account = '';
      consumers.push(await redisConsumer(TEST_REDIS_URL, () => account));
      const made = await accountKey(api);
      account = made.account;
      const ids = await send(made.call, 300, 'pg');
      await eventually(allReceived(consumers, ids), 60_000, 'every delivered event');
      assertLifecycles(consumers[0], ids, 'redis');
      // Every event the outbox holds for the account reached the stream.
      const held = await owner.store.readEvents({ after: 0, limit: 100_000, accountId: account });
      const got = new Set(consumers[0].received.map((e) => e.id));
      assert.deepEqual(held.filter((e) => !got.has(e.id)).map((e) => e.type), []);
      const first = new Map<string, number>();
      for (const e of consumers[0].received) if (!first.has(e.id)) first.set(e.id, Number(e.sequence));
      const positions = [...first.values()];
      assert.ok(positions.every((p, i) => i === 0 || p > positions[i - 1]), 'published in position order');
    } finally {
      for (const c of consumers) await c.close();
      for (const a of apps) await a.stop();
      await owner.dispose();
    }
  });
});
