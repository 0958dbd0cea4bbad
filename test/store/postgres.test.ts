import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runStoreSuite } from './store-suite.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { newMessage, webhookRow } from '../helpers/rows.ts';
import { eventually } from '../helpers/app.ts';
import { PostgresStore, withOptions } from '../../src/store/postgres/postgres-store.ts';
import { nameStatements, statementName } from '../../src/store/postgres/named-statements.ts';
import { VACUUM_LOCK } from '../../src/store/postgres/queue-vacuum.ts';

runStoreSuite('postgres', makePostgresStore, pgSkip);

describe('postgres queue notifications', { skip: pgSkip }, () => {
  // The channel is database-wide and other tests insert too: this asserts that an insert
  // wakes a listener, not how many wakes there are.
  it('wakes a worker listening on another connection when a batch is inserted', async () => {
    const schema = testSchema();
    const writer = await makePostgresStore(schema);
    const worker = await makePostgresStore(schema);
    try {
      let wakes = 0;
      await worker.store.listen({ wake: () => { wakes++; } });
      await writer.store.insertMessages([newMessage(), newMessage()]);
      await eventually(async () => wakes >= 1, 10_000, 'a notification');
    } finally {
      await worker.store.close();
      await writer.dispose();
    }
  });

  it('one worker of a schema hears every insert; the others hear its calls for help, and one takes the lead when its connection ends', async () => {
    const schema = testSchema();
    const api = await makePostgresStore(schema);
    const lead = await makePostgresStore(schema);
    const other = await makePostgresStore(schema);
    let leadOpen = true;
    try {
      const heard = { lead: 0, other: 0 };
      await lead.store.listen({ wake: () => { heard.lead++; } });
      await other.store.listen({ wake: () => { heard.other++; } });
      assert.deepEqual([lead.store.leadsQueue(), other.store.leadsQueue()], [true, false], 'the first to listen leads');
      await api.store.insertMessages([newMessage()]);
      await eventually(async () => heard.lead >= 1, 10_000, 'the lead hears the insert');
      api.store.callForHelp!();
      await eventually(async () => heard.other >= 1, 10_000, 'the other hears the call for help');
      await lead.store.close();
      leadOpen = false;
      // It asks for the lock every couple of seconds; once it has it, it sweeps the queue once.
      await eventually(async () => other.store.leadsQueue(), 20_000, 'the other takes the lead');
      await eventually(async () => heard.other >= 2, 10_000, 'the new lead sweeps the queue');
      const before = heard.other;
      await api.store.insertMessages([newMessage()]);
      await eventually(async () => heard.other > before, 10_000, 'the new lead hears inserts');
    } finally {
      if (leadOpen) await lead.store.close();
      await other.store.close();
      await api.dispose();
    }
  });

  it('paced to one NOTIFY a window, an insert that did not carry one is followed by one once it committed', async () => {
    const schema = testSchema();
    const api = await makePostgresStore(schema, { notifyEveryMs: 1_000 });
    const worker = await makePostgresStore(schema);
    try {
      let wakes = 0;
      await worker.store.listen({ wake: () => { wakes++; } });
      await api.store.insertMessages([newMessage()]);
      await eventually(async () => wakes >= 1, 10_000, 'the first insert\'s notification');
      await api.store.insertMessages([newMessage()]);
      const after = wakes;
      await eventually(async () => wakes > after, 10_000, 'a notification after the second insert, which did not carry one');
    } finally {
      await worker.store.close();
      await api.dispose();
    }
  });

  it('tells a webhook processor listening on another connection when raw webhooks are stored, and when one is replayed', async () => {
    const schema = testSchema();
    const api = await makePostgresStore(schema);
    const worker = await makePostgresStore(schema);
    try {
      let heard = 0;
      await worker.store.listen({ webhooks: () => { heard++; } });
      const w = webhookRow();
      await api.store.insertWebhooks([w]);
      await eventually(async () => heard >= 1, 10_000, 'a notification of the webhook stored');
      const claimed = await worker.store.claimWebhooks(Date.now(), 60_000, 10);
      await worker.store.finishWebhooks(claimed.map((c) => ({ id: c.id, error: null })), [], 0, Date.now());
      const before = heard;
      await api.store.requeueWebhooks([w.id], Date.now());
      await eventually(async () => heard > before, 10_000, 'a notification of the replay');
    } finally {
      await worker.store.close();
      await api.dispose();
    }
  });

  it('tells a listener on another connection when configuration changes, and the version moved', async () => {
    const schema = testSchema();
    const writer = await makePostgresStore(schema);
    const other = await makePostgresStore(schema);
    try {
      let heard = 0;
      assert.equal(other.store.listening(), false);
      await other.store.listen({ config: () => { heard++; } });
      assert.equal(other.store.listening(), true, 'listening: the configuration poll slows down (services/config-watch.ts)');
      const before = await other.store.configVersion();
      await writer.store.upsertCountryRule({ country: 'FR', require_local: 0, allow_alphanumeric: 1, providers: null, created_at: 1, updated_at: 1 });
      await eventually(async () => heard >= 1, 10_000, 'a configuration notification');
      assert.ok((await other.store.configVersion()) > before, 'the version moved');
    } finally {
      await other.store.close();
      await writer.dispose();
    }
  });
});

