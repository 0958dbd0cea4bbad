// Data residency end to end: Switchboard with two regions (eu: Germany and France; us:
// every other country), on two SQLite files and on two PostgreSQL databases. Each
// message, webhook, event, inbound text, relay and opt-out is looked for directly in both
// regions' databases; the API reads and lists over both; with the EU database stopped,
// US traffic goes on and EU reads answer 503 naming the region.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { eventually, settled, startApp, type TestApp } from '../helpers/app.ts';
import { startInboundRig, type InboundRig } from '../helpers/inbound.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { idRegion } from '../../src/domain/regions.ts';
import type { Config } from '../../src/config.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

const COUNTRIES = 'eu=DE,FR;us=*';
const EU_NUMBER = '+4915112340000';
const US_NUMBER = '+14155550199';
const EU_CUSTOMER = '+4915112340001';
const EU_OWNER = '+4915112340002';
const US_CUSTOMER = '+14155550100';

/** A region's database, read directly: the values of one column of a table. */
interface RegionDb { values(table: string, column: string): Promise<string[]>; close(): Promise<void> }

function sqliteDb(path: string): RegionDb {
  const db = new DatabaseSync(path, { readOnly: true });
  return {
    async values(table, column) { return (db.prepare(`SELECT ${column} AS v FROM ${table}`).all() as { v: string }[]).map((r) => String(r.v)); },
    async close() { db.close(); },
  };
}

function pgDb(url: string): RegionDb {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {}); // an idle connection ended by the server (another test's outage) is replaced
  return {
    async values(table, column) { return (await pool.query(`SELECT ${column} AS v FROM ${table}`)).rows.map((r) => String(r.v)); },
    async close() { await pool.end(); },
  };
}

interface Setup { overrides: Partial<Record<keyof Config, unknown>>; db(name: 'home' | 'eu' | 'us', dataDir: string): RegionDb; cliEnv(dataDir: string): Record<string, string>; dispose(): Promise<void> }

