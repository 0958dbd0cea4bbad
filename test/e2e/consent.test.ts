// The consent ledger end to end: opt-outs by sender (an account that scopes STOP per
// number), by topic, transactional messages past opt-outs when the account says so, and
// the proof file holding the inbound text behind each record, in JSON and in CSV that
// parses back to the same records.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type TestApp } from '../helpers/app.ts';
import { startInboundRig, type InboundRig } from '../helpers/inbound.ts';
import type { TwilioFake } from '../../src/sandbox/twilio.ts';
import { parseCsv } from '../../src/domain/csv.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

const TOKEN_ENV = 'TWILIO_TEST_CONSENT_TOKEN';
const SALES = '+14155550191';
const SUPPORT = '+14155550192';
const CUSTOMER = '+14155550130';

describe('consent ledger', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let inboundUrl: string;
  let rig: InboundRig;

  before(async () => {
    rig = await startInboundRig(TOKEN_ENV, {}, [SALES, SUPPORT]);
    ({ t, fake, inboundUrl } = rig);
  });
  after(() => rig.stop());

  const send = (body: Record<string, unknown>) => t.call('POST', '/v1/messages', { to: CUSTOMER, body: 'Hello', ...body });
  const settings = (body: Record<string, unknown>) => t.call('POST', '/v1/account/settings', body);

  it('a STOP to one sender blocks only that sender when the account scopes opt-outs per number', async () => {
    const set = await settings({ opt_out_scope: 'number' });
    assert.deepEqual([set.status, set.body.opt_out_scope, set.body.transactional_past_opt_out], [200, 'number', false]);
    await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: SALES, Body: 'STOP' });
    await eventually(async () => (await t.call('GET', `/v1/opt-outs?number=${encodeURIComponent(CUSTOMER)}`)).body.data.length === 1, 5_000, 'the opt-out');
    const refused = await send({ from: SALES });
    assert.deepEqual([refused.status, refused.body.error.code], [422, 'recipient_opted_out']);
    assert.match(refused.body.error.message, new RegExp(`from \\${SALES}`));
    assert.equal((await send({ from: SUPPORT })).status, 202, 'the other number may still text');
  });

  it('a topic opt-out refuses that topic only; marketing messages go in the bulk lane', async () => {
    const other = '+14155550131';
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: other, topic: 'marketing' })).status, 201);
    const refused = await send({ to: other, category: 'marketing', topic: 'marketing' });
    assert.deepEqual([refused.status, refused.body.error.code], [422, 'recipient_opted_out']);
    assert.match(refused.body.error.message, /messages about marketing/);
    const news = await send({ to: other, category: 'marketing', topic: 'news' });
    assert.equal(news.status, 202);
    assert.deepEqual([news.body.category, news.body.topic, news.body.priority], ['marketing', 'news', 'bulk']);
    assert.equal((await send({ to: other })).status, 202, 'a message of no topic');
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: other, topic: 'Not A Topic' })).body.error.code, 'validation_error');
  });

  it('lets transactional messages past an opt-out of every topic only when the account says so', async () => {
    const other = '+14155550132';
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: other })).status, 201);
    assert.equal((await send({ to: other })).status, 422);
    await settings({ transactional_past_opt_out: true });
    const code = await send({ to: other, body: 'Your code is 123456' });
    assert.equal(code.status, 202, 'a one-time code still reaches them');
    assert.equal(code.body.category, 'transactional');
    assert.equal((await send({ to: other, category: 'marketing' })).status, 422, 'marketing does not');
    const ask = await t.call('POST', `/v1/consent/${encodeURIComponent(other)}/confirmations`, { from: SALES });
    assert.deepEqual([ask.status, ask.body.error?.code], [422, 'recipient_opted_out'], 'nor a request to opt back in: only they may, by texting START');
    const after = await t.call('GET', '/v1/account/settings');
    assert.deepEqual([after.body.opt_out_scope, after.body.transactional_past_opt_out], ['number', true], 'each setting kept');
    await settings({ transactional_past_opt_out: false });
  });

  it('shows the history and exports a proof holding the inbound text behind each record', async () => {
    await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: SALES, Body: 'start' });
    await eventually(async () => (await t.call('GET', `/v1/consent/${encodeURIComponent(CUSTOMER)}`)).body.records.length === 2, 5_000, 'the START record');
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: CUSTOMER, topic: 'marketing' })).status, 201);
    const history = (await t.call('GET', `/v1/consent/${encodeURIComponent(CUSTOMER)}`)).body;
    assert.deepEqual(history.records.map((r: { action: string; scope: string; source: string }) => [r.action, r.scope, r.source]),
      [['opt_out', 'sender', 'keyword'], ['opt_in', 'sender', 'keyword'], ['opt_out', 'topic', 'api']]);
    assert.deepEqual(history.opted_out.map((o: { topic: string }) => o.topic), ['marketing']);

    const proof = await t.call('GET', `/v1/consent/${encodeURIComponent(CUSTOMER)}/export`);
    assert.match(proof.headers.get('content-disposition') ?? '', /attachment; filename="consent-14155550130\.json"/);
    const [stop] = proof.body.records;
    assert.deepEqual([stop.inbound_text, stop.inbound.body, stop.inbound.from, stop.inbound.to, stop.inbound.provider], ['STOP', 'STOP', CUSTOMER, SALES, 'twilio-main']);
    assert.ok(stop.inbound.provider_message_id && stop.inbound.webhook_id, 'traceable to the raw webhook');
    assert.match(stop.inbound.raw_webhook.body, /Body=STOP/, 'the provider\'s own post, as received');
    assert.equal(stop.inbound.raw_webhook.content_type, 'application/x-www-form-urlencoded');

    const csv = await t.call('GET', `/v1/consent/${encodeURIComponent(CUSTOMER)}/export?format=csv`);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const [header, ...rows] = parseCsv(csv.body as string);
    assert.equal(rows.length, 3);
    const col = (name: string) => header.indexOf(name);
    assert.deepEqual(rows.map((r) => r[col('action')]), ['opt_out', 'opt_in', 'opt_out']);
    assert.equal(rows[0][col('inbound_text')], 'STOP');
    assert.equal(rows[0][col('inbound_from')], `'${CUSTOMER}`, 'a leading + is neutralised for spreadsheets');
    assert.equal(rows[0][col('record_id')], proof.body.records[0].id);
  });

  it('double opt-in: a confirmation request, and the YES that answers it, opt the recipient in of what was asked', async () => {
    const other = '+14155550133';
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: other, topic: 'marketing' })).status, 201);
    const asked = await t.call('POST', `/v1/consent/${encodeURIComponent(other)}/confirmations`, { topic: 'marketing', from: SALES });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const request = await eventually(async () => fake.requests.find((r) => r.form.get('To') === other && r.sid), 5_000, 'the request sent');
    assert.match(request.form.get('Body') ?? '', /Reply YES to confirm you want marketing messages/);
    await fake.sendInbound(inboundUrl, { From: other, To: SALES, Body: 'Yes' });
    const history = await eventually(async () => {
      const h = (await t.call('GET', `/v1/consent/${encodeURIComponent(other)}`)).body;
      return h.records.length === 3 ? h : undefined;
    }, 5_000, 'the confirmation record');
    assert.deepEqual(history.records.map((r: { action: string; source: string }) => [r.action, r.source]), [['opt_out', 'api'], ['confirm_request', 'api'], ['opt_in', 'confirmation']]);
    assert.equal(history.records[1].message_id, asked.body.message_id);
    assert.deepEqual([history.records[2].scope, history.records[2].topic, history.records[2].inbound_text], ['topic', 'marketing', 'Yes']);
    assert.deepEqual(history.opted_out, []);
    assert.equal((await send({ to: other, category: 'marketing', topic: 'marketing' })).status, 202);
  });

  it('imports a consent list from another system: checked whole first, then records of source import', async () => {
    const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: t.dataDir } });
    const file = join(t.dataDir, 'consent.csv');
    writeFileSync(file, 'number,action,topic\n+14155550140,opt_out,\n+14155550141,opt_out,Bad Topic\n');
    await assert.rejects(cli('consent', 'import', file), (e: { code: number; stderr: string }) => e.code === 1 && /line 3: topic must be/.test(e.stderr));
    assert.equal((await t.call('GET', '/v1/consent/%2B14155550140')).status, 404, 'one bad row: nothing written');
    writeFileSync(file, "number,action,topic\n'+14155550140,opt_out,\n+14155550141,,marketing\n");
    assert.match((await cli('consent', 'import', file)).stdout, /2 records for account default written; 2 opt-outs added/);
    const [record] = (await t.call('GET', '/v1/consent/%2B14155550140')).body.records;
    assert.deepEqual([record.source, record.scope, record.actor.kind], ['import', 'account', 'cli']);
    assert.equal((await send({ to: '+14155550140' })).status, 422);
    assert.equal((await send({ to: '+14155550141', topic: 'marketing' })).status, 422);
  });

  it('an account admin sees its own account\'s ledger only', async () => {
    const made = await t.call('POST', '/v1/keys', { name: 'other-admin', account_id: 'other', scopes: ['admin'] });
    const other = { authorization: `Bearer ${made.body.secret}` };
    const theirs = await t.call('GET', `/v1/consent/${encodeURIComponent(CUSTOMER)}`, undefined, other);
    assert.deepEqual([theirs.status, theirs.body.error.code], [404, 'not_found'], 'none in its account');
    assert.equal((await t.call('GET', `/v1/consent/${encodeURIComponent(CUSTOMER)}?account_id=default`, undefined, other)).status, 403);
    assert.equal((await t.call('POST', '/v1/account/settings', { account_id: 'default', opt_out_scope: 'account' }, other)).status, 403);
  });
});
