// STOP / START / HELP end to end: signed inbound webhooks from the Twilio fake change the
// opt-out list, intake enforces it, and each keyword is answered once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, settled, type TestApp } from '../helpers/app.ts';
import { startInboundRig, type InboundRig } from '../helpers/inbound.ts';
import type { TwilioFake } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_TEST_OPTOUT_TOKEN';
const BUSINESS = '+14155550199';
const CUSTOMER = '+14155550100';

describe('opt-out keywords', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let inboundUrl: string;

  let rig: InboundRig;

  before(async () => {
    rig = await startInboundRig(TOKEN_ENV, {}, [BUSINESS]);
    ({ t, fake, inboundUrl } = rig);
  });
  after(() => rig.stop());

  const repliesTo = (to: string) => fake.requests.filter((r) => r.form.get('To') === to && r.sid);
  const send = (body: Record<string, unknown> = {}) => t.call('POST', '/v1/messages', { to: CUSTOMER, body: 'Your driver is 5 minutes away', ...body });

  it('a STOP reply blocks later sends to that number, is confirmed once, and START lifts it', async () => {
    assert.equal((await send()).status, 202);
    const stop = await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: BUSINESS, Body: ' Stop ', MessageSid: `SM${'5'.repeat(32)}` });
    assert.equal(stop.status, 200);
    await eventually(async () => (await t.call('GET', '/v1/opt-outs')).body.data.some((o: { number: string }) => o.number === CUSTOMER), 5_000, 'the opt-out');
    const confirmation = await eventually(async () => repliesTo(CUSTOMER).find((r) => /unsubscribed/.test(r.form.get('Body') ?? '')), 5_000, 'the STOP confirmation');
    assert.equal(confirmation.form.get('From'), BUSINESS, 'answered from the number that was texted');
    const refused = await send();
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'recipient_opted_out');
    assert.equal(refused.body.error.field, 'to');
    // The provider retries the same webhook: nothing is sent twice.
    await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: BUSINESS, Body: ' Stop ', MessageSid: `SM${'5'.repeat(32)}` });
    await settled(t);
    assert.equal(repliesTo(CUSTOMER).filter((r) => /unsubscribed/.test(r.form.get('Body') ?? '')).length, 1);

    await fake.sendInbound(inboundUrl, { From: CUSTOMER, To: BUSINESS, Body: 'start' });
    await eventually(async () => (await t.call('GET', '/v1/opt-outs')).body.data.length === 0, 5_000, 'the opt-out to be lifted');
    await eventually(async () => repliesTo(CUSTOMER).some((r) => /resubscribed/.test(r.form.get('Body') ?? '')), 5_000, 'the START confirmation');
    assert.equal((await send()).status, 202);
  });

  it('HELP is answered with the help text and changes nothing', async () => {
    const other = '+14155550111';
    await fake.sendInbound(inboundUrl, { From: other, To: BUSINESS, Body: 'HELP' });
    const help = await eventually(async () => repliesTo(other)[0], 5_000, 'the HELP reply');
    assert.match(help.form.get('Body') ?? '', /Msg&data rates may apply/);
    assert.equal((await t.call('GET', `/v1/opt-outs?number=${encodeURIComponent(other)}`)).body.data.length, 0);
    assert.equal((await send({ to: other })).status, 202);
  });

  it('an ordinary text containing the word stop is not a keyword', async () => {
    const other = '+14155550112';
    await fake.sendInbound(inboundUrl, { From: other, To: BUSINESS, Body: 'please stop by at 5' });
    await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.some((m: { from: string }) => m.from === other), 5_000, 'the inbound message');
    assert.equal((await send({ to: other })).status, 202);
    assert.equal(repliesTo(other).filter((r) => r.form.get('Body') !== 'Your driver is 5 minutes away').length, 0);
  });

  it('/v1/opt-outs adds an opt-out for one business number and removes it', async () => {
    const other = '+14155550113';
    const added = await t.call('POST', '/v1/opt-outs', { number: other, sender: BUSINESS });
    assert.equal(added.status, 201);
    assert.deepEqual([added.body.number, added.body.sender, added.body.source], [other, BUSINESS, 'api']);
    const fromIt = await send({ to: other, from: BUSINESS });
    assert.equal(fromIt.body.error.code, 'recipient_opted_out');
    assert.equal((await t.call('DELETE', `/v1/opt-outs/${encodeURIComponent(other)}`)).body.removed, 1);
    assert.equal((await send({ to: other, from: BUSINESS })).status, 202);
    assert.equal((await t.call('DELETE', `/v1/opt-outs/${encodeURIComponent(other)}`)).status, 404);
  });
});