function residencySuite(name: string, tokenEnv: string, setup: () => Promise<Setup>, more?: (s: () => { t: TestApp; rig: InboundRig; env: Setup }) => void) {
  describe(`data residency (${name})`, { skip: name === 'PostgreSQL' ? pgSkip : false }, () => {
    let env: Setup;
    let rig: InboundRig;
    let t: TestApp;
    const dbs: Partial<Record<'home' | 'eu' | 'us', RegionDb>> = {};
    const db = (n: 'home' | 'eu' | 'us') => (dbs[n] ??= env.db(n, t.dataDir));
    /** which of the three databases hold `value` in `table.column` */
    const holders = async (table: string, column: string, value: string) => {
      const out: string[] = [];
      for (const n of ['home', 'eu', 'us'] as const) if ((await db(n).values(table, column)).includes(value)) out.push(n);
      return out;
    };

    before(async () => {
      env = await setup();
      rig = await startInboundRig(tokenEnv, { ...env.overrides, regionCountries: COUNTRIES }, [EU_NUMBER, US_NUMBER]);
      t = rig.t;
    });
    after(async () => {
      await rig?.stop();
      for (const d of Object.values(dbs)) await d.close();
      await env?.dispose();
    });

    const send = async (to: string, body = 'Your code is 123456') => {
      const r = await t.call('POST', '/v1/messages', { to, body });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const delivered = (id: string) => eventually(async () => {
      const m = (await t.call('GET', `/v1/messages/${id}`)).body;
      return m.status === 'delivered' && m;
    }, 10_000, `${id} delivered`);

    it('stores a message to a German number, its parts, attempts, events, receipts and outbox events only in the EU database, a US one only in the US one', async () => {
      const de = await send('+4915123456789');
      const us = await send('+12125550123');
      assert.equal(idRegion(de), 0, 'the id carries its region (eu, the first)');
      assert.equal(idRegion(us), 1);
      await Promise.all([delivered(de), delivered(us)]);
      await settled(t);
      for (const [table, column] of [['messages', 'id'], ['message_parts', 'message_id'], ['attempts', 'message_id'], ['events', 'message_id'], ['outbox', 'message_id']] as const) {
        assert.deepEqual(await holders(table, column, de), ['eu'], `${table} of the German message`);
        assert.deepEqual(await holders(table, column, us), ['us'], `${table} of the US message`);
      }
      // The provider's status callbacks, stored raw, each in its message's region.
      const sid = async (id: string) => (await t.call('GET', `/v1/messages/${id}`)).body.provider_message_id as string;
      const webhooksWith = async (n: 'home' | 'eu' | 'us', s: string) => (await db(n).values('webhooks', 'body')).filter((b) => b.includes(s)).length;
      const [deSid, usSid] = [await sid(de), await sid(us)];
      assert.ok(await webhooksWith('eu', deSid) > 0, 'the German message\'s receipts are in the EU database');
      assert.equal(await webhooksWith('us', deSid) + await webhooksWith('home', deSid), 0);
      assert.ok(await webhooksWith('us', usSid) > 0);
      assert.equal(await webhooksWith('eu', usSid) + await webhooksWith('home', usSid), 0);
      // One API over both: reads by id, the list, the delivery report.
      assert.equal((await t.call('GET', `/v1/messages/${de}`)).body.region, 'eu', 'each message says which region stores it');
      const page = (await t.call('GET', '/v1/messages?limit=100')).body.data as { id: string; region: string }[];
      assert.deepEqual([page.find((m) => m.id === de)?.region, page.find((m) => m.id === us)?.region], ['eu', 'us']);
      assert.deepEqual((await t.call('GET', '/v1/status')).body.regions, [{ name: 'eu', available: true }, { name: 'us', available: true }]);
      const listed = page.map((m) => m.id);
      assert.ok(listed.includes(de) && listed.includes(us), 'the list shows both regions');
      assert.ok(listed.indexOf(us) < listed.indexOf(de), 'newest first across regions');
      const report = (await t.call('GET', '/v1/reports/delivery?group_by=country')).body;
      const countries = JSON.stringify(report);
      assert.match(countries, /"DE"/);
      assert.match(countries, /"US"/);
      // (On PostgreSQL events get their feed positions once the feed is being read: polled.)
      const events = await eventually(async () => {
        const page = (await t.call('GET', '/v1/events?limit=200')).body;
        const subjects = page.data.map((e: { subject: string }) => e.subject);
        return subjects.includes(de) && subjects.includes(us) && page;
      }, 10_000, 'the event feed merges both regions\' outboxes');
      assert.match(events.next_cursor, /^\d+\.\d+\.\d+$/, 'one position per outbox: home, eu, us');
    });

    it('keeps an inbound text to an EU number, its relay and the STOP that follows in the EU database', async () => {
      assert.equal((await t.call('POST', '/v1/relay-rules', { number: EU_NUMBER, destinations: [EU_OWNER] })).status, 201);
      const r = await rig.fake.sendInbound(rig.inboundUrl, { From: EU_CUSTOMER, To: EU_NUMBER, Body: 'Ist das Paket da?' });
      assert.equal(r.status, 200);
      const relay = await eventually(async () => (await t.call('GET', `/v1/relays?number=${encodeURIComponent(EU_NUMBER)}`)).body.data.find((x: { status: string }) => x.status === 'delivered'), 10_000, 'relayed');
      assert.deepEqual(await holders('relays', 'id', relay.id), ['eu']);
      assert.deepEqual(await holders('relay_attempts', 'relay_id', relay.id), ['eu']);
      assert.deepEqual(await holders('inbound_messages', 'from_number', EU_CUSTOMER), ['eu']);
      assert.equal(idRegion(relay.id), 0, 'the relay\'s id carries its region');
      // Its events (the text received, each hop) are in the EU outbox only.
      assert.deepEqual(await holders('outbox', 'subject', relay.id), ['eu']);
      const inboundIds = await db('eu').values('inbound_messages', 'id');
      for (const id of inboundIds) assert.deepEqual(await holders('outbox', 'subject', id), ['eu'], `inbound.received of ${id}`);
      assert.deepEqual(await holders('relay_rules', 'number', EU_NUMBER), ['home'], 'the rule is configuration');
      const inbound = (await t.call('GET', '/v1/inbound?limit=10')).body.data.find((m: { from: string }) => m.from === EU_CUSTOMER);
      assert.ok(inbound, 'the inbound list reads the EU store');
      assert.equal((await t.call('GET', `/v1/inbound/${inbound.id}`)).status, 200);

      await rig.fake.sendInbound(rig.inboundUrl, { From: US_CUSTOMER, To: US_NUMBER, Body: 'STOP' });
      await rig.fake.sendInbound(rig.inboundUrl, { From: EU_CUSTOMER, To: EU_NUMBER, Body: 'STOP' });
      await eventually(async () => (await holders('opt_outs', 'number', EU_CUSTOMER)).length > 0, 10_000, 'the STOP applied');
      await eventually(async () => (await holders('opt_outs', 'number', US_CUSTOMER)).length > 0, 10_000, 'the US STOP applied');
      assert.deepEqual(await holders('opt_outs', 'number', EU_CUSTOMER), ['eu']);
      assert.deepEqual(await holders('consent_records', 'number', EU_CUSTOMER), ['eu']);
      await eventually(async () => (await holders('outbox', 'subject', EU_CUSTOMER)).length > 0, 10_000, 'the consent event');
      assert.deepEqual(await holders('outbox', 'subject', EU_CUSTOMER), ['eu'], 'the consent.opt_out event');
      assert.deepEqual(await holders('opt_outs', 'number', US_CUSTOMER), ['us']);
      const refused = await t.call('POST', '/v1/messages', { to: EU_CUSTOMER, body: 'Angebot' });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'recipient_opted_out');
      assert.equal((await t.call('GET', `/v1/consent/${encodeURIComponent(EU_CUSTOMER)}`)).status, 200);
    });

    it('keeps the messages of an account pinned to a region there, whatever their destination', async () => {
      assert.equal((await t.call('POST', '/v1/account/settings', { region: 'eu' })).status, 200);
      try {
        const id = await send('+12125550124');
        assert.equal(idRegion(id), 0);
        await delivered(id);
        assert.deepEqual(await holders('messages', 'id', id), ['eu']);
      } finally {
        assert.equal((await t.call('POST', '/v1/account/settings', { region: null })).status, 200);
      }
      const bad = await t.call('POST', '/v1/account/settings', { region: 'mars' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'region');
    });

    it('audits a staff opt-out in its number\'s region, and the CLI verifies every chain and reports what each region holds', async () => {
      const other = '+4915112340009';
      assert.equal((await t.call('POST', '/v1/opt-outs', { number: other })).status, 201);
      assert.deepEqual(await holders('opt_outs', 'number', other), ['eu']);
      const entries = (await t.call('GET', '/v1/audit?region=eu')).body.data;
      assert.ok(entries.some((e: { object_id: string }) => e.object_id.includes(other)), 'the EU chain has the change');
      assert.equal((await t.call('GET', '/v1/audit/verify?region=eu')).body.ok, true);
      assert.equal((await t.call('GET', '/v1/audit?region=mars')).status, 400);
      const cli = (args: string[], extra: Record<string, string> = {}) => run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_REGION_COUNTRIES: COUNTRIES, ...env.cliEnv(t.dataDir), ...extra } });
      const verified = (await cli(['audit', 'verify'])).stdout;
      for (const chain of ['home', 'eu', 'us']) assert.match(verified, new RegExp(`^${chain}: ok: \\d+ entries`, 'm'));
      const held = (await cli(['regions'])).stdout;
      assert.match(held, /^eu: \d+ messages\n(  .*\n)*  DE  \d+\n/m);
      assert.match(held, /^us: \d+ messages\n(  .*\n)*  US  \d+\n/m);
      assert.match(held, /^eu: \d+ messages\n(  .*\n)*  US  \d+  \(the country map sends US to us\)\n/m, 'the pinned account\'s message to a US number');
      // Germany moved to the US region: what the EU store holds of it is named as staying there.
      assert.match((await cli(['regions'], { SWITCHBOARD_REGION_COUNTRIES: 'us=*' })).stdout, /  DE  \d+  \(the country map sends DE to us\)/);
    });

    more?.(() => ({ t, rig, env }));
  });
}

