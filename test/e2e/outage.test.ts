// Delivery through provider outages, over real HTTP and SMPP on loopback: the only
// provider answers 503, closes its port, or its SMSC goes away, and every message waits
// (using none of its attempts) and is delivered once the provider is back; a message
// whose validity ends meanwhile expires with its callback; a provider that accepts but
// stops delivering loses its traffic to the next one.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { callbackReceiver, freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { SmscFake, FAKE_SMPP_PASSWORD, FAKE_SMPP_SYSTEM_ID } from '../../src/sandbox/smsc.ts';
import type { Config } from '../../src/config.ts';
import { twilioSignature } from '../../src/providers/twilio/signature.ts';

const TOKEN_ENV = 'TWILIO_TEST_OUTAGE_TOKEN';
const PASSWORD_ENV = 'SMPP_TEST_OUTAGE_PASSWORD';
process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
process.env[PASSWORD_ENV] = FAKE_SMPP_PASSWORD;

const cleanup: (() => Promise<void>)[] = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

/** Fast clocks for a test: short backoffs and cool-downs, three attempts at most (the old budget an outage used up). */
// The send timeout stays long: a timeout is at least once (the provider may have taken it),
// and on a loaded machine a short one would resend what the fake accepted.
const FAST: Partial<Record<keyof Config, unknown>> = {
  maxAttempts: 3, backoffBaseMs: 50, backoffMaxMs: 200, outageRetryMaxMs: 400, healthMinSamples: 5, circuitOpenMs: 400, sendTimeoutMs: 10_000,
};

async function app(overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<TestApp> {
  const port = await freePort();
  const t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, callbackAllowlist: ['127.0.0.1'], ...FAST, ...overrides });
  cleanup.push(() => t.stop());
  return t;
}

async function twilio(t: TestApp, id: string, price: string, priority = 1): Promise<TwilioFake> {
  const fake = await new TwilioFake().start();
  cleanup.push(() => fake.stop());
  const r = await t.call('POST', '/v1/providers', {
    id, kind: 'twilio', priority, prices: { US: price },
    config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const n = await t.call('POST', '/v1/numbers', { number: `+1415555${String(priority).padStart(4, '0')}`, provider_id: id, rate_per_second: 1000 });
  assert.equal(n.status, 201, JSON.stringify(n.body));
  return fake;
}

/** How many of the caller's messages have `status`, paging through the list. */
async function count(t: TestApp, status: string): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page: { data: unknown[]; next_cursor: string | null } = (await t.call('GET', `/v1/messages?status=${status}&limit=200${cursor ? `&cursor=${cursor}` : ''}`)).body;
    n += page.data.length;
    cursor = page.next_cursor;
  } while (cursor);
  return n;
}

async function sendMany(t: TestApp, n: number, body = 'outage test'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await t.call('POST', '/v1/messages', { to: `+1415556${String(i).padStart(4, '0')}`, body: `${body} ${i}` });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(r.body.id);
  }
  return ids;
}

const get = async (t: TestApp, id: string) => (await t.call('GET', `/v1/messages/${id}`)).body;

