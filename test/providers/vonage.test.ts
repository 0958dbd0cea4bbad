// The Vonage adapter's own rules: the documented signature vectors, the three shapes a
// receipt can arrive in, and the send request against the loopback fake.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { vonageSignature, verifyVonageSignature } from '../../src/providers/vonage/signature.ts';
import { vonageInbound, vonageParams, vonageReceipts } from '../../src/providers/vonage/receipts.ts';
import { VONAGE_DLR_ERRORS, VONAGE_SEND_STATUS } from '../../src/providers/vonage/errors.ts';
import { createVonage, validateVonageConfig } from '../../src/providers/vonage/adapter.ts';
import { MESSAGE_ERRORS, isMessageErrorCode } from '../../src/domain/message-errors.ts';
import { loadConfig } from '../../src/config.ts';
import type { ProviderAdapter, SendRequest } from '../../src/providers/provider.ts';
import { VonageFake, FAKE_VONAGE_KEY, FAKE_VONAGE_SECRET, FAKE_VONAGE_SIGNATURE_SECRET } from '../../src/sandbox/vonage.ts';

describe('Vonage signatures (domain.md §3.3 vectors)', () => {
  const params = { param1: 'value1', param2: 'value2', timestamp: '1234567890' };
  it('matches the documented HMAC-SHA256, HMAC-MD5 and md5hash signatures', () => {
    assert.equal(vonageSignature(params, 'signature_secret', 'sha256'), '280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287');
    assert.equal(vonageSignature(params, 'signature_secret', 'md5'), '724c2bf6ca423c36e20631b11d1c5753');
    assert.equal(vonageSignature(params, 'signature_secret', 'md5hash'), 'd72f75ac8cda9bbce891c4fa62bee6cd');
  });
  it('accepts a signature in any case within the time window, and nothing else', () => {
    const at = 1234567890_000;
    const sig = vonageSignature(params, 'signature_secret', 'sha256').toUpperCase();
    assert.equal(verifyVonageSignature({ ...params, sig }, 'signature_secret', 'sha256', at), true);
    assert.equal(verifyVonageSignature({ ...params, sig }, 'signature_secret', 'sha256', at + 301_000), false, 'too old: a replay');
    assert.equal(verifyVonageSignature({ ...params, param1: 'other', sig }, 'signature_secret', 'sha256', at), false);
    assert.equal(verifyVonageSignature({ ...params, sig }, 'another_secret', 'sha256', at), false);
    assert.equal(verifyVonageSignature(params, 'signature_secret', 'sha256', at), false, 'unsigned');
  });
});

