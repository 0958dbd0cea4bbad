// Every provider kind through the one adapter contract suite, each against its fake.
import { runAdapterSuite, STATUS_URL, type AdapterHarness } from './adapter-suite.ts';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { simulatedFate, simulator, SIGNATURE_HEADER } from '../../src/providers/simulator/adapter.ts';
import { twilio } from '../../src/providers/twilio/adapter.ts';
import { vonage } from '../../src/providers/vonage/adapter.ts';
import { sinch } from '../../src/providers/sinch/adapter.ts';
import { aws } from '../../src/providers/aws/adapter.ts';
import { snsVerifier } from '../../src/providers/aws/signature.ts';
import { AwsFake, FAKE_AWS_KEY_ID, FAKE_AWS_REGION, FAKE_AWS_SECRET, FAKE_TOPIC_ARN } from '../../src/sandbox/aws.ts';
import { basicAuthorization } from '../../src/providers/sinch/signature.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from '../../src/sandbox/sinch.ts';
import { VonageFake, FAKE_VONAGE_KEY, FAKE_VONAGE_SECRET, FAKE_VONAGE_SIGNATURE_SECRET } from '../../src/sandbox/vonage.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { PROVIDER_MODULES } from '../../src/providers/modules.ts';
import { smppModule } from '../../src/providers/smpp/adapter.ts';
import { SmscFake, FAKE_SMPP_PASSWORD, FAKE_SMPP_SYSTEM_ID } from '../../src/sandbox/smsc.ts';
import assert from 'node:assert/strict';

// The simulator is its own fake: magic destinations steer it, and it emits its receipts.
const SIM_SECRET = 'simulator-contract-secret';
const simulatorHarness: AdapterHarness = {
  module: simulator,
  async start() { return { config: { latency_ms: 0, signing_secret_env: 'SIMULATOR_CONTRACT_SECRET' }, secrets: { SIMULATOR_CONTRACT_SECRET: SIM_SECRET } }; },
  async stop() {},
  failNext: (kind) => ({ transient: '+15005550002', throttled: '+15005550004', permanent: '+15005550001' })[kind],
  // The simulator's receipt: JSON, HMAC-SHA256 of the body in x-simulator-signature.
  async statusCallback(id, status) {
    const body = JSON.stringify({ message_id: id, status, timestamp: new Date().toISOString(), error_code: status === 'undelivered' ? '30003' : null });
    return { kind: 'status', method: 'POST', url: STATUS_URL, headers: { [SIGNATURE_HEADER]: createHmac('sha256', SIM_SECRET).update(body).digest('hex'), 'content-type': 'application/json' }, body };
  },
  // Its status lookup reads the fate it gave the part when it sent it: delivered once due.
  async deliverQuietly(id) {
    const fate = simulatedFate(id);
    assert.equal(fate?.fate, 'delivered', id);
    await sleep(Math.max(0, fate.at - Date.now() + 1));
  },
};

let fake: TwilioFake;
const twilioHarness: AdapterHarness = {
  module: twilio,
  async start() {
    fake = await new TwilioFake().start();
    fake.plan = { statuses: [], delayMs: 0 };
    return { config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_CONTRACT_TOKEN', base_url: fake.url }, secrets: { TWILIO_CONTRACT_TOKEN: FAKE_AUTH_TOKEN } };
  },
  async stop() { await fake.stop(); },
  failNext(kind) {
    if (kind === 'transient') fake.behaviours.push({ kind: 'error', status: 503, code: 20500 });
    if (kind === 'throttled') fake.behaviours.push({ kind: 'error', status: 429, code: 20429, retryAfter: '1' });
    if (kind === 'permanent') fake.behaviours.push({ kind: 'error', status: 400, code: 21211 });
    return '+14155550100';
  },
  hangNext: () => { fake.behaviours.push({ kind: 'hang' }); },
  async statusCallback(id, status) {
    const { headers, body } = fake.statusCallback(STATUS_URL, id, status, status === 'undelivered' ? '30003' : undefined);
    return { kind: 'status', method: 'POST', url: STATUS_URL, headers, body };
  },
  async deliverQuietly(id) { Object.assign(fake.messages.get(id)!, { status: 'delivered' }); },
};

let vfake: VonageFake;
const vonageHarness: AdapterHarness = {
  module: vonage,
  async start() {
    vfake = await new VonageFake().start();
    vfake.plan = { status: 'delivered', delayMs: 0, lost: true };
    return {
      config: { api_key: FAKE_VONAGE_KEY, api_secret_env: 'VONAGE_CONTRACT_SECRET', signature_secret_env: 'VONAGE_CONTRACT_SIGNATURE', base_url: vfake.url },
      secrets: { VONAGE_CONTRACT_SECRET: FAKE_VONAGE_SECRET, VONAGE_CONTRACT_SIGNATURE: FAKE_VONAGE_SIGNATURE_SECRET },
    };
  },
  async stop() { await vfake.stop(); },
  failNext(kind) {
    vfake.behaviours.push({ kind: 'status', status: { transient: '5', throttled: '1', permanent: '6' }[kind] });
    return '+447700900000';
  },
  hangNext: () => { vfake.behaviours.push({ kind: 'hang' }); },
  async statusCallback(id, status) {
    const { headers, body } = vfake.receipt(id, status === 'delivered' ? 'delivered' : 'failed', status === 'delivered' ? {} : { 'err-code': '2' });
    return { kind: 'status', method: 'POST', url: STATUS_URL, headers, body };
  },
  // Vonage signs inside the body: the same receipt without `sig`.
  unsigned: (req) => { const { sig: _s, ...rest } = JSON.parse(req.body); return { ...req, body: JSON.stringify(rest) }; },
};

let sfake: SinchFake;
const sinchHarness: AdapterHarness = {
  module: sinch,
  async start() {
    sfake = await new SinchFake().start();
    sfake.plan = { statuses: [], delayMs: 0 };
    return {
      config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'SINCH_CONTRACT_TOKEN', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'SINCH_CONTRACT_CALLBACK', base_url: sfake.url },
      secrets: { SINCH_CONTRACT_TOKEN: FAKE_SINCH_TOKEN, SINCH_CONTRACT_CALLBACK: FAKE_SINCH_CALLBACK_PASSWORD },
    };
  },
  async stop() { await sfake.stop(); },
  failNext(kind) {
    sfake.behaviours.push(({
      transient: { kind: 'error', status: 503, code: 'service_unavailable' },
      throttled: { kind: 'error', status: 429, code: 'too_many_requests', retryAfter: '1' },
      permanent: { kind: 'error', status: 400, code: 'syntax_invalid_parameter_format' },
    } as const)[kind]);
    return '+14155550100';
  },
  hangNext: () => { sfake.behaviours.push({ kind: 'hang' }); },
  async statusCallback(id, status) {
    const { headers, body } = sfake.report(id, status === 'delivered' ? 'Delivered' : 'Failed');
    return { kind: 'status', method: 'POST', url: STATUS_URL, headers, body };
  },
  // Sinch authenticates the connection (Basic credentials), not the body: a forger lacks the password.
  forged: (req) => ({ ...req, headers: { ...req.headers, authorization: basicAuthorization(FAKE_SINCH_CALLBACK_USER, 'guessed-password') } }),
  async deliverQuietly(id) { sfake.status.set(id, { ...sfake.status.get(id)!, status: 'Delivered', code: 0 }); },
};

