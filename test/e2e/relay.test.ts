// Relay chains end to end, driven by signed inbound webhooks from the Twilio fake: a text to
// the business number reaches the owner's phone, or the backup phone when the first send
// fails; every attempt is audited; forwarding loops are stopped.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, settled, type TestApp } from '../helpers/app.ts';
import { startInboundRig, type InboundRig } from '../helpers/inbound.ts';
import type { TwilioFake } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_TEST_RELAY_TOKEN';
const DISPATCH = '+14155550199';
const SECOND_LINE = '+14155550198';
const OWNER = '+18585550100';
const BACKUP = '+18585550101';
const CUSTOMER = '+14155550100';

type Relay = { id: string; provider_message_id: string | null; status: string; reason: string | null; source: string; hops: number; attempts: { destination: string; outcome: string; message_id: string | null; detail: string | null }[] };

describe('relay chains', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let inboundUrl: string;

  let rig: InboundRig;

  before(async () => {
    rig = await startInboundRig(TOKEN_ENV, { relayReceiptTimeoutMs: 1_500, relayRatePerMinute: 1, relayBurst: 5 }, [DISPATCH, SECOND_LINE]);
    ({ t, fake, inboundUrl } = rig);
  });
  after(() => rig.stop());
  const setRule = async (rule: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/relay-rules', rule);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const relaysOf = async (number: string): Promise<Relay[]> => (await t.call('GET', `/v1/relays?number=${encodeURIComponent(number)}`)).body.data;
  const sentTo = (to: string) => fake.requests.filter((r) => r.form.get('To') === to && r.sid);

  it('forwards to the first destination with the sender shown, from the business number', async () => {
    const rule = await setRule({ number: DISPATCH, destinations: [OWNER, BACKUP] });
    assert.equal(rule.template, 'From {from}: {body}');
    assert.equal(rule.active, true);
    const before = sentTo(OWNER).length;
    await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: DISPATCH, Body: 'Can you pick up at 5th and Main?' });
    const relay = await eventually(async () => (await relaysOf(DISPATCH)).find((r) => r.status === 'delivered'), 5_000, 'the relay delivered');
    const sent = sentTo(OWNER).slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].form.get('Body'), `From ${CUSTOMER}: Can you pick up at 5th and Main?`);
    assert.equal(sent[0].form.get('From'), DISPATCH);
    assert.deepEqual(relay.attempts.map((a) => [a.destination, a.outcome]), [[OWNER, 'delivered']]);
    assert.equal(sentTo(BACKUP).length, 0);
  });

  it('when the first destination reports undelivered, the backup gets it, and the audit shows both attempts', async () => {
    fake.plans.set(OWNER, { statuses: ['sent', 'undelivered'], delayMs: 5, errorCode: '30003' });
    try {
      const sid = `SM${'7'.repeat(32)}`;
      await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: DISPATCH, Body: 'Are you open today?', MessageSid: sid });
      const relay = await eventually(async () => (await relaysOf(DISPATCH)).find((r) => r.status === 'delivered' && r.attempts.length === 2), 5_000, 'the relay delivered to the backup');
      assert.deepEqual(relay.attempts.map((a) => [a.destination, a.outcome]), [[OWNER, 'undelivered'], [BACKUP, 'delivered']]);
      assert.match(relay.attempts[0].detail ?? '', /30003/);
      // Each hop is on the event stream, in the chain's order.
      const hops = (await t.call('GET', '/v1/events?types=relay.hop&limit=200')).body.data.filter((e: { subject: string }) => e.subject === relay.id);
      assert.deepEqual(hops.map((e: { data: { position: number; destination: string } }) => [e.data.position, e.data.destination]), [[0, OWNER], [1, BACKUP]]);
      const backup = sentTo(BACKUP).at(-1)!;
      assert.equal(backup.form.get('Body'), `From ${CUSTOMER}: Are you open today?`);
      const viaApi = await t.call('GET', `/v1/relays/${relay.id}`);
      assert.equal(viaApi.body.attempts[1].message_id, relay.attempts[1].message_id);
      // Twilio retries the webhook: the same provider message is not relayed again.
      const sends = fake.requests.length;
      await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: DISPATCH, Body: 'Are you open today?', MessageSid: sid });
      await settled(t);
      assert.equal(fake.requests.length, sends);
      assert.deepEqual((await relaysOf(DISPATCH)).filter((r) => r.provider_message_id === sid).map((r) => r.id), [relay.id]);
    } finally {
      fake.plans.delete(OWNER);
    }
  });

  it('with no final receipt in time the next destination is tried; when all fail the relay says so', async () => {
    fake.plans.set(OWNER, { statuses: ['sent'], delayMs: 5 });
    fake.plans.set(BACKUP, { statuses: ['sent', 'failed'], delayMs: 5, errorCode: '30006' });
    try {
      await fake.sendInbound(inboundUrl, { From: '+14155550120', To: DISPATCH, Body: 'anyone there?' });
      const relay = await eventually(async () => (await relaysOf(DISPATCH)).find((r) => r.source === '+14155550120' && r.status === 'failed'), 8_000, 'the relay to fail');
      assert.deepEqual(relay.attempts.map((a) => [a.destination, a.outcome]), [[OWNER, 'timeout'], [BACKUP, 'failed']]);
      assert.match(relay.attempts[0].detail ?? '', /no final receipt/);
    } finally {
      fake.plans.clear();
    }
  });

  it('a two-number forwarding loop between auto-forwarding phones is stopped', async () => {
    // DISPATCH relays to phone OWNER, which auto-forwards everything to SECOND_LINE;
    // SECOND_LINE relays to phone BACKUP, which auto-forwards back to DISPATCH.
    await setRule({ number: DISPATCH, destinations: [OWNER] });
    await setRule({ number: SECOND_LINE, destinations: [BACKUP] });
    const forwards = { [OWNER]: SECOND_LINE, [BACKUP]: DISPATCH } as Record<string, string>;
    fake.onMessage = (m) => {
      if (forwards[m.to]) void fake.sendInbound(inboundUrl, { From: m.to, To: forwards[m.to], Body: `Fwd: ${m.body}` });
    };
    try {
      const before = fake.requests.length;
      await fake.sendInbound(inboundUrl, { From: '+14155550130', To: DISPATCH, Body: 'loop?' });
      const blocked = await eventually(async () => {
        const all = [...(await relaysOf(DISPATCH)), ...(await relaysOf(SECOND_LINE))];
        return all.find((r) => r.status === 'blocked');
      }, 8_000, 'the loop to be blocked');
      assert.match(blocked.reason ?? '', /^hop_limit/);
      assert.equal(blocked.hops, 3);
      await settled(t);
      // Three relays went out (hops 0, 1, 2); the fourth arrival was blocked and nothing more was sent.
      assert.equal(fake.requests.length - before, 3);
    } finally {
      fake.onMessage = null;
    }
  });

  it('never relays back to the sender or to our own numbers, and refuses such a rule', async () => {
    const own = await t.call('POST', '/v1/relay-rules', { number: DISPATCH, destinations: [SECOND_LINE] });
    assert.equal(own.status, 422);
    assert.equal(own.body.error.code, 'invalid_relay_destination');
    await setRule({ number: DISPATCH, destinations: [OWNER, BACKUP] });
    await fake.sendInbound(inboundUrl, { From: OWNER, To: DISPATCH, Body: 'note to self' });
    const relay = await eventually(async () => (await relaysOf(DISPATCH)).find((r) => r.source === OWNER && r.status === 'delivered'), 5_000, 'the relay');
    assert.deepEqual(relay.attempts.map((a) => [a.destination, a.outcome]), [[OWNER, 'skipped'], [BACKUP, 'delivered']]);
  });

  it('a sender over the per-sender relay rate is blocked', async () => {
    // 1 a minute with a burst of 5 (no other test's sender comes near it): the sixth text on is blocked.
    const noisy = '+14155550140';
    for (let i = 0; i < 8; i++) await fake.sendInbound(inboundUrl, { From: noisy, To: DISPATCH, Body: `msg ${i}` });
    const relays = await eventually(async () => {
      const rs = (await relaysOf(DISPATCH)).filter((r) => r.source === noisy);
      return rs.length === 8 && rs;
    }, 8_000, 'all 8 relays recorded');
    const blocked = relays.filter((r) => r.status === 'blocked');
    assert.equal(blocked.length, 3);
    for (const b of blocked) assert.match(b.reason ?? '', /^rate_limited/);
    assert.equal(relays.filter((r) => r.attempts.length > 0).length, 5);
  });

  it('a deactivated rule relays nothing and is kept', async () => {
    const del = await t.call('DELETE', `/v1/relay-rules/${encodeURIComponent(SECOND_LINE)}`);
    assert.equal(del.body.active, false);
    const before = (await relaysOf(SECOND_LINE)).length;
    await fake.sendInbound(inboundUrl, { From: '+14155550150', To: SECOND_LINE, Body: 'hello?' });
    await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.some((m: { from: string }) => m.from === '+14155550150'), 5_000, 'the inbound');
    await settled(t);
    assert.equal((await relaysOf(SECOND_LINE)).length, before);
    assert.equal((await t.call('GET', `/v1/relay-rules/${encodeURIComponent(SECOND_LINE)}`)).body.active, false);
  });
});
