// Failures classified by what they mean for routing, end to end through the providers'
// wire protocols: Sinch first, AWS second, Twilio third (equal prices, so priority
// decides). What a user relies on: a refusal of the route (Sinch's illegal_number_type,
// AWS's DESTINATION_COUNTRY_BLOCKED) moves the message to the next provider and leaves
// the circuit closed; a refusal of the account (Sinch's blocked_account) moves it too,
// opens that provider's circuit at once and alerts the operator in the provider's words;
// a refusal of the message (an unparseable number) is final at once. The README's AWS
// record (origination identity, no `from`) sends; AWS events only from its own topic.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { callbackReceiver, freePort } from '../helpers/net.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from '../../src/sandbox/sinch.ts';
import { AwsFake, FAKE_AWS_KEY_ID, FAKE_AWS_REGION, FAKE_AWS_SECRET, FAKE_TOPIC_ARN } from '../../src/sandbox/aws.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { snsVerifier } from '../../src/providers/aws/signature.ts';

const ENV = { SINCH_FC_TOKEN: FAKE_SINCH_TOKEN, SINCH_FC_CALLBACK: FAKE_SINCH_CALLBACK_PASSWORD, AWS_FC_KEY_ID: FAKE_AWS_KEY_ID, AWS_FC_SECRET: FAKE_AWS_SECRET, TWILIO_FC_TOKEN: FAKE_AUTH_TOKEN };
const PRICE = { US: '0.0050' };

