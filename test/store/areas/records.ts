// Contract cases for the RecordStore port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage, messageRow, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { part, receiptFor, sentMessage } from './helpers.ts';

export function recordsCases(get: () => Store): void {
  describe('RecordStore', () => {
    let store: Store;
    before(() => { store = get(); });

    it('bumps the configuration version on every change to a configured record, not on messages', async () => {
      const v0 = await store.configVersion();
      const now = Date.now();
      await store.upsertCountryRule({ country: 'XA', require_local: 0, allow_alphanumeric: 1, providers: null, created_at: now, updated_at: now });
      const v1 = await store.configVersion();
      assert.ok(v1 > v0, 'a country rule written');
      await store.insertMessages([newMessage()]);
      assert.equal(await store.configVersion(), v1, 'a message is not configuration');
      const id = newId('key');
      await store.createApiKey({ id, account_id: 'default', name: 'cv', prefix: 'sk_test', hash: `h-${id}`, scopes: 'send', created_at: now, updated_at: now, revoked_at: null, webhook_secret: 'whsec_dGVzdA==', callback_url: null });
      await store.revokeApiKey(id, now);
      assert.ok(await store.configVersion() >= v1 + 2, 'a key created and revoked');
    });

    it('manages API keys by hash and revokes them', async () => {
      const now = Date.now();
      const id = newId('key');
      await store.createApiKey({ id, account_id: 'default', name: 'ci', prefix: 'sk_test', hash: `h-${id}`, scopes: 'send,read', created_at: now, updated_at: now, revoked_at: null, webhook_secret: 'whsec_dGVzdA==', callback_url: null });
      assert.equal((await store.findApiKeyByHash(`h-${id}`))?.id, id);
      assert.equal(await store.revokeApiKey(id, now), true);
      assert.ok((await store.findApiKeyByHash(`h-${id}`))?.revoked_at);
      assert.equal(await store.revokeApiKey(id, now), false);
    });


    it("keeps an account's keys: by id and by account, and a new callback signing secret", async () => {
      const now = Date.now();
      const acct = `acct_k_${newId('key')}`;
      await store.ensureAccount(acct, acct, now);
      await store.ensureAccount(acct, acct, now + 1);
      const id = newId('key');
      await store.createApiKey({ id, account_id: acct, name: 'app', prefix: 'sk_test', hash: `h-${id}`, scopes: 'send', created_at: now, updated_at: now, revoked_at: null, webhook_secret: 'whsec_b2xk', callback_url: null });
      assert.equal((await store.getApiKey(id))?.name, 'app');
      assert.equal(await store.getApiKey('key_missing'), undefined);
      assert.deepEqual((await store.listApiKeys(acct)).map((k) => k.id), [id]);
      assert.ok((await store.listApiKeys()).some((k) => k.id === id));
      await store.setApiKeyWebhookSecret(id, 'whsec_bmV3', now + 5);
      const k = await store.getApiKey(id);
      assert.deepEqual([k?.webhook_secret, k?.updated_at], ['whsec_bmV3', now + 5]);
    });

    it('versions templates: each save is the next version; latest or a given one; the latest of each', async () => {
      const acct = `acct_tp_${newId('trk')}`;
      const base = { account_id: acct, body: 'Job {job_id} ready', variables: '["job_id"]', locale: null, created_at: Date.now() };
      assert.equal((await store.addTemplateVersion({ ...base, id: 'job_ready' })).version, 1);
      assert.equal((await store.addTemplateVersion({ ...base, id: 'job_ready', body: 'Job {job_id} is ready' })).version, 2);
      await store.addTemplateVersion({ ...base, id: 'other' });
      assert.equal((await store.getTemplate(acct, 'job_ready'))?.body, 'Job {job_id} is ready');
      assert.equal((await store.getTemplate(acct, 'job_ready', 1))?.body, 'Job {job_id} ready');
      assert.equal(await store.getTemplate(acct, 'missing'), undefined);
      assert.equal(await store.getTemplate('acct-other', 'job_ready'), undefined, "another account's");
      assert.deepEqual((await store.listTemplates(acct)).map((t) => [t.id, t.version]), [['job_ready', 2], ['other', 1]]);
      assert.deepEqual((await store.listTemplates(acct, 'job_ready')).map((t) => t.version), [2, 1]);
      assert.ok((await store.listTemplates(null)).some((t) => t.account_id === acct && t.id === 'job_ready' && t.version === 2), "every account's latest");
    });

    it('records failover drills, newest first', async () => {
      const now = Date.now();
      const a = { id: newId('drl'), provider_id: 'p1', to_number: '+14155550100', message_id: null, passed: 1, result: '{}', created_at: now };
      const b = { ...a, id: newId('drl'), passed: 0 };
      await store.recordDrill(a);
      await store.recordDrill(b);
      assert.deepEqual((await store.listDrills(2)).map((d) => d.id), [b.id, a.id]);
    });

    it('keeps tracking links by token hash, lists an account\'s, and revokes one only for its account', async () => {
      const now = Date.now();
      const acct = `acct_t_${newId('trk')}`;
      const row = { id: newId('trk'), account_id: acct, job_id: 'job-42', token_hash: `th-${newId('trk')}`, created_at: now, expires_at: now + 60_000, revoked_at: null };
      await store.createTrackingLink(row);
      assert.deepEqual({ ...(await store.findTrackingLinkByHash(row.token_hash)) }, row);
      assert.equal(await store.findTrackingLinkByHash('th-none'), undefined);
      assert.deepEqual((await store.listTrackingLinks(acct)).map((l) => l.id), [row.id]);
      assert.equal(await store.revokeTrackingLink('acct-other', row.id, now), false, "another account's");
      assert.equal(await store.revokeTrackingLink(acct, row.id, now + 1), true);
      assert.equal(await store.revokeTrackingLink(acct, row.id, now + 2), false, 'already revoked');
      assert.equal((await store.findTrackingLinkByHash(row.token_hash))?.revoked_at, now + 1);
    });

    it('gives a key SMPP bind credentials, found by system_id, each system_id once', async () => {
      const now = Date.now();
      const make = async () => {
        const id = newId('key');
        await store.createApiKey({ id, account_id: 'default', name: 'pbx', prefix: 'sk_test', hash: `h-${id}`, scopes: 'send', created_at: now, updated_at: now, revoked_at: null, webhook_secret: null, callback_url: null });
        return id;
      };
      const [a, b] = [await make(), await make()];
      const systemId = `pbx${newId('key').slice(-8)}`;
      assert.equal(await store.setApiKeySmpp(a, systemId, 'scrypt$s$h', now), true);
      assert.equal((await store.findApiKeyBySmppSystemId(systemId))?.id, a);
      assert.equal((await store.findApiKeyBySmppSystemId(systemId))?.smpp_password_hash, 'scrypt$s$h');
      assert.equal(await store.setApiKeySmpp(b, systemId, 'scrypt$t$i', now), false, 'taken by another key');
      assert.equal(await store.setApiKeySmpp(a, systemId, 'scrypt$u$j', now), true, 'the same key may change its password');
      assert.equal(await store.findApiKeyBySmppSystemId('nobody'), undefined);
    });

    it('upserts providers, numbers and country rules by their key', async () => {
      const now = Date.now();
      const pid = `p-${newId('key').slice(-10).toLowerCase()}`;
      const provider = { id: pid, kind: 'simulator', priority: 5, active: 1, config: '{}', prices: '{"*":"0.0050"}', created_at: now, updated_at: now };
      await store.upsertProvider(provider);
      await store.upsertProvider({ ...provider, priority: 7, updated_at: now + 1 });
      const p = (await store.listProviders()).filter((r) => r.id === pid);
      assert.deepEqual(p.map((r) => [r.priority, r.updated_at]), [[7, now + 1]]);
      const number = `+1415555${String(now).slice(-4)}`;
      const row = { number, provider_id: pid, account_id: 'default', country: 'US', type: 'longcode' as const, capabilities: '["sms"]', rate_per_second: 1, pool: 'default', active: 1, created_at: now, updated_at: now };
      await store.upsertNumber(row);
      await store.upsertNumber({ ...row, pool: 'masking', active: 0, updated_at: now + 1 });
      const n = (await store.listNumbers()).filter((r) => r.number === number);
      assert.deepEqual(n.map((r) => [r.pool, r.active, r.created_at]), [['masking', 0, now]]);
      const rule = { country: 'ZZ', require_local: 1, allow_alphanumeric: 0, providers: JSON.stringify([pid]), created_at: now, updated_at: now };
      await store.upsertCountryRule(rule);
      await store.upsertCountryRule({ ...rule, require_local: 0, updated_at: now + 1 });
      const r = (await store.listCountryRules()).filter((x) => x.country === 'ZZ');
      assert.deepEqual(r.map((x) => [x.require_local, x.providers]), [[0, JSON.stringify([pid])]]);
    });
  });
}
