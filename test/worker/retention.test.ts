// Retention end to end on the embedded store: past the window, final messages (archived
// to JSONL first) and processed webhooks go, in batches; recent ones and messages still
// under way stay; with 0 days nothing runs. The audit log is cut at a checkpoint.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Retention } from '../../src/worker/retention.ts';
import { makeSqliteStore, tempDir, type TestStore } from '../helpers/stores.ts';
import { newMessage, webhookRow } from '../helpers/rows.ts';
import { verifyAudit } from '../../src/services/audit.ts';

describe('retention', () => {
  let s: TestStore;
  const dir = tempDir();
  before(async () => { s = await makeSqliteStore(); });
  after(async () => { await s.dispose(); dir.remove(); });

  it('purges what is past the window in batches, archiving each message first, and keeps the rest', async () => {
    const now = Date.now();
    const day = 86_400_000;
    const old = Array.from({ length: 7 }, () => newMessage({ status: 'delivered', final_at: now - 40 * day, next_attempt_at: null, created_at: now - 41 * day }));
    const recent = newMessage({ status: 'delivered', final_at: now - day, next_attempt_at: null });
    const underWay = newMessage({ created_at: now - 60 * day, next_attempt_at: now - 60 * day });
    await s.store.insertMessages([...old, recent, underWay]);
    const hooks = [webhookRow({ received_at: now - 40 * day, process_after: now - 40 * day }), webhookRow({ received_at: now - day, process_after: now - day })];
    await s.store.insertWebhooks(hooks);
    await s.store.finishWebhooks(hooks.map((h) => ({ id: h.id, error: null })), [], 0, now);
    const archivePath = join(dir.path, 'archive.jsonl');
    const retention = new Retention({ store: s.store, logger: pino({ level: 'silent' }), days: 30, everyMs: 60_000, archivePath, batch: 3 });
    assert.deepEqual(await retention.runOnce(now), { messages: 7, webhooks: 1, audit: 0 });
    const archived = readFileSync(archivePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string });
    assert.deepEqual(archived.map((m) => m.id).sort(), old.map((m) => m.row.id).sort());
    assert.ok(archived.every((m) => m.status === 'delivered'));
    for (const m of old) assert.equal(await s.store.getMessage(null, m.row.id), undefined);
    assert.ok(await s.store.getMessage(null, recent.row.id));
    assert.ok(await s.store.getMessage(null, underWay.row.id));
    assert.deepEqual((await s.store.listWebhooks({})).map((w) => w.id), [hooks[1].id]);
    assert.deepEqual(await retention.runOnce(now), { messages: 0, webhooks: 0, audit: 0 }, 'nothing left to purge');
  });

  it('cuts the audit log at the window, leaving a chain that still verifies and goes on', async () => {
    const now = Date.now();
    const provider = (priority: number) => ({ id: 'aud-ret', kind: 'simulator', priority, active: 1, config: '{}', prices: '{}', created_at: now, updated_at: now });
    for (const p of [1, 2, 3, 4]) await s.store.upsertProvider(provider(p));
    const retention = new Retention({ store: s.store, logger: pino({ level: 'silent' }), days: 30, everyMs: 60_000, archivePath: '', batch: 3 });
    const { audit } = await retention.runOnce(now + 31 * 86_400_000);
    assert.ok(audit >= 4, `${audit} entries cut`);
    assert.deepEqual(await s.store.listAudit({ limit: 10 }), []);
    await s.store.upsertProvider(provider(5));
    const verdict = await verifyAudit(s.store);
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.entries, 1);
    assert.equal(verdict.checkpoint_seq, verdict.head_seq - 1);
  });
});