describe('workers of one region', () => {
  it('send only that region\'s messages (serve --region eu): a US message waits for a US worker; the simulator\'s receipts land in their region', async () => {
    const t = await startApp({ regions: 'eu,us', regionCountries: COUNTRIES, workerRegions: ['eu'] });
    try {
      // The US message first: a worker of both regions claims it before the later EU one.
      const us = (await t.call('POST', '/v1/messages', { to: '+12125550126', body: 'hello' })).body.id as string;
      const de = (await t.call('POST', '/v1/messages', { to: '+4915123456782', body: 'hallo' })).body.id as string;
      await eventually(async () => (await t.call('GET', `/v1/messages/${de}`)).body.status === 'delivered', 10_000, 'the EU message delivered');
      assert.equal((await t.call('GET', `/v1/messages/${us}`)).body.status, 'queued');
      assert.equal((await t.call('GET', '/v1/status')).body.queue.depth, 1, 'it is counted, and waits');
      // The simulator's receipt (which names the recipient) was stored in the EU database.
      const sid = (await t.call('GET', `/v1/messages/${de}`)).body.provider_message_id as string;
      const eu = sqliteDb(join(t.dataDir, 'switchboard-eu.db'));
      try { assert.ok((await eu.values('webhooks', 'body')).some((b) => b.includes(sid))); } finally { await eu.close(); }
    } finally {
      await t.stop();
    }
  });
});