describe('failures classified by what they mean for routing', () => {
  let t: TestApp;
  let sinch: SinchFake;
  let aws: AwsFake;
  let twilio: TwilioFake;
  let alerts: Awaited<ReturnType<typeof callbackReceiver>>;

  before(async () => {
    Object.assign(process.env, ENV);
    [sinch, aws, twilio] = [await new SinchFake().start(), await new AwsFake().start(), await new TwilioFake().start()];
    snsVerifier.trust(aws.certUrl, aws.publicKeyPem);
    snsVerifier.dispatcher = aws.dispatcher();
    alerts = await callbackReceiver();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, alertWebhookUrl: alerts.url });
    aws.subscriptionUrl = `${t.url}/webhooks/aws-main/status`;
    const providers = [
      { id: 'sinch-main', kind: 'sinch', priority: 1, prices: PRICE, config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'SINCH_FC_TOKEN', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'SINCH_FC_CALLBACK', base_url: sinch.url, from: '+14155550177' } },
      // The README's AWS record: its origination identity is its sender.
      { id: 'aws-main', kind: 'aws', priority: 2, prices: PRICE, config: { region: FAKE_AWS_REGION, origination_identity: '+14155550166', configuration_set_name: 'switchboard', message_type: 'TRANSACTIONAL', topic_arn: FAKE_TOPIC_ARN, access_key_id_env: 'AWS_FC_KEY_ID', secret_access_key_env: 'AWS_FC_SECRET', endpoint: aws.url } },
      { id: 'twilio-main', kind: 'twilio', priority: 3, prices: PRICE, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_FC_TOKEN', base_url: twilio.url, from: '+14155550188' } },
    ];
    for (const p of providers) {
      const r = await t.call('POST', '/v1/providers', p);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });
  after(async () => {
    await t.stop();
    await Promise.all([sinch.stop(), aws.stop(), twilio.stop(), alerts.close()]);
    snsVerifier.dispatcher = undefined;
    for (const k of Object.keys(ENV)) delete process.env[k];
  });

  // A new recipient each time: a recipient keeps the sender it last got (the sticky sender), which would reorder the routes.
  let recipient = 100;
  const send = async () => {
    const r = await t.call('POST', '/v1/messages?wait=10', { to: `+14155550${recipient++}`, body: 'classified' });
    assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.body));
    return (await t.call('GET', `/v1/messages/${r.body.id}`)).body;
  };
  const path = (m: { attempts: { provider: string; outcome: string; error: { code: string; class: string } | null }[] }) =>
    m.attempts.map((a) => [a.provider, a.outcome === 'sent' ? 'sent' : `${a.error!.code} (${a.error!.class})`]);
  const alerted = (rule: string, type: string) => eventually(async () => alerts.received.map((r) => JSON.parse(r.body)).find((a) => a.data.rule === rule && a.type === type), 10_000, `${type} ${rule}`);
  const circuit = (id: string) => t.ctx().health.view(id, Date.now()).state;

  it('the README\'s AWS record sends from its origination identity', async () => {
    sinch.behaviours.push({ kind: 'error', status: 403, code: 'illegal_number_type', text: 'Illegal number type for region' });
    const m = await send();
    assert.deepEqual(path(m), [['sinch-main', 'number_type_not_permitted (route)'], ['aws-main', 'sent']]);
    assert.equal(m.from, '+14155550166');
    assert.equal(aws.requests.at(-1)!.body.OriginationIdentity, '+14155550166');
  });

  it('a refusal of the route moves the message on and leaves the circuit closed', async () => {
    sinch.behaviours.push({ kind: 'error', status: 403, code: 'illegal_number_type' });
    aws.behaviours.push({ kind: 'error', status: 400, type: 'ValidationException', reason: 'DESTINATION_COUNTRY_BLOCKED', message: 'The destination country is blocked' });
    const m = await send();
    assert.deepEqual(path(m), [['sinch-main', 'number_type_not_permitted (route)'], ['aws-main', 'region_not_permitted (route)'], ['twilio-main', 'sent']]);
    assert.equal(m.attempts[1].error.provider_code, 'ValidationException:DESTINATION_COUNTRY_BLOCKED');
    assert.deepEqual([circuit('sinch-main'), circuit('aws-main')], ['closed', 'closed']);
  });

  it('a refusal of the message is final at once, whatever routes are left', async () => {
    sinch.behaviours.push({ kind: 'error', status: 403, code: 'illegal_number_type' });
    aws.behaviours.push({ kind: 'error', status: 400, type: 'ValidationException', reason: 'CANNOT_PARSE' });
    const before = twilio.requests.length;
    const m = await send();
    assert.equal(m.status, 'failed');
    assert.equal(m.error.code, 'invalid_number');
    assert.deepEqual(path(m), [['sinch-main', 'number_type_not_permitted (route)'], ['aws-main', 'invalid_number (message)']]);
    assert.equal(twilio.requests.length, before, 'Twilio was not asked');
  });

  it('a code no table knows is classified by its HTTP status and counted', async () => {
    sinch.behaviours.push({ kind: 'error', status: 403, code: 'brand_new_refusal' });
    const m = await send();
    assert.equal(m.attempts[0].error.code, 'auth_failed');
    const metrics = (await t.call('GET', '/metrics')).body as string;
    assert.match(metrics, /switchboard_provider_unmapped_errors_total\{provider="sinch-main",provider_code="brand_new_refusal"\} 1/);
    // auth_failed is about the account: the circuit opened, and the operator was told; once it closes, the alert resolves.
    assert.equal(circuit('sinch-main'), 'open');
    await alerted('provider_account:sinch-main', 'alert.firing');
    t.ctx().health.remoteClose('sinch-main');
    await alerted('provider_account:sinch-main', 'alert.resolved');
  });

  it('a refusal of the account moves the message on, opens the circuit at once and alerts in the provider\'s words', async () => {
    alerts.received.length = 0;
    sinch.behaviours.push({ kind: 'error', status: 403, code: 'blocked_account', text: 'Your account has been blocked' });
    const m = await send();
    assert.deepEqual(path(m), [['sinch-main', 'account_suspended (provider)'], ['aws-main', 'sent']]);
    assert.equal(circuit('sinch-main'), 'open', 'one refusal of the account is enough');
    const alert = await alerted('provider_account:sinch-main', 'alert.firing');
    assert.match(alert.data.detail, /account_suspended \(provider code blocked_account\): Your account has been blocked/);
    // Meanwhile nothing more goes to Sinch.
    const asked = sinch.requests.length;
    const next = await send();
    assert.deepEqual(path(next), [['aws-main', 'sent']]);
    assert.equal(sinch.requests.length, asked);
    // Operators see it on the event stream, with why.
    const opened = await eventually(async () => (await t.call('GET', '/v1/events?types=provider.circuit_opened&limit=200')).body.data.find((e: { subject: string }) => e.subject === 'sinch-main'), 10_000, 'the circuit event');
    assert.deepEqual([opened.account_id, opened.data.state, opened.data.reason], ['_system', 'open', 'the provider refused the account']);
  });

  it('takes AWS events from its own topic only, and refuses a record without one', async () => {
    const other = 'arn:aws:sns:us-east-1:999999999999:someone-elses';
    const token = 'a'.repeat(64);
    const offer = aws.envelope('SubscriptionConfirmation', `You have chosen to subscribe to the topic ${other}.`, { TopicArn: other, Token: token, SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(other)}&Token=${token}` });
    const r = await fetch(`${t.url}/webhooks/aws-main/status`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'SubscriptionConfirmation' }, body: JSON.stringify(offer) });
    assert.equal(r.status, 403, 'a subscription to another topic is refused');
    assert.deepEqual(aws.confirmations, [], 'and never confirmed');
    const refused = await t.call('POST', '/v1/providers', { id: 'aws-untied', kind: 'aws', config: { region: FAKE_AWS_REGION, from: '+14155550166' } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(JSON.stringify(refused.body), /config\.topic_arn is required/);
  });
});