describe('delivery through provider outages', () => {
  it('the only provider answering 503 past the old retry budget: every message waits and is delivered after recovery', async () => {
    const t = await app();
    const fake = await twilio(t, 'only', '0.0079');
    fake.outage = { kind: 'error', status: 503, code: 20503, message: 'Service unavailable' };
    const ids = await sendMany(t, 100);
    // The outage outlasts three attempts' worth of retries many times over (each takes
    // well under a second here); once the circuit opens, only its half-open probes reach
    // the provider, and the rest wait.
    const refusedMost = () => {
      const per = new Map<string, number>();
      for (const q of fake.requests) if (q.sid === null) per.set(q.form.get('Body')!, (per.get(q.form.get('Body')!) ?? 0) + 1);
      return Math.max(0, ...per.values());
    };
    await eventually(async () => refusedMost() > 3, 60_000, 'a message refused more often than its three attempts allow');
    const tried = (await Promise.all(ids.map((id) => get(t, id)))).filter((m) => m.attempts.length > 0);
    for (const m of tried) {
      assert.ok(['queued', 'sending'].includes(m.status), m.status); // waiting, or claimed for its next look
      assert.equal(m.error.code, 'route_unavailable');
      assert.ok(m.attempts.every((a: { attempt: number; error: { code: string } }) => a.attempt === 1 && a.error.code === 'provider_error'), 'attempts are not used up by an outage');
    }
    assert.equal(await count(t, 'failed'), 0);
    const status = (await t.call('GET', '/v1/status')).body;
    assert.equal(status.providers[0].demoted, 'errors');
    fake.outage = null;
    await eventually(async () => (await count(t, 'delivered')) === 100, 60_000, 'all 100 delivered after recovery');
    assert.equal(await count(t, 'failed'), 0);
    const sent = fake.requests.filter((q) => q.sid !== null).map((q) => q.form.get('Body'));
    assert.equal(new Set(sent).size, 100, 'each message reached the provider once');
    assert.equal(sent.length, 100, 'none twice');
  });

  it('the only provider with its port closed (ECONNREFUSED): messages wait and go out when it listens again', async () => {
    const t = await app();
    const fake = await twilio(t, 'only', '0.0079');
    const port = Number(new URL(fake.url).port);
    await fake.stop();
    const ids = await sendMany(t, 3, 'refused');
    await eventually(async () => { const m = await get(t, ids[2]); return m.attempts.length >= 4 && m; }, 30_000, 'four sends of the last message');
    const m = await get(t, ids[0]);
    // Waiting: queued between tries (or sending, caught mid-try), never failed.
    assert.ok(m.status === 'queued' || m.status === 'sending', m.status);
    assert.equal(m.attempts[0].error.code, 'network_error');
    await fake.start(port);
    for (const id of ids) await eventually(async () => (await get(t, id)).status === 'delivered', 30_000, `${id} delivered`);
  });

  it('a message whose validity period ends during the outage expires, with its callback', async () => {
    const receiver = await callbackReceiver();
    cleanup.push(() => receiver.close());
    const t = await app();
    const fake = await twilio(t, 'only', '0.0079');
    fake.outage = { kind: 'error', status: 503, code: 20503 };
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'short-lived', validity_period: 2, callback_url: receiver.url });
    const m = await eventually(async () => { const x = await get(t, r.body.id); return x.status === 'expired' && x; }, 20_000, 'the message to expire');
    assert.equal(m.error.code, 'validity_period_expired');
    assert.ok(m.attempts.length >= 1);
    const cb = await eventually(async () => receiver.received.find((x) => JSON.parse(x.body).data.status === 'expired'), 10_000, 'the expired callback');
    assert.equal(JSON.parse(cb.body).data.id, r.body.id);
  });

  it('a provider that accepts but reports 80 % undelivered loses its traffic to the next provider', async () => {
    const t = await app({ healthMinDeliverySamples: 20 });
    const cheap = await twilio(t, 'cheap', '0.0050', 1);
    const backup = await twilio(t, 'backup', '0.0090', 2);
    const undelivered = { statuses: ['sent', 'undelivered'], delayMs: 5, errorCode: '30003' };
    // Four recipients in five are never reached on the cheap route.
    for (let i = 0; i < 40; i++) if (i % 5 !== 0) cheap.plans.set(`+1415556${String(i).padStart(4, '0')}`, undelivered);
    const first = await sendMany(t, 40, 'black hole');
    await eventually(async () => (await count(t, 'undelivered')) + (await count(t, 'delivered')) >= 40, 30_000, 'the receipts of the first 40');
    // The cheaper provider carried the first ones, until its receipts judged it (20 here).
    assert.ok(cheap.requests.length >= 20, `cheap carried ${cheap.requests.length}`);
    const status = (await t.call('GET', '/v1/status')).body;
    const p = status.providers.find((x: { id: string }) => x.id === 'cheap');
    assert.equal(p.demoted, 'delivery');
    assert.ok(p.delivery_rate < 0.5, String(p.delivery_rate));
    const later = await sendMany(t, 10, 'after demotion');
    for (const id of later) assert.equal((await eventually(async () => { const m = await get(t, id); return m.status === 'delivered' && m; }, 20_000, `${id} delivered`)).provider, 'backup');
    assert.equal(first.length, 40);
  });

  it('a provider that accepts and goes silent (most receipts past the SLA) loses its traffic, and the operator is alerted', async () => {
    const alerts = await callbackReceiver();
    cleanup.push(() => alerts.close());
    const t = await app({ receiptSlaMs: 1_000, healthWindowMs: 30_000, alertWebhookUrl: alerts.url, alertCheckMs: 200 });
    const quiet = await twilio(t, 'quiet', '0.0050', 1);
    await twilio(t, 'backup', '0.0090', 2);
    quiet.plan = { statuses: [], delayMs: 5 }; // takes every message, and never says what became of it
    await sendMany(t, 10, 'into the silence');
    await eventually(async () => quiet.requests.filter((q) => q.sid).length >= 10, 10_000, 'quiet to take the first ten');
    const status = await eventually(async () => {
      const p = (await t.call('GET', '/v1/status')).body.providers.find((x: { id: string }) => x.id === 'quiet');
      return p?.demoted === 'latency' && p;
    }, 20_000, 'quiet demoted for latency');
    assert.equal(status.circuit, 'closed', 'its circuit is closed: it answers, it just says nothing after');
    const later = await sendMany(t, 5, 'after demotion');
    for (const id of later) assert.equal((await eventually(async () => { const m = await get(t, id); return m.status === 'delivered' && m; }, 20_000, `${id} delivered`)).provider, 'backup');
    const alert = await eventually(async () => alerts.received.map((r) => JSON.parse(r.body)).find((a) => a.data.rule === 'provider_demoted:quiet'), 10_000, 'the alert');
    assert.equal(alert.type, 'alert.firing');
    assert.match(alert.data.detail, /no receipt after 1 s/);
  });

  it('failover_after_seconds: no receipt in time, so it is sent once more through the next provider; one final callback; the first provider\'s late receipt is recorded on its part', async () => {
    const receiver = await callbackReceiver();
    cleanup.push(() => receiver.close());
    const t = await app();
    const quiet = await twilio(t, 'slow', '0.0050', 1);
    await twilio(t, 'next', '0.0090', 2);
    quiet.plan = { statuses: [], delayMs: 5 }; // accepts, and its receipt will come too late
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'where is my receipt?', failover_after_seconds: 1, callback_url: receiver.url });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.failover_after_seconds, 1);
    const m = await eventually(async () => { const x = await get(t, r.body.id); return x.status === 'delivered' && x; }, 20_000, 'delivered through the next provider').catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await get(t, r.body.id))}`); });
    assert.equal(m.provider, 'next');
    assert.equal(m.resent_after_no_receipt_from, 'slow');
    assert.deepEqual(m.attempts.map((a: { provider: string }) => a.provider), ['slow', 'next'], 'both sends shown');
    assert.ok(m.events.some((e: { detail: string | null }) => e.detail === 'sent once more through next: no receipt from slow within 1 s'), JSON.stringify(m.events));
    assert.equal(quiet.requests.filter((q) => q.sid).length, 1, 'the silent provider was not asked again');

    // The first provider's receipt comes after all: recorded on its (superseded) part, the message final once.
    const sid = quiet.requests.find((q) => q.sid)!.sid!;
    const url = `${t.url}/webhooks/slow/status`;
    const params = { MessageSid: sid, MessageStatus: 'delivered', SmsStatus: 'delivered', AccountSid: FAKE_ACCOUNT_SID, To: '+14155550100', From: '+14155550001', ApiVersion: '2010-04-01' };
    const late = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(FAKE_AUTH_TOKEN, url, params) }, body: new URLSearchParams(params).toString() });
    assert.equal(late.status, 200);
    const after = await eventually(async () => {
      const x = await get(t, r.body.id);
      return x.parts.some((p: { provider: string; status: string }) => p.provider === 'slow' && p.status === 'delivered') && x;
    }, 10_000, 'the late receipt on the first provider\'s part');
    assert.equal(after.status, 'delivered');
    assert.ok(after.events.some((e: { detail: string | null }) => /superseded by a failover on no receipt/.test(e.detail ?? '')));
    const finals = receiver.received.map((x) => JSON.parse(x.body)).filter((c) => c.data.id === r.body.id && c.data.status === 'delivered');
    assert.equal(finals.length, 1, 'one final callback');
    assert.match(await t.app.ctx.metrics.registry.metrics(), /switchboard_receipt_failovers_total\{provider="slow"\} 1/);
  });
});

describe('delivery through an SMSC outage', () => {
  it('an SMSC down for 60 s with 300 messages queued: the bind is back within 5 s of it and all 300 are delivered once', async () => {
    const smsc = await new SmscFake().start();
    cleanup.push(() => smsc.stop());
    const t = await app();
    const r = await t.call('POST', '/v1/providers', {
      id: 'carrier', kind: 'smpp', prices: { US: '0.0030' },
      config: { host: '127.0.0.1', port: smsc.port, system_id: FAKE_SMPP_SYSTEM_ID, password_env: PASSWORD_ENV, from: '+14155550199', enquire_link_seconds: 1 },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await eventually(async () => smsc.bound.length > 0, 10_000, 'the bind');
    await smsc.stop();
    await sendMany(t, 300, 'smsc down');
    await new Promise((r) => setTimeout(r, 60_000)); // the outage itself: 60 s with the SMSC away
    assert.equal(await count(t, 'failed'), 0, 'nothing failed while the SMSC was away');
    assert.equal(smsc.submitted.length, 0);
    const back = Date.now();
    await smsc.start(smsc.port);
    await eventually(async () => smsc.bound.length > 0, 10_000, 'the rebind');
    const rebindMs = Date.now() - back;
    assert.ok(rebindMs < 5_000, `rebound ${rebindMs} ms after the SMSC returned`);
    await eventually(async () => (await count(t, 'delivered')) === 300, 60_000, 'all 300 delivered');
    const texts = smsc.submitted.map((s) => s.text);
    assert.equal(new Set(texts).size, 300);
    assert.equal(texts.length, 300, 'none twice');
  });
});
