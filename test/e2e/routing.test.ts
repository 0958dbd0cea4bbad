// Routing and failover over real HTTP: Switchboard on loopback with two providers, each a
// Twilio fake on its own port. "primary" is cheaper; "backup" costs more.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { callbackReceiver, freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import type { Config } from '../../src/config.ts';

const TOKEN_ENV = 'TWILIO_TEST_ROUTING_TOKEN';
process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;

interface Setup { t: TestApp; primary: TwilioFake; backup: TwilioFake; stop(): Promise<void> }

const running: Setup[] = [];
after(async () => { for (const s of running) await s.stop(); });

/** Two providers with numbers: primary +1415555010{1,2} at 0.0079/segment, backup +14155550201 at 0.0100. */
async function setup(overrides: Partial<Record<keyof Config, unknown>> = {}, numbers?: Record<string, unknown>[]): Promise<Setup> {
  const primary = await new TwilioFake().start();
  const backup = await new TwilioFake().start();
  const port = await freePort();
  const t = await startApp({
    port, publicUrl: `http://127.0.0.1:${port}`, healthMinSamples: 3, circuitOpenMs: 60_000, sendTimeoutMs: 2_000, maxAttempts: 3, ...overrides,
  });
  const s = { t, primary, backup, async stop() { await t.stop(); await primary.stop(); await backup.stop(); } };
  running.push(s);
  for (const [id, fake, price, priority] of [['primary', primary, '0.0079', 1], ['backup', backup, '0.0100', 2]] as const) {
    const r = await t.call('POST', '/v1/providers', {
      id, kind: 'twilio', priority, prices: { US: price, '*': '0.0500' },
      config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  for (const n of numbers ?? [
    { number: '+14155550101', provider_id: 'primary', rate_per_second: 500 },
    { number: '+14155550102', provider_id: 'primary', rate_per_second: 500 },
    { number: '+14155550201', provider_id: 'backup', rate_per_second: 500, capabilities: ['sms', 'international'] },
  ]) {
    const r = await t.call('POST', '/v1/numbers', n);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  return s;
}

let recipient = 100;
/** A distinct US recipient each time, so sticky sender does not tie tests together. */
const nextTo = () => `+1415555${String(1000 + recipient++).slice(-4)}`;

async function sendAndWait(t: TestApp, body: Record<string, unknown> = {}) {
  const r = await t.call('POST', '/v1/messages?wait=5', { to: nextTo(), body: 'routing test', ...body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const fromOf = (fake: TwilioFake) => fake.requests.map((q) => q.form.get('From'));

describe('routing between providers', () => {
  it('sends through the cheaper provider while both are healthy, quoting its price', async () => {
    const { t, primary, backup } = await setup();
    const m = await sendAndWait(t);
    assert.equal(m.status, 'sent');
    assert.equal(m.provider, 'primary');
    assert.equal(m.price, '0.0079');
    assert.equal(primary.requests.length, 1);
    assert.equal(backup.requests.length, 0);
  });

  it('previews a send without storing it: UCS-2 characters, the GSM-7 alternative, every route with its price, verdicts', async () => {
    const { t, primary, backup } = await setup();
    const before = (await t.call('GET', '/v1/messages?limit=200')).body.data.length;
    const r = await t.call('POST', '/v1/messages/preview', { to: '+14155550150', body: '“Hello” – 😀' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.encoding, r.body.segments, r.body.ucs2_characters], ['UCS-2', 1, ['“', '”', '–', '😀']]);
    assert.deepEqual(r.body.gsm7_alternative, {
      body: '"Hello" - 😀', encoding: 'UCS-2', segments: 1, still_ucs2: ['😀'], saves_segments: 0, saves: '0.0000',
      replacements: [{ char: '“', with: '"', count: 1 }, { char: '”', with: '"', count: 1 }, { char: '–', with: '-', count: 1 }],
    });
    assert.deepEqual(r.body.routes.map((x: { provider: string; price_per_segment: string; price: string }) => [x.provider, x.price_per_segment, x.price]), [['primary', '0.0079', '0.0079'], ['backup', '0.0100', '0.0100']]);
    assert.deepEqual([r.body.verdicts, r.body.would_send], [[], true]);
    // Quotes alone force UCS-2: the stand-ins bring a 100-character text back to one GSM-7 segment.
    const long = await t.call('POST', '/v1/messages/preview', { to: '+14155550150', body: `It’s ready. ${'x'.repeat(88)}` });
    assert.deepEqual([long.body.encoding, long.body.segments, long.body.gsm7_alternative.encoding, long.body.gsm7_alternative.segments, long.body.gsm7_alternative.saves], ['UCS-2', 2, 'GSM-7', 1, '0.0079']);
    // An opted-out recipient is a verdict, not an error.
    assert.equal((await t.call('POST', '/v1/opt-outs', { number: '+14155550151' })).status, 201);
    const out = await t.call('POST', '/v1/messages/preview', { to: '+14155550151', body: 'hi' });
    assert.deepEqual([out.body.verdicts.map((v: { code: string }) => v.code), out.body.would_send], [['recipient_opted_out'], false]);
    // A request intake would refuse is refused the same way.
    assert.equal((await t.call('POST', '/v1/messages/preview', { to: '12', body: 'hi' })).body.error.code, 'invalid_phone_number');
    assert.equal((await t.call('GET', '/v1/messages?limit=200')).body.data.length, before, 'nothing stored');
    assert.equal(primary.requests.length + backup.requests.length, 0, 'nothing sent');
  });

  it('runs a failover drill: the backup carries the drill message, other traffic still goes to the primary', async () => {
    const { t, primary, backup } = await setup();
    const [drill, normal] = await Promise.all([
      t.call('POST', '/v1/drills', { provider: 'primary', to: '+14155550160' }),
      t.call('POST', '/v1/messages?wait=5', { to: nextTo(), body: 'business as usual' }),
    ]);
    assert.equal(drill.status, 201, JSON.stringify(drill.body));
    assert.deepEqual([drill.body.passed, drill.body.provider, drill.body.carried_by, drill.body.failed_over_from, drill.body.alert.counted], [true, 'primary', 'backup', ['primary'], true]);
    assert.ok(drill.body.latency_ms >= 0 && /^\+1415555020/.test(drill.body.from));
    assert.equal(normal.body.provider, 'primary', 'the concurrent send was not disturbed');
    assert.equal(primary.requests.filter((q) => q.form.get('To') === '+14155550160').length, 0, 'nothing of the drill reached the primary');
    assert.equal(backup.requests.filter((q) => q.form.get('To') === '+14155550160').length, 1);
    const status = (await t.call('GET', '/v1/status')).body;
    assert.equal(status.last_drill.id, drill.body.id);
    const p = status.providers.find((x: { id: string }) => x.id === 'primary');
    assert.deepEqual([p.circuit, p.window.errors], ['closed', 0], "the primary's health is untouched");
    assert.deepEqual((await t.call('GET', '/v1/drills')).body.data.map((d: { id: string }) => d.id), [drill.body.id]);
    // Nothing to prove with a provider that is no route, or without a number to text.
    assert.equal((await t.call('POST', '/v1/drills', { provider: 'nope', to: '+14155550160' })).status, 400);
    assert.equal((await t.call('POST', '/v1/drills', {})).body.error.field, 'to');
  });

  it('rotates round-robin between numbers that tie', async () => {
    const { t, primary } = await setup();
    for (let i = 0; i < 4; i++) await sendAndWait(t);
    assert.deepEqual(fromOf(primary), ['+14155550101', '+14155550102', '+14155550101', '+14155550102']);
  });

  it('rotates round-robin between providers that tie on price and priority', async () => {
    const { t, primary, backup } = await setup();
    await t.call('POST', '/v1/providers', {
      id: 'backup', kind: 'twilio', priority: 1, prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: backup.url },
    });
    const used = [];
    for (let i = 0; i < 4; i++) used.push((await sendAndWait(t)).provider);
    assert.deepEqual(used.sort(), ['backup', 'backup', 'primary', 'primary']);
    assert.equal(primary.requests.length, 2);
  });

  it('moves traffic off a cheaper provider whose recent delivery rate is poor', async () => {
    const { t, primary, backup } = await setup({ deliveryWeight: 1 });
    primary.plan = { statuses: ['sent', 'undelivered'], delayMs: 5, errorCode: '30003' };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await sendAndWait(t)).id);
    await eventually(async () => {
      const ms = await Promise.all(ids.map(async (id) => (await t.call('GET', `/v1/messages/${id}`)).body));
      return ms.every((m) => m.status === 'undelivered');
    }, 5_000, 'ten undelivered receipts');
    // 0.0079 × (1 + 1 × (1 − 0)) = 0.0158 per segment now scores worse than the backup's 0.0100.
    assert.equal((await sendAndWait(t)).provider, 'backup');
    assert.equal(backup.requests.length, 1);
  });

  it('keeps the same sender for a recipient (sticky sender)', async () => {
    const { t, primary } = await setup();
    const to = nextTo();
    const first = await sendAndWait(t, { to });
    await sendAndWait(t); // another recipient moves the rotation on
    const again = await sendAndWait(t, { to });
    assert.equal(again.from, first.from);
    assert.equal(fromOf(primary).filter((f) => f === first.from).length, 2);
  });

  it('honours an explicit from on the more expensive provider, and refuses one it does not own', async () => {
    const { t, backup } = await setup();
    const m = await sendAndWait(t, { from: '+14155550201' });
    assert.equal(m.provider, 'backup');
    assert.equal(m.price, '0.0100');
    assert.equal(backup.requests.length, 1);
    const r = await t.call('POST', '/v1/messages', { to: nextTo(), body: 'x', from: '+14155550999' });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'unknown_sender');
    assert.equal(r.body.error.field, 'from');
  });

  it('applies country rules: allowed providers, local numbers, alphanumeric senders', async () => {
    const { t, primary, backup } = await setup({}, [
      { number: '+14155550101', provider_id: 'primary', rate_per_second: 500, capabilities: ['sms', 'international'] },
      { number: '+447400123456', provider_id: 'backup', rate_per_second: 500 },
      { number: 'ACME', provider_id: 'primary' },
    ]);
    const gb = '+447400123457';
    // Only the backup may carry traffic to GB, and it must be from a GB number.
    assert.equal((await t.call('POST', '/v1/country-rules', { country: 'GB', providers: ['backup'], require_local: true, allow_alphanumeric: false })).status, 201);
    const m = await sendAndWait(t, { to: gb });
    assert.equal(m.provider, 'backup');
    assert.equal(m.from, '+447400123456');
    const alpha = await t.call('POST', '/v1/messages', { to: gb, body: 'x', from: 'ACME' });
    assert.equal(alpha.status, 422);
    assert.equal(alpha.body.error.code, 'sender_not_allowed');
    assert.match(alpha.body.error.message, /GB/);
    // US has no rule: the cheaper primary with its long code (never the GB number).
    const us = await sendAndWait(t);
    assert.equal(us.provider, 'primary');
    assert.equal(us.from, '+14155550101');
    assert.equal(backup.requests.length, 1);
    assert.equal(primary.requests.length, 1);
  });

  it('uses only numbers able to reach the destination (type and country)', async () => {
    const { t } = await setup({}, [
      { number: '55501', provider_id: 'primary', country: 'US' }, // a US short code: US recipients only
      { number: '+14155550201', provider_id: 'backup' }, // a US long code without the international capability
    ]);
    const us = await sendAndWait(t);
    assert.equal(us.from, '55501');
    const fr = await t.call('POST', '/v1/messages?wait=5', { to: '+33612345678', body: 'bonjour' });
    assert.equal(fr.body.status, 'failed');
    assert.equal(fr.body.error.code, 'no_route');
    assert.match(fr.body.error.message, /cannot send to FR/);
  });
});

describe('failover', () => {
  const failsOver = async (outage: TwilioFake['outage'], overrides: Partial<Record<keyof Config, unknown>> = {}) => {
    const s = await setup(overrides);
    s.primary.outage = outage;
    const m = await sendAndWait(s.t);
    assert.equal(m.status, 'sent');
    assert.equal(m.provider, 'backup');
    assert.equal(m.from, '+14155550201');
    assert.deepEqual(m.attempts.map((a: { provider: string; outcome: string; failover: boolean }) => [a.provider, a.outcome, a.failover]), [
      ['primary', outage?.kind === 'error' && outage.status === 429 ? 'throttled' : 'transient', true],
      ['backup', 'sent', false],
    ]);
    return { ...s, m };
  };

  it('moves a send to the backup at once when the primary answers 5xx', async () => {
    const { m } = await failsOver({ kind: 'error', status: 500, code: 20500 });
    assert.deepEqual([m.attempts[0].error.code, m.attempts[0].error.provider_code], ['provider_error', '20500']);
  });

  it('moves a send to the backup at once when the primary answers 429', async () => {
    await failsOver({ kind: 'error', status: 429, code: 20429, retryAfter: '30' });
  });

  it('moves a send to the backup when the primary hangs past the send timeout', async () => {
    // A timeout long enough that the backup's own send never runs into it on a loaded machine.
    const { m } = await failsOver({ kind: 'hang' }, { sendTimeoutMs: 1_500 });
    assert.equal(m.attempts[0].error.code, 'timeout');
    assert.ok(m.attempts[0].latency_ms >= 1_490);
  });

  it('opens the primary\'s circuit, alerts once, and sends straight to the backup', async () => {
    const receiver = await callbackReceiver();
    try {
      const { t, primary, backup } = await setup({ alertWebhookUrl: receiver.url, alertFailovers: 2, alertCheckMs: 50 });
      primary.outage = { kind: 'error', status: 503, code: 20503 };
      let first = '';
      for (let i = 0; i < 3; i++) { const m = await sendAndWait(t); first ||= m.id; assert.equal(m.provider, 'backup'); }
      // The routing explanation of a failover: the cheaper primary failed, the backup sent it.
      const failover = (await t.call('GET', `/v1/messages/${first}`)).body.routing;
      assert.deepEqual(failover.candidates.map((c: { provider: string; price_per_segment: string; circuit: string; result: string }) => [c.provider, c.price_per_segment, c.circuit, c.result.replace(/\+\d+/, 'N')]),
        [['primary', '0.0079', 'closed', 'failed: provider_error (provider)'], ['backup', '0.0100', 'closed', 'sent from N']]);
      const status = (await t.call('GET', '/v1/status')).body;
      const p = status.providers.find((x: { id: string }) => x.id === 'primary');
      assert.equal(p.circuit, 'open');
      assert.equal(p.window.failovers, 3);
      assert.equal(p.window.error_rate, 1);
      // With the circuit open the primary is not even tried.
      let last = '';
      for (let i = 0; i < 3; i++) { const m = await sendAndWait(t); last = m.id; assert.deepEqual(m.attempts.map((a: { provider: string }) => a.provider), ['backup']); }
      // The routing explanation says why: the cheapest provider's circuit was open.
      const routing = (await t.call('GET', `/v1/messages/${last}`)).body.routing;
      assert.deepEqual(routing.candidates.map((c: { provider: string; circuit: string; result: string }) => [c.provider, c.circuit, c.result.replace(/\+\d+/, 'N')]),
        [['backup', 'closed', 'sent from N'], ['primary', 'open', 'placed last: circuit open']]);
      assert.ok(routing.candidates.every((c: { score: number }) => typeof c.score === 'number'), 'each candidate scored');
      assert.equal(primary.requests.length, 3);
      assert.equal(backup.requests.length, 6);
      const alerts = await eventually(async () => receiver.received.length > 0 && receiver.received, 5_000, 'the failover alert');
      for (let i = 0; i < 3; i++) await t.app.alerts!.check(); // several more checks, run to the end: still one alert
      assert.equal(receiver.received.length, 1);
      const alert = JSON.parse(alerts[0].body);
      assert.equal(alert.type, 'alert.firing');
      assert.equal(alert.data.rule, 'failovers');
      assert.match(alert.data.detail, /3 failovers/);
      assert.ok(alerts[0].headers['webhook-signature'], 'alert is signed');
      const after = (await t.call('GET', '/v1/status')).body;
      assert.equal(after.alerts.find((a: { rule: string }) => a.rule === 'failovers').state, 'firing');
      const metrics = (await t.call('GET', '/metrics')).body as string;
      assert.match(metrics, /switchboard_failovers_total\{provider="primary"\} 3/);
      assert.match(metrics, /switchboard_provider_circuit_state\{provider="primary"\} 2/);
    } finally {
      await receiver.close();
    }
  });

  it('returns traffic to the primary after a successful half-open probe', async () => {
    // Open long enough that a loaded machine still reads `open` right after the failures.
    const { t, primary } = await setup({ circuitOpenMs: 1_500 });
    primary.outage = { kind: 'error', status: 500, code: 20500 };
    for (let i = 0; i < 3; i++) await sendAndWait(t);
    const circuit = async () => (await t.call('GET', '/v1/status')).body.providers.find((x: { id: string }) => x.id === 'primary').circuit;
    assert.equal(await circuit(), 'open');
    primary.outage = null;
    await eventually(async () => (await circuit()) === 'half_open', 6_000, 'the circuit to half-open');
    const probe = await sendAndWait(t);
    assert.equal(probe.provider, 'primary');
    assert.equal(await circuit(), 'closed');
    for (let i = 0; i < 3; i++) assert.equal((await sendAndWait(t)).provider, 'primary');
  });

  it('with every provider down, a message waits without using its attempts and is sent when one is back', async () => {
    const { t, primary, backup } = await setup({ maxFailovers: 1, maxAttempts: 2, backoffBaseMs: 50, backoffMaxMs: 50, circuitOpenMs: 300 });
    primary.outage = { kind: 'error', status: 500, code: 20500 };
    backup.outage = { kind: 'error', status: 503, code: 20503 };
    const r = await t.call('POST', '/v1/messages', { to: nextTo(), body: 'both down' });
    const get = async () => (await t.call('GET', `/v1/messages/${r.body.id}`)).body;
    // Far more sends than its two attempts allow, each trying primary then backup, and it still waits
    // (read between two tries: during one it is `sending`).
    const waiting = await eventually(async () => { const x = await get(); return x.attempts.length >= 6 && x.status !== 'sending' && x; }, 20_000, 'six sends during the outage');
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.error.code, 'route_unavailable');
    assert.ok(waiting.attempts.every((a: { attempt: number }) => a.attempt === 1), 'no attempt was used up');
    assert.deepEqual(waiting.attempts.slice(0, 2).map((a: { provider: string }) => a.provider), ['primary', 'backup']);
    backup.outage = null;
    const m = await eventually(async () => { const x = await get(); return x.status === 'delivered' && x; }, 20_000, 'delivery once the backup is back');
    assert.equal(m.provider, 'backup');
  });
});