describe('Vonage receipts and inbound', () => {
  const fields = { messageId: '0A0000001234567B', status: 'failed', 'err-code': '6', scts: '2001011400', msisdn: '447700900000', to: 'Acme' };
  it('reads a receipt sent as JSON, as a form or in the query, the same way', () => {
    const forms: { url: string; body: string; headers: Record<string, string> }[] = [
      { url: 'https://sb.example.com/webhooks/v/status', body: JSON.stringify(fields), headers: { 'content-type': 'application/json' } },
      { url: 'https://sb.example.com/webhooks/v/status', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { url: `https://sb.example.com/webhooks/v/status?${new URLSearchParams(fields)}`, body: '', headers: {} },
    ];
    for (const f of forms) {
      assert.deepEqual(vonageReceipts(vonageParams(f)), [{
        providerMessageId: '0A0000001234567B', status: 'failed', providerStatus: 'failed', errorCode: 'blocked', providerErrorCode: '6',
        errorMessage: 'Vonage delivery error 6', occurredAt: Date.UTC(2020, 0, 1, 14, 0), to: '+447700900000',
      }]);
    }
    assert.equal(vonageReceipts({ messageId: 'x', status: 'buffered' })[0].status, 'sent');
    assert.equal(vonageReceipts({ messageId: 'x', status: 'expired' })[0].status, 'undelivered');
    assert.throws(() => vonageReceipts({ status: 'delivered' }), /messageId/);
  });
  it('reads an inbound text with E.164 numbers', () => {
    const [m] = vonageInbound({ messageId: 'IN1', msisdn: '447700900001', to: '447700900000', text: 'STOP', 'message-timestamp': '2020-01-01 12:00:00' });
    assert.deepEqual(m, { providerMessageId: 'IN1', from: '+447700900001', to: '+447700900000', body: 'STOP', receivedAt: Date.UTC(2020, 0, 1, 12) });
  });
  it('marks the parts of a long inbound text', () => {
    const [m] = vonageInbound({ messageId: 'IN2', msisdn: '447700900001', to: '447700900000', text: 'part two', concat: 'true', 'concat-ref': '17', 'concat-part': '2', 'concat-total': '3' });
    assert.deepEqual(m.concat, { ref: '17', part: 2, total: 3 });
    assert.equal(vonageInbound({ messageId: 'IN3', msisdn: '447700900001', to: '447700900000', text: 'x', concat: 'true', 'concat-ref': '17', 'concat-part': '4', 'concat-total': '3' })[0].concat, undefined, 'an impossible part is a plain text');
  });

  it('maps every documented code onto the catalog', () => {
    for (const [status, [kind, code]] of Object.entries(VONAGE_SEND_STATUS)) {
      assert.ok(isMessageErrorCode(code), status);
      assert.equal(kind, MESSAGE_ERRORS[code].kind, `send status ${status}`);
    }
    for (const code of Object.values(VONAGE_DLR_ERRORS)) assert.ok(isMessageErrorCode(code));
    assert.deepEqual(VONAGE_SEND_STATUS[9], ['transient', 'insufficient_funds'], 'out of credit: alert and fail over, do not give up the message');
  });
});

describe('Vonage adapter against the fake', () => {
  let fake: VonageFake;
  const signal = () => AbortSignal.timeout(3000);
  const req = (over: Partial<SendRequest> = {}): SendRequest => ({
    messageId: 'msg_01JD5Z9Q8M0000000000000000', attempt: 1, to: '+447700900000', from: '+447700900001', body: 'hello', encoding: 'GSM-7', segments: 1,
    statusCallbackUrl: 'https://sb.example.com/webhooks/vonage-main/status', ...over,
  });
  const make = (config: Record<string, unknown>): ProviderAdapter => createVonage({
    providerId: 'vonage-main', publicUrl: 'https://sb.example.com', emitWebhook: async () => {}, settings: loadConfig({}),
    config: { api_key: FAKE_VONAGE_KEY, signature_secret_env: 'VONAGE_SIG', base_url: fake.url, ...config },
    secret: (n) => ({ VONAGE_SECRET: FAKE_VONAGE_SECRET, VONAGE_SIG: FAKE_VONAGE_SIGNATURE_SECRET })[n],
  });
  before(async () => { fake = await new VonageFake().start(); fake.plan = { status: 'delivered', delayMs: 0, lost: true }; });
  after(async () => { await fake.stop(); });

  it('sends the documented form: digits without +, unicode for UCS-2, a receipt callback, our id as client-ref, the ttl in ms', async () => {
    const adapter = make({ api_secret_env: 'VONAGE_SECRET' });
    const body = 'Привет! '.repeat(50).slice(0, 400);
    const out = await adapter.send(req({ body, encoding: 'UCS-2', segments: 6, validitySeconds: 3600 }), signal());
    assert.ok(out.ok, JSON.stringify(out));
    assert.equal(out.parts.length, 6, 'one part per 67 UCS-2 characters');
    const p = fake.requests.at(-1)!.params;
    assert.deepEqual(
      ['to', 'from', 'type', 'status-report-req', 'callback', 'client-ref', 'ttl', 'api_secret'].map((k) => p.get(k)),
      ['447700900000', '447700900001', 'unicode', '1', 'https://sb.example.com/webhooks/vonage-main/status', 'msg_01JD5Z9Q8M0000000000000000', '3600000', FAKE_VONAGE_SECRET],
    );
    assert.deepEqual(out.parts.map((x) => x.providerMessageId), fake.requests.at(-1)!.ids);
    await adapter.close?.();
  });

  it('signs the request with the signature secret when no API secret is configured', async () => {
    const adapter = make({});
    const out = await adapter.send(req(), signal());
    assert.ok(out.ok, JSON.stringify(out));
    const p = fake.requests.at(-1)!.params;
    assert.equal(p.get('api_secret'), null);
    assert.match(p.get('sig') ?? '', /^[0-9a-f]{32}$/);
    await adapter.close?.();
  });

  it('classifies a non-200 answer, and a wrong secret', async () => {
    const adapter = make({ api_secret_env: 'VONAGE_SECRET' });
    fake.behaviours.push({ kind: 'http', status: 502 });
    const down = await adapter.send(req(), signal());
    assert.deepEqual(down.ok ? null : [down.error.kind, down.error.code, down.error.providerCode], ['transient', 'provider_error', 'http_502']);
    await adapter.close?.();
    const wrong = createVonage({
      providerId: 'v', publicUrl: '', emitWebhook: async () => {}, settings: loadConfig({}), secret: () => 'not-the-secret',
      config: { api_key: FAKE_VONAGE_KEY, api_secret_env: 'X', signature_secret_env: 'Y', base_url: fake.url },
    });
    const auth = await wrong.send(req(), signal());
    assert.deepEqual(auth.ok ? null : [auth.error.kind, auth.error.code, auth.error.providerCode], ['permanent', 'auth_failed', '4']);
    await wrong.close?.();
  });

  it('refuses a record without the signature secret its webhooks need', () => {
    assert.match(validateVonageConfig({ api_key: FAKE_VONAGE_KEY }).join(';'), /signature_secret_env/);
    assert.match(validateVonageConfig({ api_key: FAKE_VONAGE_KEY, signature_secret_env: 'V', signature_method: 'crc32' }).join(';'), /signature_method/);
    assert.deepEqual(validateVonageConfig({ api_key: FAKE_VONAGE_KEY, signature_secret_env: 'V' }), []);
  });
});

describe('Vonage fake and adapter against Vonage\'s own OpenAPI description', () => {
  const spec = JSON.parse(readFileSync(new URL('../fixtures/vonage/openapi-sms.json', import.meta.url), 'utf8')) as Record<string, { properties: string[]; required?: string[] }>;
  const unknown = (fields: Iterable<string>, schema: string, extra: string[] = []) => [...fields].filter((f) => !spec[schema].properties.includes(f) && !extra.includes(f));
  let fake: VonageFake;
  before(async () => { fake = await new VonageFake().start(); fake.plan = { status: 'delivered', delayMs: 0, lost: true }; });
  after(async () => { await fake.stop(); });

  it('sends only documented parameters, the required ones included, and the fake answers only documented fields', async () => {
    const secrets: Record<string, string> = { S: FAKE_VONAGE_SECRET, G: FAKE_VONAGE_SIGNATURE_SECRET };
    for (const config of [{ api_secret_env: 'S' }, {}]) {
      const adapter = createVonage({
        providerId: 'v', publicUrl: 'https://sb.example.com', emitWebhook: async () => {}, settings: loadConfig({}), secret: (n) => secrets[n],
        config: { api_key: FAKE_VONAGE_KEY, signature_secret_env: 'G', base_url: fake.url, ...config },
      });
      const out = await adapter.send({ messageId: 'msg_spec', attempt: 1, to: '+447700900000', from: 'Acme', body: 'hi', encoding: 'GSM-7', segments: 1, statusCallbackUrl: 'https://sb.example.com/s', validitySeconds: 60 }, AbortSignal.timeout(3000));
      assert.ok(out.ok);
      const params = fake.requests.at(-1)!.params;
      // `timestamp` goes with `sig` (domain.md §3.3), though the schema lists only `sig`.
      assert.deepEqual(unknown(params.keys(), 'NewMessage', ['timestamp']), []);
      for (const r of spec.NewMessage.required ?? []) assert.ok(params.has(r), r);
      await adapter.close?.();
    }
    const answer = await (await fetch(`${fake.url}/sms/json`, { method: 'POST', body: new URLSearchParams({ api_key: FAKE_VONAGE_KEY, api_secret: FAKE_VONAGE_SECRET, from: 'Acme', to: '447700900000', text: 'x' }) })).json() as { messages: Record<string, string>[] };
    assert.deepEqual(unknown(Object.keys(answer), 'SMS'), []);
    assert.deepEqual(answer.messages.flatMap((m) => unknown(Object.keys(m), 'Message')), []);
    const refused = await (await fetch(`${fake.url}/sms/json`, { method: 'POST', body: new URLSearchParams({ api_key: FAKE_VONAGE_KEY, api_secret: 'wrong', from: 'Acme', to: '447700900000', text: 'x' }) })).json() as { messages: Record<string, string>[] };
    assert.deepEqual(refused.messages.flatMap((m) => unknown(Object.keys(m), 'ErrorMessage')), []);
  });

  it('posts receipts and inbound texts with documented fields only', () => {
    assert.deepEqual(unknown(Object.keys(JSON.parse(fake.receipt('X', 'delivered').body)), 'DeliveryReceipt'), []);
    const inbound = fake.sign({ msisdn: '1', to: '2', messageId: 'm', text: 't', type: 'text', keyword: 'T', 'api-key': 'k', 'message-timestamp': 'x', concat: 'true', 'concat-ref': '1', 'concat-part': '1', 'concat-total': '2' });
    assert.deepEqual(unknown(Object.keys(inbound), 'InboundMessage', ['sig']), []);
  });
});