residencySuite('SQLite', 'TWILIO_TEST_REGIONS_SQLITE_TOKEN', async () => ({
  overrides: { regions: 'eu,us' },
  db: (n, dataDir) => sqliteDb(join(dataDir, n === 'home' ? 'switchboard.db' : `switchboard-${n}.db`)),
  cliEnv: (dataDir) => ({ SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_REGIONS: 'eu,us' }),
  dispose: async () => {},
}));

// On PostgreSQL: three databases made for the run (home, eu, us); the EU one reached
// through a proxy the test cuts, as a stopped database or a cut link looks.
let proxy: TcpProxy | null = null;
residencySuite('PostgreSQL', 'TWILIO_TEST_REGIONS_PG_TOKEN', async () => {
  const suffix = randomBytes(4).toString('hex');
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const names = { home: `sb_home_${suffix}`, eu: `sb_eu_${suffix}`, us: `sb_us_${suffix}` };
  for (const n of Object.values(names)) await admin.query(`CREATE DATABASE ${n}`);
  const url = (n: string) => { const u = new URL(TEST_DATABASE_URL); u.pathname = `/${n}`; return u.toString(); };
  proxy = await new TcpProxy(TEST_DATABASE_URL).start();
  return {
    overrides: { databaseUrl: url(names.home), regions: `eu=${proxy.url(url(names.eu))},us=${url(names.us)}`, simulator: 'off', databaseCheckMs: 200 },
    db: (n) => pgDb(url(names[n])),
    cliEnv: () => ({ DATABASE_URL: url(names.home), SWITCHBOARD_REGIONS: `eu=${url(names.eu)},us=${url(names.us)}` }),
    dispose: async () => {
      await proxy?.stop();
      for (const n of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
      await admin.end();
    },
  };
}, (s) => {
  it('with the EU database stopped, US sends and reads go on, EU reads answer 503 naming the region, and readiness names it', async () => {
    const { t } = s();
    const de = (await t.call('POST', '/v1/messages', { to: '+4915123456780', body: 'before the outage' })).body.id as string;
    await eventually(async () => (await t.call('GET', `/v1/messages/${de}`)).body.status === 'delivered', 10_000, 'delivered before the outage');
    proxy!.cut();
    try {
      const us = await t.call('POST', '/v1/messages', { to: '+12125550125', body: 'during the outage' });
      assert.equal(us.status, 202, JSON.stringify(us.body));
      await eventually(async () => (await t.call('GET', `/v1/messages/${us.body.id}`)).body.status === 'delivered', 10_000, 'a US message delivered during the EU outage');
      const read = await t.call('GET', `/v1/messages/${de}`);
      assert.equal(read.status, 503);
      assert.equal(read.body.error.code, 'region_unavailable');
      assert.deepEqual(read.body.error.details, [{ region: 'eu' }]);
      assert.ok(read.headers.get('retry-after'));
      const refused = await t.call('POST', '/v1/messages', { to: '+4915123456781', body: 'during the outage' });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'region_unavailable');
      const list = await t.call('GET', '/v1/messages?limit=100');
      assert.equal(list.status, 200, 'lists go on with the regions that answer');
      assert.equal(list.headers.get('switchboard-regions-unavailable'), 'eu', 'and say which they left out');
      assert.ok(list.body.data.some((m: { id: string }) => m.id === us.body.id));
      assert.deepEqual((await t.call('GET', '/v1/status')).body.regions, [{ name: 'eu', available: false }, { name: 'us', available: true }]);
      const ready = await t.call('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'degraded');
      assert.ok(ready.body.degraded.some((d: string) => /region eu/.test(d)), JSON.stringify(ready.body));
    } finally {
      proxy!.restore();
    }
    await eventually(async () => (await t.call('GET', `/v1/messages/${de}`)).status === 200, 15_000, 'EU reads back once its database answers');
  });
});
