// The outbox publisher (events/publisher.ts) on a real SQLite store, with a sink that
// records what it is handed and can be made to fail: one process publishes at a time, a
// failing sink holds up neither the others nor intake and catches up from its cursor, and
// a second process takes over from where the first stopped.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { makeSqliteStore, type TestStore } from '../helpers/stores.ts';
import { eventually } from '../helpers/app.ts';
import { EventPublisher } from '../../src/events/publisher.ts';
import type { Envelope, EventSink } from '../../src/events/cloud-event.ts';
import { newEvent } from '../../src/public/events.ts';

class RecordingSink implements EventSink {
  readonly got: Envelope[] = [];
  down = false;
  readonly name: string;
  constructor(name: string) { this.name = name; }
  async publish(events: readonly Envelope[]): Promise<void> {
    if (this.down) throw new Error('connection refused');
    this.got.push(...events);
  }
  async close(): Promise<void> {}
}

const logger = pino({ level: 'silent' });
const events = (n: number, tag: string) => Array.from({ length: n }, (_, i) => newEvent('config.changed', 'acct', `${tag}-${i}`, { i }, Date.now()));

describe('the outbox publisher', () => {
  const stores: TestStore[] = [];
  after(async () => { for (const s of stores) await s.dispose(); });

  it('publishes each event once, in order, from one holder at a time; the next holder goes on from the cursor', async () => {
    const t = await makeSqliteStore();
    stores.push(t);
    const [a, b] = [new RecordingSink('sink://one'), new RecordingSink('sink://one')];
    const first = new EventPublisher({ store: t.store, sinks: [a], source: 'http://test', logger, retentionMs: 3_600_000, idleMs: 10, leaseMs: 5_000 });
    const second = new EventPublisher({ store: t.store, sinks: [b], source: 'http://test', logger, retentionMs: 3_600_000, idleMs: 10, leaseMs: 5_000 });
    first.start();
    // A probe cannot take the lease (for a millisecond) once the first holds it.
    await eventually(async () => !(await t.store.acquireOutboxLease('outbox', 'probe', Date.now(), 1)), 5_000, 'the first holds the lease');
    second.start();
    await t.store.appendEvents(events(700, 'x'));
    await eventually(async () => a.got.length === 700, 10_000, 'the holder published all');
    assert.equal(b.got.length, 0, 'the other process published nothing meanwhile');
    await first.stop(); // releases the lease
    await t.store.appendEvents(events(300, 'y'));
    await eventually(async () => b.got.length === 300, 10_000, 'the next holder published the rest');
    await second.stop();
    const all = [...a.got, ...b.got].map((e) => e.subject);
    assert.deepEqual(all, [...events(700, 'x'), ...events(300, 'y')].map((e) => e.subject), 'each once, in order');
    const ce = JSON.parse(a.got[0].json);
    assert.deepEqual([ce.specversion, ce.type, ce.source, ce.data], ['1.0', 'switchboard.config.changed', 'http://test', { i: 0 }]);
  });

  it('a failing sink waits and catches up from its cursor, without holding up another sink; readiness names it meanwhile', async () => {
    const t = await makeSqliteStore();
    stores.push(t);
    const [up, down] = [new RecordingSink('sink://up'), new RecordingSink('sink://down')];
    down.down = true;
    const p = new EventPublisher({ store: t.store, sinks: [up, down], source: 'http://test', logger, retentionMs: 3_600_000, idleMs: 10 });
    p.start();
    try {
      await t.store.appendEvents(events(50, 'z'));
      await eventually(async () => up.got.length === 50, 10_000, 'the healthy sink published');
      await eventually(async () => p.degraded().some((r) => r.includes('sink://down')), 10_000, 'readiness names the failing sink');
      assert.equal((await t.store.outboxBacklog(await t.store.outboxCursor('sink://down'))).count, 50);
      down.down = false;
      await eventually(async () => down.got.length === 50, 15_000, 'the failing sink caught up');
      assert.deepEqual(down.got.map((e) => e.subject), up.got.map((e) => e.subject));
      await eventually(async () => p.degraded().length === 0, 5_000, 'no longer degraded');
    } finally {
      await p.stop();
    }
  });
});