let afake: AwsFake;
const awsHarness: AdapterHarness = {
  module: aws,
  async start() {
    afake = await new AwsFake().start();
    snsVerifier.trust(afake.certUrl, afake.publicKeyPem);
    return {
      config: { region: FAKE_AWS_REGION, endpoint: afake.url, access_key_id_env: 'AWS_CONTRACT_KEY_ID', secret_access_key_env: 'AWS_CONTRACT_SECRET', topic_arn: FAKE_TOPIC_ARN, origination_identity: '+14155550166' },
      secrets: { AWS_CONTRACT_KEY_ID: FAKE_AWS_KEY_ID, AWS_CONTRACT_SECRET: FAKE_AWS_SECRET },
    };
  },
  async stop() { await afake.stop(); },
  failNext(kind) {
    afake.behaviours.push(({
      transient: { kind: 'error', status: 500, type: 'InternalServerException' },
      throttled: { kind: 'error', status: 400, type: 'ThrottlingException' },
      permanent: { kind: 'error', status: 400, type: 'ValidationException', reason: 'INVALID_PARAMETER' },
    } as const)[kind]);
    return '+14155550100';
  },
  hangNext: () => { afake.behaviours.push({ kind: 'hang' }); },
  async statusCallback(id, status) {
    const { headers, body } = afake.event(id, status === 'delivered' ? 'TEXT_DELIVERED' : 'TEXT_CARRIER_UNREACHABLE');
    return { kind: 'status', method: 'POST', url: STATUS_URL, headers, body };
  },
  forged: (req) => ({ ...req, body: req.body.replace('TEXT_DELIVERED', 'TEXT_BLOCKED') }),
  // SNS signs inside the body: the same envelope with its signature removed.
  unsigned: (req) => { const { Signature: _s, ...rest } = JSON.parse(req.body); return { ...req, body: JSON.stringify(rest) }; },
};

// SMPP: receipts come over the bind as deliver_sm and are stored by the adapter itself, in
// the JSON it writes; nothing may reach it over HTTP.
let smsc: SmscFake;
const smppHarness: AdapterHarness = {
  module: smppModule,
  overSession: true,
  async start() {
    smsc = await new SmscFake().start();
    return { config: { host: '127.0.0.1', port: smsc.port, system_id: FAKE_SMPP_SYSTEM_ID, password_env: 'SMPP_CONTRACT_PASSWORD' }, secrets: { SMPP_CONTRACT_PASSWORD: FAKE_SMPP_PASSWORD } };
  },
  async stop() { await smsc.stop(); },
  failNext(kind) {
    smsc.answers.push({ transient: 0x08, throttled: 0x58, permanent: 0x0b }[kind]);
    return '+14155550100';
  },
  hangNext: () => { smsc.answers.push(-1); },
  async statusCallback(id, status) {
    const text = `id:${id} sub:001 dlvrd:001 submit date:2611301200 done date:2611301201 stat:${status === 'delivered' ? 'DELIVRD' : 'UNDELIV'} err:${status === 'delivered' ? '000' : '001'} text:contract`;
    return { kind: 'status', method: 'POST', url: STATUS_URL, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'receipt', text, received_at: Date.now() }) };
  },
};

const harnesses = [simulatorHarness, twilioHarness, vonageHarness, sinchHarness, awsHarness, smppHarness];
assert.deepEqual(harnesses.map((h) => h.module.kind).sort(), PROVIDER_MODULES.map((m) => m.kind).sort(), 'every registered kind has a harness');
for (const h of harnesses) runAdapterSuite(h);
