// AWS End User Messaging SMS end to end: SendTextMessage through the official SDK to the
// loopback endpoint, delivery events through a confirmed SNS subscription whose every
// message is signature-checked; forged SNS messages (bad signature, a certificate off
// AWS's hosts, another topic) are refused and nothing is stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { AwsFake, FAKE_AWS_KEY_ID, FAKE_AWS_REGION, FAKE_AWS_SECRET, FAKE_TOPIC_ARN } from '../../src/sandbox/aws.ts';
import { snsVerifier } from '../../src/providers/aws/signature.ts';
import { awsInbound, awsReceipts } from '../../src/providers/aws/receipts.ts';
import { AWS_EVENTS, AWS_EXCEPTIONS } from '../../src/providers/aws/errors.ts';
import { MESSAGE_ERRORS, isMessageErrorCode } from '../../src/domain/message-errors.ts';

const ENV = { AWS_E2E_KEY_ID: FAKE_AWS_KEY_ID, AWS_E2E_SECRET: FAKE_AWS_SECRET };

describe('AWS End User Messaging end to end', () => {
  let fake: AwsFake;
  let t: TestApp;
  let statusUrl = '';

  before(async () => {
    Object.assign(process.env, ENV);
    fake = await new AwsFake().start();
    snsVerifier.trust(fake.certUrl, fake.publicKeyPem);
    snsVerifier.dispatcher = fake.dispatcher();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}` });
    statusUrl = `${t.url}/webhooks/aws-main/status`;
    fake.subscriptionUrl = statusUrl;
    const p = await t.call('POST', '/v1/providers', {
      id: 'aws-main', kind: 'aws', prices: { US: '0.00581' },
      config: { region: FAKE_AWS_REGION, endpoint: fake.url, access_key_id_env: 'AWS_E2E_KEY_ID', secret_access_key_env: 'AWS_E2E_SECRET', topic_arn: FAKE_TOPIC_ARN, configuration_set_name: 'switchboard', from: '+14155550166' },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
  });
  after(async () => { await t.stop(); await fake.stop(); snsVerifier.dispatcher = undefined; for (const k of Object.keys(ENV)) delete process.env[k]; });

  it('confirms the SNS subscription SNS offers', async () => {
    assert.equal((await fake.subscribe(statusUrl)).status, 200);
    const [url] = await eventually(async () => fake.confirmations.length > 0 && fake.confirmations, 10_000, 'the confirmation');
    assert.match(url, /Action=ConfirmSubscription&TopicArn=.*&Token=[0-9a-f]{64}$/);
  });

  it('sends through the SDK (SigV4) and is delivered through signed SNS events', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'Your code is 654321', validity_period: 600 });
    const m = await eventually(async () => { const x = (await t.call('GET', `/v1/messages/${r.body.id}`)).body; return x.status === 'delivered' && x; }, 10_000, 'delivered');
    const sent = fake.requests.find((q) => q.messageId === m.provider_message_id)!;
    assert.equal(sent.target, 'PinpointSMSVoiceV2.SendTextMessage');
    assert.deepEqual(
      [sent.body.DestinationPhoneNumber, sent.body.OriginationIdentity, sent.body.MessageType, sent.body.ConfigurationSetName, sent.body.TimeToLive, (sent.body.Context as Record<string, string>).switchboard_message_id],
      ['+14155550100', '+14155550166', 'TRANSACTIONAL', 'switchboard', 600, r.body.id],
    );
    assert.deepEqual(m.events.map((e: { provider_status: string }) => e.provider_status), ['TEXT_SENT', 'TEXT_DELIVERED']);
  });

  it('maps a refusal onto the catalog, keeping the exception and reason', async () => {
    fake.behaviours.push({ kind: 'error', status: 400, type: 'ConflictException', reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' });
    const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550101', body: 'hi' });
    assert.equal(r.body.status, 'failed');
    assert.deepEqual([r.body.error.code, r.body.error.provider_code], ['recipient_opted_out', 'ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT']);
  });

  it('refuses a forged SNS message, a certificate off AWS\'s hosts, and another topic, storing nothing', async () => {
    const before = (await t.app.ctx.store.listWebhooks({ providerId: 'aws-main' })).length;
    const genuine = fake.event('00000000-0000-0000-0000-000000000001', 'TEXT_DELIVERED');
    const post = (body: string) => fetch(statusUrl, { method: 'POST', headers: genuine.headers, body });
    const env = JSON.parse(genuine.body);
    assert.equal((await post(JSON.stringify({ ...env, Message: env.Message.replace('TEXT_DELIVERED', 'TEXT_BLOCKED') }))).status, 403, 'changed after signing');
    assert.equal((await post(JSON.stringify({ ...env, SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem' }))).status, 403, 'foreign certificate host');
    assert.equal((await post(JSON.stringify({ ...env, SigningCertURL: env.SigningCertURL.replace('https:', 'http:') }))).status, 403, 'certificate over plain http');
    const otherTopic = fake.envelope('Notification', env.Message, { TopicArn: 'arn:aws:sns:us-east-1:999999999999:not-ours' });
    assert.equal((await post(JSON.stringify(otherTopic))).status, 403, 'a genuine message from another topic');
    assert.equal((await t.app.ctx.store.listWebhooks({ providerId: 'aws-main' })).length, before);
    assert.equal((await post(genuine.body)).status, 200);
  });

  it('maps every event type and exception onto the catalog; reads inbound texts', () => {
    for (const [type, [, code]] of Object.entries(AWS_EVENTS)) if (code) assert.ok(isMessageErrorCode(code), type);
    for (const [name, [kind, code]] of Object.entries(AWS_EXCEPTIONS)) assert.equal(kind, MESSAGE_ERRORS[code].kind, name);
    const inbound = JSON.stringify(fake.envelope('Notification', JSON.stringify({ originationNumber: '+14155550111', destinationNumber: '+14155550166', messageKeyword: 'HELP', messageBody: 'HELP', inboundMessageId: 'in-1' })));
    assert.deepEqual(awsInbound(inbound), [{ providerMessageId: 'in-1', from: '+14155550111', to: '+14155550166', body: 'HELP' }]);
    assert.deepEqual(awsReceipts(JSON.stringify(fake.envelope('SubscriptionConfirmation', 'x', { Token: 't', SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription' }))), [], 'a confirmation carries no receipt');
  });
});
