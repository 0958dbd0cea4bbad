// SMPP end to end against a loopback SMSC written on raw PDUs (src/sandbox/smsc.ts):
// binds, submits split and encoded as our segment count says, receipts in every variant
// (before the submit_sm_resp too), throttling, inbound texts joined from their parts,
// a refused bind, a dead link, a dropped link, and unbind at shutdown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { SmscFake, FAKE_SMPP_PASSWORD, FAKE_SMPP_SYSTEM_ID } from '../../src/sandbox/smsc.ts';
import { makePostgresStore, testSchema, type TestStore } from '../helpers/stores.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { pgSkip, redisSkip, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { randomBytes } from 'node:crypto';
import { callbackReceiver } from '../helpers/net.ts';

const PASSWORD_ENV = 'SMPP_TEST_PASSWORD';

async function provider(t: TestApp, smsc: SmscFake, extra: Record<string, unknown> = {}, id = 'carrier') {
  const r = await t.call('POST', '/v1/providers', {
    id, kind: 'smpp', prices: { US: '0.0030' },
    config: { host: '127.0.0.1', port: smsc.port, system_id: FAKE_SMPP_SYSTEM_ID, password_env: PASSWORD_ENV, from: '+14155550199', enquire_link_seconds: 1, ...extra },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await eventually(async () => smsc.bound.length > 0, 10_000, 'the bind');
}

const delivered = (t: TestApp, id: string) => eventually(async () => {
  const m = (await t.call('GET', `/v1/messages/${id}`)).body;
  return m.status === 'delivered' && m;
}, 10_000, `${id} delivered`);

for (const [name, skip, postgres] of [['SQLite', false, false], ['PostgreSQL', pgSkip, true]] as const) describe(`SMPP carrier bind (${name})`, { skip }, () => {
  let smsc: SmscFake;
  let t: TestApp;
  let pg: TestStore | undefined;

  before(async () => {
    process.env[PASSWORD_ENV] = FAKE_SMPP_PASSWORD;
    smsc = await new SmscFake().start();
    const schema = testSchema();
    pg = postgres ? await makePostgresStore(schema) : undefined;
    t = await startApp({ backoffBaseMs: 20 }, { store: pg ? new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) : undefined });
    await provider(t, smsc);
  });
  after(async () => { await t.stop(); await pg?.dispose(); await smsc.stop(); delete process.env[PASSWORD_ENV]; });

  it('binds as a transceiver and sends a GSM-7 text that a receipt delivers', async () => {
    assert.deepEqual(smsc.binds.at(-1), { systemId: FAKE_SMPP_SYSTEM_ID, password: FAKE_SMPP_PASSWORD, ok: true });
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'Your code is 123456 {ok}' });
    const m = await delivered(t, r.body.id);
    const s = smsc.submitted.find((x) => x.messageId === m.provider_message_id)!;
    assert.deepEqual([s.text, s.dataCoding, s.dest, s.destTon, s.destNpi, s.source, s.sourceTon, s.registeredDelivery], ['Your code is 123456 {ok}', 0, '14155550100', 1, 1, '14155550199', 1, 1]);
    assert.deepEqual(m.events.map((e: { provider_status: string }) => e.provider_status), ['delivrd']);
    const metrics = (await t.call('GET', '/metrics')).body as string;
    assert.match(metrics, /switchboard_provider_session_up\{provider="carrier",session="1"\} 1/);
    assert.match(metrics, /switchboard_provider_session_submits\{provider="carrier",session="1"\} [1-9]/);
  });

  it('splits a long UCS-2 text into UDH-concatenated parts exactly as counted, and records every part', async () => {
    const body = `Grüße 😀 ${'ü'.repeat(60)}${'Ж'.repeat(80)}`;
    const r = await t.call('POST', '/v1/messages', { to: '+14155550101', body });
    assert.equal(r.body.encoding, 'UCS-2');
    const m = await delivered(t, r.body.id);
    assert.equal(m.parts.length, r.body.segments);
    const sent = smsc.submitted.filter((x) => m.parts.some((p: { provider_message_id: string }) => p.provider_message_id === x.messageId));
    assert.equal(sent.length, r.body.segments);
    assert.deepEqual(sent.map((x) => [x.dataCoding, x.concat?.via, x.concat?.part, x.concat?.total]), sent.map((_, i) => [8, 'udh', i + 1, sent.length]));
    assert.equal(new Set(sent.map((x) => x.concat?.ref)).size, 1, 'one reference for the message');
    assert.equal(sent.map((x) => x.text).join(''), body);
  });

  it('reads receipts in every variant: seconds in dates, Text:, zero-padded ids, TLVs, and ones that outrun the submit_sm_resp', async () => {
    for (const [format, receiptFirst] of [['seconds', false], ['capital-text', false], ['padded-id', false], ['tlv', false], ['standard', true]] as const) {
      smsc.plan = { stats: ['DELIVRD'], format, receiptFirst, delayMs: 30 };
      const r = await t.call('POST', '/v1/messages', { to: '+14155550102', body: `receipt ${format}${receiptFirst ? ' first' : ''}` });
      await delivered(t, r.body.id);
    }
    smsc.plan = { stats: ['ENROUTE', 'UNDELIV'], format: 'standard', delayMs: 20 };
    const r = await t.call('POST', '/v1/messages', { to: '+14155550103', body: 'not to be' });
    const m = await eventually(async () => { const x = (await t.call('GET', `/v1/messages/${r.body.id}`)).body; return x.status === 'undelivered' && x; }, 10_000, 'undelivered');
    assert.deepEqual([m.error.code, m.error.provider_code], ['undelivered', '001']);
    smsc.plan = { stats: ['DELIVRD'], format: 'standard', delayMs: 5 };
  });

  it('backs off on ESME_RTHROTTLED and sends again', async () => {
    smsc.answers.push(0x58);
    const r = await t.call('POST', '/v1/messages', { to: '+14155550104', body: 'after throttling' });
    await delivered(t, r.body.id);
    const attempts = await t.app.ctx.store.listAttempts(r.body.id);
    assert.deepEqual(attempts.map((a) => [a.outcome, a.error_code, a.provider_error_code]), [['throttled', 'throttled', 'ESME_RTHROTTLED'], ['sent', null, null]]);
  });

  it('fails a message the SMSC refuses for its destination, with the catalog code', async () => {
    smsc.answers.push(0x0b);
    const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550105', body: 'nobody there' });
    assert.deepEqual([r.body.status, r.body.error.code, r.body.error.provider_code], ['failed', 'invalid_number', 'ESME_RINVDSTADR']);
  });

  it('takes inbound texts: GSM-7, Latin-1, and a UCS-2 text in two parts joined once both are here', async () => {
    smsc.mo({ from: '14155550111', to: '14155550199', text: 'hello {there}' });
    smsc.mo({ from: '14155550112', to: '14155550199', text: 'café olé', coding: 3 });
    smsc.mo({ from: '14155550113', to: '14155550199', text: 'Привет, ', coding: 8, concat: { ref: 7, total: 2, part: 2 } }); // arrives first
    smsc.mo({ from: '14155550113', to: '14155550199', text: 'мир и ', coding: 8, concat: { ref: 7, total: 2, part: 1 } });
    const bodies = await eventually(async () => {
      const list = (await t.call('GET', '/v1/inbound')).body.data as { from: string; body: string; provider: string }[];
      return list.length >= 3 && list;
    }, 10_000, 'three inbound texts');
    const byFrom = Object.fromEntries(bodies.map((m) => [m.from, m.body]));
    assert.deepEqual([byFrom['+14155550111'], byFrom['+14155550112'], byFrom['+14155550113']], ['hello {there}', 'café olé', 'мир и Привет, ']);
    assert.ok(smsc.acked.every((a) => a.status === 0), 'every deliver_sm acknowledged once stored');
  });

  it('a text refused part way is sent again from the refused part only, under the same reference', async () => {
    const before = smsc.submitted.length;
    smsc.answers.push(0, 0, 0x58); // parts 1 and 2 accepted, part 3 throttled
    const r = await t.call('POST', '/v1/messages', { to: '+14155550110', body: 'y'.repeat(600) }); // 4 GSM-7 parts
    assert.equal(r.body.segments, 4);
    const m = await delivered(t, r.body.id);
    const mine = smsc.submitted.slice(before).filter((s) => s.dest === '14155550110');
    assert.deepEqual(mine.map((s) => s.concat?.part), [1, 2, 3, 4], 'each part accepted once: the handset gets no part twice');
    assert.equal(new Set(mine.map((s) => s.concat?.ref)).size, 1, 'one concatenation reference, so the parts join');
    assert.equal(m.parts.length, 4);
    assert.equal(m.attempts.length, 2);
    assert.match(m.attempts[0].error.message, /after 2 of 4 parts were accepted/);
  });

  it('refuses HTTP posts to the SMPP provider\'s webhook URL, and its record offers none', async () => {
    const res = await fetch(`${t.url}/webhooks/carrier/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'receipt', text: 'id:1 stat:DELIVRD' }) });
    assert.equal(res.status, 403);
    const list = await t.call('GET', '/v1/providers?limit=100');
    assert.equal(list.status, 200);
    const record = (list.body.data as { id: string; webhooks: unknown }[]).find((p) => p.id === 'carrier');
    assert.ok(record);
    assert.equal(record.webhooks, null, 'no webhook URLs to give an SMPP carrier');
  });

  it('finds a dead link by enquire_link and binds again; a dropped link is bound again too', async () => {
    const before = smsc.binds.length;
    // A submit in flight on the link that dies: never answered, it fails with the link (not
    // at the send timeout) and goes out again on the new bind.
    smsc.answers.push(-1);
    const lost = await t.call('POST', '/v1/messages', { to: '+14155550108', body: 'in flight when the link died' });
    await eventually(async () => smsc.answers.length === 0, 10_000, 'the submit that gets no answer');
    smsc.silent = true;
    await eventually(async () => smsc.binds.length > before, 15_000, 'a new bind after the link went quiet');
    smsc.silent = false;
    const m = await delivered(t, lost.body.id);
    assert.match(m.attempts[0].error.message, /connection lost before submit_sm_resp/);
    smsc.silent = false;
    const again = smsc.binds.length;
    smsc.dropLinks();
    await eventually(async () => smsc.binds.length > again && smsc.bound.length > 0, 15_000, 'a new bind after the link dropped');
    const r = await t.call('POST', '/v1/messages', { to: '+14155550106', body: 'still here' });
    await delivered(t, r.body.id);
  });
});

describe('SMPP long-message modes, refused binds and shutdown', () => {
  before(() => { process.env[PASSWORD_ENV] = FAKE_SMPP_PASSWORD; });
  after(() => { delete process.env[PASSWORD_ENV]; });

  it('sends long texts with SAR TLVs, or whole in message_payload', async () => {
    for (const mode of ['sar', 'payload'] as const) {
      const smsc = await new SmscFake().start();
      const t = await startApp();
      try {
        await provider(t, smsc, { long_messages: mode });
        const body = 'x'.repeat(300);
        const r = await t.call('POST', '/v1/messages', { to: '+14155550107', body });
        assert.equal(r.body.segments, 2);
        const m = await delivered(t, r.body.id);
        if (mode === 'sar') {
          assert.deepEqual(smsc.submitted.map((s) => [s.concat?.via, s.concat?.part, s.concat?.total, s.text.length]), [['sar', 1, 2, 153], ['sar', 2, 2, 147]]);
          assert.equal(m.parts.length, 2);
        } else {
          assert.deepEqual(smsc.submitted.map((s) => [s.payload, s.text]), [[true, body]]);
          assert.equal(m.parts.length, 1);
        }
      } finally { await t.stop(); await smsc.stop(); }
    }
  });

  it('binds a transmitter and a receiver when asked: submits on one, receipts and inbound texts on the other', async () => {
    const smsc = await new SmscFake().start();
    const t = await startApp();
    try {
      await provider(t, smsc, { bind_mode: 'transmitter_receiver' });
      await eventually(async () => smsc.modes.length === 2, 10_000, 'both binds');
      assert.deepEqual(smsc.modes.sort(), [0x01, 0x02]);
      const r = await t.call('POST', '/v1/messages', { to: '+14155550109', body: 'two binds' });
      await delivered(t, r.body.id);
    } finally { await t.stop(); await smsc.stop(); }
  });

  it('a wrong password marks the bind down with the reason, alerts the operator, and does not retry in a tight loop; shutdown unbinds', async () => {
    const smsc = await new SmscFake().start();
    process.env.SMPP_TEST_WRONG = 'wrong';
    const alerts = await callbackReceiver();
    const t = await startApp({ alertWebhookUrl: alerts.url }).catch(async (err) => { await smsc.stop(); throw err; });
    try {
      const r = await t.call('POST', '/v1/providers', { id: 'refused', kind: 'smpp', prices: { US: '0.001' }, config: { host: '127.0.0.1', port: smsc.port, system_id: FAKE_SMPP_SYSTEM_ID, password_env: 'SMPP_TEST_WRONG' } });
      assert.equal(r.status, 201);
      await eventually(async () => smsc.binds.length >= 1, 10_000, 'a bind attempt');
      const sent = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550108', body: 'through the simulator?' });
      assert.notEqual(sent.body.provider, 'refused', 'a provider that cannot bind carries nothing');
      const alert = await eventually(async () => alerts.received.map((r) => JSON.parse(r.body)).find((a) => a.data.rule === 'provider_account:refused'), 10_000, 'the alert');
      // The refusal has been handled (alerted) and a message has gone round it meanwhile: still the one bind.
      assert.equal(smsc.binds.length, 1, 'one refused bind, then a long backoff');
      assert.equal(smsc.binds[0].ok, false);
      assert.equal(alert.type, 'alert.firing');
      assert.match(alert.data.detail, /refused the account: .*bind refused: ESME_RINVPASWD/);
      assert.doesNotMatch(alert.data.detail, /wrong/, 'never the password');
    } catch (err) { await smsc.stop(); throw err; } finally { await t.stop(); await alerts.close(); delete process.env.SMPP_TEST_WRONG; }
    try {
      const good = await startApp();
      try {
        await provider(good, smsc);
      } finally { await good.stop(); }
      assert.ok(smsc.unbinds.length >= 1, 'unbind sent at shutdown');
    } finally { await smsc.stop(); }
  });
});

describe('SMPP sessions across processes (Redis)', { skip: redisSkip }, () => {
  before(() => { process.env[PASSWORD_ENV] = FAKE_SMPP_PASSWORD; });
  after(() => { delete process.env[PASSWORD_ENV]; });

  it('`binds: 1` is one bind however many workers run; when its holder stops, another worker takes it over', async () => {
    const smsc = await new SmscFake().start();
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const worker = () => startApp({ redisUrl: TEST_REDIS_URL, redisPrefix: prefix, sessionLeaseMs: 900 });
    const a = await worker();
    const b = await worker();
    try {
      await provider(a, smsc);
      await provider(b, smsc);
      // Both have tried for a while: still one session at the SMSC.
      await new Promise((r) => setTimeout(r, 1_200));
      assert.equal(smsc.bound.length, 1, 'one bind in all');
      assert.equal(smsc.binds.length, 1);
      const holder = (await a.call('GET', '/metrics')).body.includes('switchboard_provider_session_up{provider="carrier",session="1"} 1') ? a : b;
      const other = holder === a ? b : a;
      await holder.stop();
      await eventually(async () => smsc.bound.length === 1 && smsc.binds.length === 2, 10_000, 'the other worker to bind');
      const r = await other.call('POST', '/v1/messages', { to: '+14155550110', body: 'taken over' });
      await delivered(other, r.body.id);
    } finally {
      await a.stop().catch(() => {}); await b.stop().catch(() => {}); await smsc.stop();
    }
  });
});
