// The PostgreSQL ledger by month (src/store/postgres/partitions.ts): rows land in their
// month, a month made late takes its rows from the default partition, retention drops a
// month whole only when nothing in it may still be needed, and turning the setting on
// carries an existing ledger over.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { makePostgresStore, testSchema, type TestStore } from '../helpers/stores.ts';
import { runStoreSuite } from './store-suite.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { newMessage, webhookRow } from '../helpers/rows.ts';
import { part, receiptFor } from './areas/helpers.ts';
import { planReceipt } from '../../src/receipts/plan.ts';
import { idAt, newId } from '../../src/domain/ids.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { ensureMonths, LEDGER, ledgerByMonth, monthStart, partitionLedger, partitionName } from '../../src/store/postgres/partitions.ts';
import type { MessageRow } from '../../src/store/store.ts';

const DAY = 86_400_000;

// Every case of the store contract, on a partitioned ledger.
runStoreSuite('postgres, ledger by month', () => makePostgresStore(testSchema(), { ledgerByMonth: true }), pgSkip);

describe('PostgreSQL ledger partitioned by month', { skip: pgSkip }, () => {
  let t: TestStore & { store: PostgresStore };
  before(async () => { t = await makePostgresStore(testSchema(), { ledgerByMonth: true }); });
  after(async () => { await t?.dispose(); });

  /** The partition each row of `table` whose `key` is `value` is stored in. */
  async function where(table: string, key: string, value: string): Promise<string[]> {
    const r = await sql<{ p: string }>`SELECT tableoid::regclass::text AS p FROM ${sql.id(table)} WHERE ${sql.id(key)} = ${value}`.execute(t.store.db);
    return r.rows.map((x) => x.p.replace(/^.*\./, ''));
  }
  async function tables(): Promise<Set<string>> {
    const r = await sql<{ n: string }>`SELECT relname AS n FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')`.execute(t.store.db);
    return new Set(r.rows.map((x) => x.n));
  }

  /** A message of time `at` (its id of that time), final at `finalAt` or still queued, with a part, an attempt, an event, a callback and an idempotency key. */
  async function messageAt(at: number, finalAt: number | null): Promise<MessageRow & { key: string }> {
    const owner = `w-${newId('msg').slice(-6)}`;
    const key = `k-${newId('msg')}`;
    const m = newMessage({ id: idAt('msg', at), created_at: at, status: 'sending', lease_owner: owner, next_attempt_at: at }, { key, hash: 'h' });
    await t.store.insertMessages([m]);
    const ref = `pm-${m.row.id}`;
    await t.store.recordOutcomes([{
      messageId: m.row.id, leaseOwner: owner, now: at, parts: [part(m.row.id, 0, ref, at)], callback: null,
      event: { id: newId('evt'), message_id: m.row.id, type: 'status', status: 'sent', provider_id: 'sim', provider_status: null, error_code: null, webhook_id: null, occurred_at: at, created_at: at, detail: null },
      attempts: [{ id: newId('att'), message_id: m.row.id, attempt: 1, provider_id: 'sim', from_number: null, outcome: 'sent', error_code: null, error_message: null, provider_error_code: null, provider_message_id: ref, started_at: at, finished_at: at, failover: 0 }],
      set: finalAt === null
        ? { status: 'queued', attempts: 1, throttled_attempts: 0, next_attempt_at: Date.now() + DAY }
        : { status: 'delivered', attempts: 1, throttled_attempts: 0, next_attempt_at: null, final_at: finalAt },
    }]);
    await t.store.insertCallbacks([{ id: newId('cbk'), account_id: 'default', api_key_id: null, message_id: m.row.id, url: 'https://example.com/h', type: 'message.status', payload: '{}', status: 'delivered', attempts: 1, next_attempt_at: null, lease_until: null, last_error: null, created_at: at, updated_at: at, delivered_at: at }]);
    return { ...m.row, key };
  }

  it('stores a message and all that is recorded about it in the partition of the month its id was made', async () => {
    const names = await tables();
    for (let k = 0; k <= 1; k++) for (const l of LEDGER) assert.ok(names.has(partitionName(l.table, monthStart(Date.now(), k))), `${l.table} has this month and the next`);
    const m = await messageAt(Date.now(), null);
    const month = partitionName('messages', Date.now()).replace('messages', '');
    assert.deepEqual(await where('messages', 'id', m.id), [`messages${month}`]);
    for (const table of ['message_parts', 'attempts', 'events']) assert.deepEqual(await where(table, 'message_id', m.id), [`${table}${month}`]);
    const w = webhookRow();
    await t.store.insertWebhooks([w]);
    assert.deepEqual(await where('webhooks', 'id', w.id), [partitionName('webhooks', Date.now())]);
    assert.equal(await t.store.messageOfProvider('sim', `pm-${m.id}`), m.id, 'a receipt still finds its message by the provider reference');
  });

  it('applies a receipt for a message of a month past the newest (looked for there after the newest), in one batch with one for this week', async () => {
    const old = Date.now() - 40 * DAY;
    await ensureMonths(t.store.db, old);
    const [early, recent] = [await messageAt(old, null), await messageAt(Date.now(), null)];
    const w = webhookRow();
    await t.store.insertWebhooks([w]);
    const now = Date.now();
    const results = await t.store.applyReceipts([receiptFor(w.id, `pm-${early.id}`, 'delivered', now), receiptFor(w.id, `pm-${recent.id}`, 'delivered', now), receiptFor(w.id, 'pm-unknown', 'delivered', now)], now, planReceipt);
    assert.deepEqual(results.map((r) => r.message?.id ?? null), [early.id, recent.id, null]);
    assert.deepEqual(results.map((r) => r.changed), [true, true, false]);
    assert.equal((await t.store.listParts(early.id))[0]?.status, 'delivered', 'the old message\'s part took the receipt');
  });

  it('takes the rows of a month made late out of the default partition, and reads them as before', async () => {
    const later = monthStart(Date.now(), 6) + 5 * DAY;
    const m = await messageAt(later, null);
    assert.deepEqual(await where('messages', 'id', m.id), ['messages_default'], 'no month yet: the default partition holds it');
    assert.ok(await ensureMonths(t.store.db, later) >= LEDGER.length);
    assert.deepEqual(await where('messages', 'id', m.id), [partitionName('messages', later)]);
    assert.deepEqual(await where('attempts', 'message_id', m.id), [partitionName('attempts', later)]);
    assert.equal((await t.store.getMessage(null, m.id))?.id, m.id);
    assert.equal((await t.store.listParts(m.id)).length, 1);
    assert.equal(await ensureMonths(t.store.db, later), 0, 'made once');
  });

  it('drops a month whole when every message in it was final before the cut, and keeps one that holds a message still under way', async () => {
    const gone = monthStart(Date.now(), -14) + 3 * DAY;
    const kept = monthStart(Date.now(), -13) + 3 * DAY;
    await ensureMonths(t.store.db, gone); // months of the past, as a ledger that ran then has them
    const old = [await messageAt(gone, gone + 1_000), await messageAt(gone + DAY, gone + DAY + 1_000)];
    const finalInKept = await messageAt(kept, kept + 1_000);
    const open = await messageAt(kept + DAY, null);
    const hookGone = webhookRow({ id: idAt('whk', gone), received_at: gone, processed_at: gone + 10 });
    const hookKept = webhookRow({ id: idAt('whk', kept), received_at: kept, processed_at: null });
    await t.store.insertWebhooks([hookGone, hookKept]);

    let purged = 0;
    for (let n = -1; n !== 0;) { n = await t.store.purgeMessages(monthStart(Date.now(), -10), 500); purged += n; }
    const names = await tables();
    for (const l of LEDGER) assert.ok(!names.has(partitionName(l.table, gone)), `${l.table}: the expired month is dropped`);
    assert.ok(names.has(partitionName('messages', kept)) && names.has(partitionName('webhooks', kept)), 'a month with a message or webhook still open stays');
    for (const m of old) {
      assert.equal(await t.store.getMessage(null, m.id), undefined);
      assert.deepEqual(await t.store.listCallbacks(m.id), [], 'its callbacks went with it');
      const again = await t.store.insertMessages([newMessage({}, { key: m.key, hash: 'other' })]);
      assert.equal(again[0].kind, 'inserted');
    }
    const keys = await sql<{ n: number }>`SELECT count(*)::int AS n FROM idempotency_keys WHERE message_id = ANY(${old.map((m) => m.id)})`.execute(t.store.db);
    assert.equal(keys.rows[0].n, 0, 'the idempotency keys of its messages are deleted');
    assert.equal(await t.store.getMessage(null, finalInKept.id), undefined, 'in a month still open, a final message goes row by row');
    assert.equal((await t.store.getMessage(null, open.id))?.status, 'queued', 'a message under way is never dropped');
    assert.equal((await t.store.listAttempts(open.id)).length, 1);
    assert.ok(purged >= 1);
  });

  it('by default (new) a new database\'s ledger is made by month, and an existing plain one with messages is left plain', async () => {
    const [fresh, grown] = [testSchema(), testSchema()];
    const plain = new PostgresStore(TEST_DATABASE_URL, { schema: grown, max: 2, ledgerByMonth: false });
    const stores = [new PostgresStore(TEST_DATABASE_URL, { schema: fresh, max: 2, ledgerByMonth: 'new' }), plain, new PostgresStore(TEST_DATABASE_URL, { schema: grown, max: 2, ledgerByMonth: 'new' })];
    try {
      await stores[0].migrate();
      assert.equal(await ledgerByMonth(stores[0].db), true, 'a new database: by month');
      await plain.migrate();
      await plain.insertMessages([newMessage()]);
      await stores[2].migrate();
      assert.equal(await ledgerByMonth(stores[2].db), false, 'a ledger that holds messages stays as it is');
    } finally {
      for (const s of [stores[0], plain]) await s.dropSchema();
      for (const s of stores) await s.close();
    }
  });

  it('a ledger that grew unpartitioned is carried into its months when the setting is turned on, once', async () => {
    const schema = testSchema();
    const plain = new PostgresStore(TEST_DATABASE_URL, { schema, max: 2 });
    const byMonth = new PostgresStore(TEST_DATABASE_URL, { schema, max: 2, ledgerByMonth: true });
    try {
      await plain.migrate();
      assert.equal(await ensureMonths(plain.db), 0, 'a plain ledger is left as it is');
      const at = monthStart(Date.now(), -2) + DAY;
      const m = newMessage({ id: idAt('msg', at), created_at: at, status: 'delivered', final_at: at, next_attempt_at: null }, { key: 'upgrade', hash: 'h' });
      await plain.insertMessages([m]);
      await plain.insertWebhooks([webhookRow({ id: idAt('whk', at), received_at: at })]);
      await byMonth.migrate();
      const r = await sql<{ p: string }>`SELECT tableoid::regclass::text AS p FROM messages WHERE id = ${m.row.id}`.execute(byMonth.db);
      assert.equal(r.rows[0]?.p.replace(/^.*\./, ''), partitionName('messages', at));
      assert.equal((await plain.getMessage(null, m.row.id))?.status, 'delivered', 'a process that started before reads it too');
      const dup = await byMonth.insertMessages([newMessage({}, { key: 'upgrade', hash: 'h' })]);
      assert.equal(dup[0].kind, 'duplicate', 'its idempotency key still holds');
      const hooks = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhooks`.execute(byMonth.db);
      assert.equal(hooks.rows[0].n, 1);
      assert.equal(await partitionLedger(byMonth.db), false, 'converted once');
    } finally {
      await byMonth.close();
      await plain.dropSchema();
      await plain.close();
    }
  });
});