describe('postgres migrations beside other schemas', { skip: pgSkip }, () => {
  // Other applications (and other test runs) share the database and drop their schemas
  // whenever they like; a migration of ours must not notice.
  it('migrate succeeds while other schemas in the same database are created and dropped', async () => {
    const churn = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await churn.connect();
    let stop = false;
    let dropped = 0;
    const churning = (async () => {
      while (!stop) {
        const s = testSchema();
        await churn.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.a (x int, y int, z int); CREATE TABLE ${s}.b (x int)`);
        await churn.query(`DROP SCHEMA ${s} CASCADE`);
        dropped++;
      }
    })();
    try {
      for (let i = 0; i < 6; i++) {
        const t = await makePostgresStore();
        await t.dispose();
      }
      assert.ok(dropped > 0, 'schemas were dropped meanwhile');
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
  });
});

describe('postgres connection settings', { skip: pgSkip }, () => {
  it('keeps the options a DATABASE_URL gives and adds its own (schema, JIT off), instead of one set replacing the other', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', '-c statement_timeout=12345');
    const schema = testSchema();
    const store = new PostgresStore(url.toString(), { schema, max: 1 });
    try {
      await store.migrate();
      const r = await store.pool.query<{ jit: string; timeout: string; schema: string }>("SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout, current_schema() AS schema");
      assert.deepEqual(r.rows[0], { jit: 'off', timeout: '12345ms', schema });
    } finally {
      await store.dropSchema();
      await store.close();
    }
  });

  it('merges options into the URL only when it names some', () => {
    assert.deepEqual(withOptions('postgres://u@h/db', '-c jit=off'), { connectionString: 'postgres://u@h/db', options: '-c jit=off' });
    assert.deepEqual(withOptions('postgres://u@h/db?options=-c%20a%3D1', '-c jit=off'), { connectionString: 'postgres://u@h/db?options=-c+a%3D1+-c+jit%3Doff' });
    assert.deepEqual(withOptions('/var/run/postgresql', '-c jit=off'), { connectionString: '/var/run/postgresql', options: '-c jit=off' });
  });
});

describe('postgres claim without prepared statements (SWITCHBOARD_PG_PREPARED=off, behind a transaction pooler)', { skip: pgSkip }, () => {
  it('claims due messages and raw webhooks the same way', async () => {
    const schema = testSchema();
    const store = new PostgresStore(TEST_DATABASE_URL, { schema, max: 2, prepared: false });
    try {
      await store.migrate();
      const now = Date.now();
      const m = newMessage({ next_attempt_at: now - 10 });
      await store.insertMessages([m]);
      const claimed = await store.claimDue('w-unprepared', now, 30_000, 10);
      assert.deepEqual(claimed.map((r) => [r.id, r.status, r.lease_owner]), [[m.row.id, 'sending', 'w-unprepared']]);
      assert.deepEqual(await store.claimDue('w-other', now, 30_000, 10), [], 'claimed once');
      const w = webhookRow({ process_after: now - 1 });
      await store.insertWebhooks([w]);
      assert.deepEqual((await store.claimWebhooks(now, 30_000, 10, 20)).map((r) => [r.id, r.lease_until]), [[w.id, now + 30_000]], 'raw webhooks too, paced');
      assert.deepEqual(await store.claimWebhooks(now, 30_000, 10), [], 'and once');
    } finally {
      await store.dropSchema();
      await store.close();
    }
  });
});

describe('postgres paced claims (workers sharing a queue claim once per window among them)', { skip: pgSkip }, () => {
  it('a paced claim right after another worker\'s finds nothing, unless that one was full; an unpaced one, and a paced one once the window passed, take the rest', async () => {
    const a = await makePostgresStore();
    const b = new PostgresStore(TEST_DATABASE_URL, { schema: a.store.schema, max: 2 }); // another process on the same schema
    try {
      const now = Date.now();
      await a.store.insertMessages(Array.from({ length: 10 }, () => newMessage({ next_attempt_at: now - 1 })));
      const first = await a.store.claimDue('w1', now, 60_000, 3, 0, 60_000);
      assert.equal(first.length, 3, 'the first paced claim takes the clock');
      assert.equal(first.refused, undefined);
      const shared = await b.claimDue('w2', now, 60_000, 3, 0, 60_000);
      assert.deepEqual([shared.length, shared.refused], [3, undefined], 'a full claim left the window open: another worker shares the backlog');
      const rest = await a.store.claimDue('w1', now, 60_000, 10, 0, 60_000);
      assert.equal(rest.length, 4, 'the rest, in a claim that is not full: the window is taken');
      await a.store.insertMessages(Array.from({ length: 3 }, () => newMessage({ next_attempt_at: now - 1 })));
      const within = await b.claimDue('w2', now, 60_000, 3, 0, 60_000);
      assert.equal(within.length, 0, 'a paced claim within the window: none');
      assert.equal(within.refused, true, 'and it says the window was taken (the worker stays out of the next: loop/pace.ts)');
      const unpaced = await b.claimDue('w2', now, 60_000, 2);
      assert.equal(unpaced.length, 2, 'after a full claim a worker claims again at once, unpaced');
      await b.db.updateTable('claim_clock').set({ at: 0 }).execute(); // the window has passed
      const later = await b.claimDue('w2', now, 60_000, 10, 0, 60_000);
      assert.equal(later.length, 1, 'the last one');
      assert.equal(new Set([...first, ...shared, ...rest, ...unpaced, ...later].map((m) => m.id)).size, 13, 'each message claimed once');
      assert.deepEqual(Object.keys(later[0]).sort(), Object.keys(unpaced[0]).sort(), 'a paced claim returns the rows as an unpaced one does');
      await b.db.updateTable('claim_clock').set({ at: 0 }).execute();
      const empty = await b.claimDue('w2', now, 60_000, 10, 0, 60_000);
      assert.equal(empty.length, 0);
      assert.equal(empty.refused, undefined, 'a paced claim that took the window and found nothing due was not refused');
      // Raw webhooks keep a clock of their own, left open by a full claim as well.
      await a.store.insertWebhooks([webhookRow({ process_after: now - 1 }), webhookRow({ process_after: now - 1 }), webhookRow({ process_after: now - 1 })]);
      assert.equal((await a.store.claimWebhooks(now, 60_000, 1, 60_000)).length, 1);
      assert.equal((await b.claimWebhooks(now, 60_000, 5, 60_000)).length, 2, 'after a full webhook claim, another process\'s paced one');
      await a.store.insertWebhooks([webhookRow({ process_after: now - 1 })]);
      const refused = await b.claimWebhooks(now, 60_000, 1, 60_000);
      assert.equal(refused.length, 0, 'a paced webhook claim within the window: none');
      assert.equal(refused.refused, true);
      assert.equal((await b.claimWebhooks(now, 60_000, 5)).length, 1);
    } finally {
      await b.close();
      await a.dispose();
    }
  });
});

describe('postgres named statements for Kysely-built SQL (named-statements.ts)', { skip: pgSkip }, () => {
  it('prepares a statement with parameters once per connection, under a name from its text; leaves the rest unnamed', async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      nameStatements(client as unknown as pg.PoolClient);
      const text = 'SELECT $1::int + 1 AS n /* named-statements test */';
      for (const v of [1, 2, 3]) assert.equal((await client.query(text, [v])).rows[0].n, v + 1);
      await client.query('SELECT 42 AS unnamed_test');
      const named = (await client.query("SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE '%named-statements test%' OR statement LIKE '%unnamed_test%'")).rows;
      assert.deepEqual(named, [{ name: statementName(text), statement: text }], 'one prepared statement, for the text with parameters');
      assert.match(statementName(text)!, /^sb_[0-9a-f]{24}$/);
      assert.notEqual(statementName(`${text} `), statementName(text));
    } finally {
      await client.end();
    }
  });
});

describe('postgres queue vacuum (queue-vacuum.ts)', { skip: pgSkip }, () => {
  it('vacuums the queue tables holding enough dead rows, one process at a time, and leaves the rest', async () => {
    const schema = testSchema();
    const t = await makePostgresStore(schema);
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await other.connect();
    try {
      await t.store.insertMessages(Array.from({ length: 40 }, () => newMessage()));
      // Two rounds of updates leave 80 dead versions of messages, none of message_parts; the
      // statistics reach pg_stat_user_tables once this connection flushes them.
      for (let i = 0; i < 2; i++) await other.query('UPDATE messages SET next_attempt_at = next_attempt_at + 1'); // indexed: not a HOT update, which pruning would clear by itself
      await other.query('SELECT pg_stat_force_next_flush()');
      await other.query('SELECT 1');
      const dead = async () => Number((await other.query("SELECT n_dead_tup FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'messages'")).rows[0].n_dead_tup);
      await eventually(async () => (await dead()) >= 80, 10_000, 'the dead rows counted');
      // Another process at it (its lock held): nothing is done here.
      await other.query(`SELECT pg_advisory_lock(${VACUUM_LOCK})`);
      assert.deepEqual(await t.store.vacuumQueue(50), []);
      await other.query(`SELECT pg_advisory_unlock(${VACUUM_LOCK})`);
      assert.deepEqual(await t.store.vacuumQueue(1_000), [], 'under the threshold: left alone');
      assert.deepEqual(await t.store.vacuumQueue(50), ['messages']);
      await eventually(async () => (await dead()) === 0, 10_000, 'the dead rows gone');
    } finally {
      await other.end();
      await t.dispose();
    }
  });
});
