// Number masking end to end, driven by signed inbound webhooks from the Twilio fake: two
// participants text each other through proxies without seeing each other's number.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, settled, type TestApp } from '../helpers/app.ts';
import { startInboundRig, type InboundRig } from '../helpers/inbound.ts';
import type { TwilioFake } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_TEST_MASK_TOKEN';
const PROXIES = ['+14155550181', '+14155550182'];
const RIDER = '+14155550100';
const DRIVER = '+14155550111';

type Mask = { id: string; status: string; expires_at: string; message_count: number; participants: { number: string; proxy: string; messages_sent: number }[] };

describe('number masking', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let inboundUrl: string;

  let rig: InboundRig;

  before(async () => {
    rig = await startInboundRig(TOKEN_ENV, {}, ['+14155550199', ...PROXIES.map((number) => ({ number, pool: 'masking' }))]);
    ({ t, fake, inboundUrl } = rig);
  });
  after(() => rig.stop());

  const sentTo = (to: string) => fake.requests.filter((r) => r.form.get('To') === to && r.sid);
  const proxyOf = (m: Mask, number: string) => m.participants.find((p) => p.number === number)!.proxy;

  it('a masked conversation flows both ways through the proxies, is counted, and stops after expiry', async () => {
    const created = await t.call('POST', '/v1/masks', { participants: [RIDER, DRIVER], context_id: 'order_123', ttl: 5 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const mask: Mask = created.body;
    assert.equal(mask.status, 'active');
    for (const p of mask.participants) assert.ok(PROXIES.includes(p.proxy));

    await fake.sendInbound(inboundUrl, { From: RIDER, To: proxyOf(mask, RIDER), Body: 'I am at the north entrance' });
    const toDriver = await eventually(async () => sentTo(DRIVER)[0], 5_000, 'the rider\'s text at the driver');
    assert.equal(toDriver.form.get('Body'), 'I am at the north entrance');
    assert.equal(toDriver.form.get('From'), proxyOf(mask, DRIVER), 'from the driver\'s proxy, never the rider\'s number');

    await fake.sendInbound(inboundUrl, { From: DRIVER, To: proxyOf(mask, DRIVER), Body: 'On my way, 2 minutes' });
    const toRider = await eventually(async () => sentTo(RIDER)[0], 5_000, 'the driver\'s reply at the rider');
    assert.equal(toRider.form.get('Body'), 'On my way, 2 minutes');
    assert.equal(toRider.form.get('From'), proxyOf(mask, RIDER));

    const shown: Mask = (await t.call('GET', `/v1/masks/${mask.id}`)).body;
    assert.equal(shown.message_count, 2);
    assert.deepEqual(shown.participants.map((p) => p.messages_sent), [1, 1]);
    assert.equal((await t.call('GET', '/v1/masks?context_id=order_123')).body.data[0].id, mask.id);

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(mask.expires_at) - Date.now() + 100)));
    assert.equal((await t.call('GET', `/v1/masks/${mask.id}`)).body.status, 'expired');
    await fake.sendInbound(inboundUrl, { From: RIDER, To: proxyOf(mask, RIDER), Body: 'hello again?' });
    await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.some((m: { body: string }) => m.body === 'hello again?'), 5_000, 'the late text received');
    await settled(t);
    assert.equal(sentTo(DRIVER).length, 1, 'nothing forwarded after expiry');
  });

  it('a stranger texting a proxy gets nothing forwarded', async () => {
    const mask: Mask = (await t.call('POST', '/v1/masks', { participants: ['+14155550120', '+14155550121'], ttl: 600 })).body;
    const before = fake.requests.length;
    await fake.sendInbound(inboundUrl, { From: '+14155550666', To: mask.participants[0].proxy, Body: 'who is this?' });
    await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.some((m: { body: string }) => m.body === 'who is this?'), 5_000, 'the stranger\'s text received');
    await settled(t);
    assert.equal(fake.requests.length, before);
    assert.equal((await t.call('GET', `/v1/masks/${mask.id}`)).body.message_count, 0);
  });

  it('never gives a participant the same proxy twice at once; DELETE frees it', async () => {
    const a = '+14155550130';
    const first: Mask = (await t.call('POST', '/v1/masks', { participants: [a, '+14155550131'] })).body;
    const second: Mask = (await t.call('POST', '/v1/masks', { participants: [a, '+14155550132'] })).body;
    assert.notEqual(proxyOf(first, a), proxyOf(second, a));
    const third = await t.call('POST', '/v1/masks', { participants: [a, '+14155550133'] });
    assert.equal(third.status, 409);
    assert.equal(third.body.error.code, 'no_proxy_available');
    const ended = await t.call('DELETE', `/v1/masks/${first.id}`);
    assert.equal(ended.body.status, 'deleted');
    const again = await t.call('POST', '/v1/masks', { participants: [a, '+14155550133'] });
    assert.equal(again.status, 201);
    assert.equal(proxyOf(again.body, a), proxyOf(first, a));
    // The ended session no longer forwards.
    const before = fake.requests.length;
    await fake.sendInbound(inboundUrl, { From: '+14155550131', To: proxyOf(first, '+14155550131'), Body: 'still there?' });
    await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.some((m: { body: string }) => m.body === 'still there?'), 5_000, 'the text received');
    await settled(t);
    assert.equal(fake.requests.length, before);
  });

  it('refuses a session with one participant twice or a bad number', async () => {
    const same = await t.call('POST', '/v1/masks', { participants: [RIDER, RIDER] });
    assert.equal(same.body.error.code, 'validation_error');
    const bad = await t.call('POST', '/v1/masks', { participants: [RIDER, '12'] });
    assert.equal(bad.body.error.code, 'invalid_phone_number');
  });
});
