// The provider registry builds one adapter per record (routing sees the active ones), and a changed record
// rebuilds that provider's adapter only: the others (an SMPP bind, a connection pool)
// are kept, and the replaced or removed ones are closed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ProviderRegistry } from '../../src/providers/registry.ts';
import { loadConfig } from '../../src/config.ts';
import type { ProviderModule } from '../../src/providers/provider.ts';
import { simulator } from '../../src/providers/simulator/adapter.ts';
import { makeSqliteStore, type TestStore } from '../helpers/stores.ts';

describe('provider registry', () => {
  let s: TestStore;
  const events: string[] = [];
  // The simulator, with its lifecycle recorded: a stand-in for a kind with long-lived sessions.
  const sessions: ProviderModule = {
    ...simulator, kind: 'sessions',
    create: (ctx) => ({
      ...simulator.create(ctx), kind: 'sessions', ready: () => true, sessionStats: () => [],
      start: async () => { events.push(`start ${ctx.providerId}`); }, close: async () => { events.push(`close ${ctx.providerId}`); },
    }),
  };
  before(async () => { s = await makeSqliteStore(); });
  after(async () => { await s.dispose(); });

  it('rebuilds only the adapter whose record changed, and closes what it replaces', async () => {
    const registry = new ProviderRegistry({ store: s.store, config: loadConfig({}), logger: pino({ level: 'silent' }), emitWebhook: async () => {}, modules: [sessions] });
    await registry.refresh();
    assert.deepEqual(registry.active().map((p) => p.id), ['simulator'], 'no record: the implicit simulator');
    const row = (id: string, priority: number, at: number) => ({ id, kind: 'sessions', priority, active: 1, config: '{}', prices: '{}', created_at: at, updated_at: at });
    await s.store.upsertProvider(row('a', 1, 1000));
    await s.store.upsertProvider(row('b', 2, 1000));
    await registry.refresh();
    const [a, b] = registry.active();
    assert.deepEqual([a.id, b.id], ['a', 'b']);
    assert.deepEqual(events.splice(0), ['start a', 'start b']);
    await registry.refresh();
    assert.deepEqual(events.splice(0), [], 'nothing changed: nothing rebuilt');
    await s.store.upsertProvider(row('b', 0, 2000));
    await registry.refresh();
    assert.deepEqual(registry.active().map((p) => p.id), ['b', 'a'], 'the new priority orders them');
    assert.equal(registry.get('a')!.adapter, a.adapter, 'a kept its adapter');
    assert.notEqual(registry.get('b')!.adapter, b.adapter, 'b was rebuilt');
    assert.deepEqual(events.splice(0), ['start b', 'close b']);
    await s.store.upsertProvider({ ...row('a', 1, 3000), active: 0 });
    await registry.refresh();
    assert.deepEqual(registry.active().map((p) => p.id), ['b'], 'a deactivated provider takes no sends');
    assert.ok(registry.get('a'), 'but keeps an adapter for its receipts and reconciliation');
    assert.deepEqual(events.splice(0), ['start a', 'close a'], 'its changed record rebuilt it');
    await registry.close();
  });

  it('uses a capability only when the adapter implements all of it, and says what is missing', async () => {
    const lines: string[] = [];
    const started: string[] = [];
    const logger = pino({ level: 'error' }, { write: (l: string) => { lines.push(l); } });
    // Sessions that can be started but not asked whether they are up: half a capability.
    const half: ProviderModule = { ...simulator, kind: 'half', create: (ctx) => ({ ...simulator.create(ctx), kind: 'half', start: async () => { started.push(ctx.providerId); } }) };
    const t = await makeSqliteStore();
    try {
      const registry = new ProviderRegistry({ store: t.store, config: loadConfig({}), logger, emitWebhook: async () => {}, modules: [half] });
      await t.store.upsertProvider({ id: 'h', kind: 'half', priority: 1, active: 1, config: '{}', prices: '{}', created_at: 1, updated_at: 1 });
      await registry.refresh();
      const h = registry.get('h')!;
      assert.equal(h.capabilities.sessions, null);
      assert.ok(h.capabilities.status, 'the simulator\'s status lookup is whole, and kept');
      assert.deepEqual(started, [], 'half a session capability is never started');
      assert.match(lines.join(''), /implements a capability in part, so it is not used: sessions: lacks ready, sessionStats/);
      await registry.close();
    } finally { await t.dispose(); }
  });
});
