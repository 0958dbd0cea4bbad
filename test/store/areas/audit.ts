// Contract cases for the AuditLog port and the audit of RecordStore's writes (run on every
// store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../../src/store/store.ts';
import { actingAs, verifyChain, type AuditActor, type AuditRow } from '../../../src/domain/audit.ts';
import { newId } from '../../../src/domain/ids.ts';

const ALICE: AuditActor = { kind: 'key', id: 'key_alice', name: 'alice', requestId: 'req-1' };

async function chain(store: Store): Promise<{ rows: AuditRow[]; problems: unknown[] }> {
  const head = await store.auditHead();
  const rows: AuditRow[] = [];
  for (let after = head.checkpoint_seq; ;) {
    const page = await store.auditChain(after, 2);
    if (page.length === 0) break;
    rows.push(...page);
    after = page[page.length - 1].seq;
  }
  const { problems, end } = verifyChain(rows, { seq: head.checkpoint_seq, hash: head.checkpoint_hash });
  if (end.seq !== head.n || end.hash !== head.hash) problems.push({ seq: end.seq, problem: 'the chain ends before its head' });
  return { rows, problems };
}

export function auditCases(get: () => Store): void {
  describe('AuditLog', () => {
    let store: Store;
    before(() => { store = get(); });

    it('writes an entry per change with its actor and diff; a change that changes nothing writes none', async () => {
      const id = `prov_${newId('acc').slice(-8)}`;
      const now = Date.now();
      const row = { id, kind: 'simulator', priority: 5, active: 1, config: '{}', prices: '{}', created_at: now, updated_at: now };
      await actingAs(ALICE, () => store.upsertProvider(row));
      await actingAs(ALICE, () => store.upsertProvider(row));
      await store.upsertProvider({ ...row, priority: 7, updated_at: now + 1 });
      const entries = await store.listAudit({ object: 'provider', objectId: id, limit: 10 });
      assert.equal(entries.length, 2, 'the same write twice is one entry');
      const [update, create] = entries;
      assert.equal(create.action, 'create');
      assert.deepEqual([create.actor_kind, create.actor_id, create.actor_name, create.request_id, create.account_id], ['key', 'key_alice', 'alice', 'req-1', null]);
      assert.equal(create.before, null);
      assert.equal(JSON.parse(create.after!).priority, 5);
      assert.equal(update.action, 'update');
      assert.equal(update.actor_kind, 'system', 'no actor under way: Switchboard itself');
      assert.deepEqual(JSON.parse(update.changed), ['priority', 'updated_at']);
      assert.deepEqual([JSON.parse(update.before!).priority, JSON.parse(update.after!).priority], [5, 7]);
      assert.ok(update.seq > create.seq);
    });

    it('names a change to a secret field without its value', async () => {
      const id = newId('key');
      const now = Date.now();
      await store.ensureAccount('acc_audit', 'audit', now);
      await store.createApiKey({ id, account_id: 'acc_audit', name: 'ops', prefix: 'sk_aud', hash: `secret-hash-${id}`, scopes: 'send', created_at: now, updated_at: now, revoked_at: null, webhook_secret: 'whsec_c2VjcmV0', callback_url: null });
      await store.setApiKeyWebhookSecret(id, 'whsec_bmV3c2VjcmV0', now + 1);
      assert.equal(await store.revokeApiKey(id, now + 2), true);
      assert.equal(await store.revokeApiKey(id, now + 3), false, 'revoked already: no change');
      const entries = await store.listAudit({ object: 'api_key', objectId: id, limit: 10 });
      assert.deepEqual(entries.map((e) => e.action), ['update', 'update', 'create']);
      assert.equal(entries[0].account_id, 'acc_audit', 'the key\'s account');
      assert.deepEqual(JSON.parse(entries[1].changed), ['updated_at', 'webhook_secret']);
      const text = JSON.stringify(entries);
      for (const secret of [`secret-hash-${id}`, 'whsec_c2VjcmV0', 'whsec_bmV3c2VjcmV0']) assert.ok(!text.includes(secret), `${secret} is not in the log`);
      assert.equal(JSON.parse(entries[2].after!).hash, '[redacted]');
    });

    it('lists by account, object and actor, newest first, paged by seq', async () => {
      const now = Date.now();
      for (const n of ['+14155550161', '+14155550162', '+14155550163']) {
        await actingAs({ ...ALICE, id: 'key_pager' }, () => store.upsertNumber({ number: n, provider_id: 'sim', account_id: 'acc_pager', country: 'US', type: 'longcode', capabilities: '["sms"]', rate_per_second: 1, pool: 'default', active: 1, created_at: now, updated_at: now }));
      }
      const first = await store.listAudit({ accountId: 'acc_pager', limit: 2 });
      assert.deepEqual(first.map((e) => e.object_id), ['+14155550163', '+14155550162']);
      const rest = await store.listAudit({ accountId: 'acc_pager', limit: 2, beforeSeq: first[1].seq });
      assert.deepEqual(rest.map((e) => e.object_id), ['+14155550161']);
      assert.equal((await store.listAudit({ actorId: 'key_pager', object: 'number', limit: 10 })).length, 3);
      assert.equal((await store.listAudit({ accountId: 'acc_nobody', limit: 10 })).length, 0);
      assert.equal((await store.listAudit({ accountId: 'acc_pager', since: now + 3_600_000, limit: 10 })).length, 0);
    });

    it('gives concurrent template edits one version each, each audited', async () => {
      const row = { account_id: 'acc_tpl_audit', id: 'welcome', body: 'Hi', variables: '[]', locale: null, created_at: Date.now() };
      const made = await Promise.all([1, 2, 3, 4].map((i) => store.addTemplateVersion({ ...row, body: `Hi ${i}` })));
      assert.deepEqual(made.map((t) => t.version).sort(), [1, 2, 3, 4]);
      const entries = await store.listAudit({ object: 'template', objectId: 'welcome', accountId: 'acc_tpl_audit', limit: 10 });
      assert.equal(entries.length, 4);
      assert.deepEqual(entries.map((e) => JSON.parse(e.after!).version), [4, 3, 2, 1]);
    });

    it('chains every entry to the one before; retention keeps a checkpoint so the rest still verifies', async () => {
      const before = await chain(store);
      assert.deepEqual(before.problems, []);
      assert.ok(before.rows.length >= 4);
      const cutAt = before.rows[1].at + 1;
      const removed = await store.purgeAudit(cutAt, 1_000);
      assert.ok(removed >= 2);
      const head = await store.auditHead();
      assert.ok(head.checkpoint_seq >= before.rows[1].seq);
      const after = await chain(store);
      assert.deepEqual(after.problems, []);
      assert.equal(after.rows.length, before.rows.length - removed);
    });

    it('announces each entry as an audit.recorded event', async () => {
      const now = Date.now();
      await store.upsertRouteRule({ match: '+4477009', providers: '["sim"]', created_at: now, updated_at: now });
      const [entry] = await store.listAudit({ object: 'route_rule', objectId: '+4477009', limit: 1 });
      await store.sequenceEvents(1_000, Date.now());
      const events = await store.readEvents({ accountId: '_system', types: ['audit.recorded'], after: 0, limit: 10_000 });
      const event = events.find((e) => e.type === 'audit.recorded' && e.subject === entry.id);
      assert.ok(event, 'the entry\'s event is in the outbox');
      assert.equal(JSON.parse(event.data).hash, entry.hash);
    });
  });
}
