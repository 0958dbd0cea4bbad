// SMPP's pure parts: receipt texts in every variant, the stored deliver_sm read back,
// status codes, addresses, validity, and splitting a text into the parts we counted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseReceiptText, parseReceiptDate, smppReceipts, smppInbound, canonicalId } from '../../src/providers/smpp/receipts.ts';
import { classifySmpp, SMPP_STATUS } from '../../src/providers/smpp/errors.ts';
import { validateSmppConfig } from '../../src/providers/smpp/adapter.ts';
import { addressOf, relativeValidity, receiptText } from '../../src/domain/smpp.ts';
import { countSegments, decodeGsm7, encodeGsm7, LIMITS, splitSegments, decodeUcs2, encodeUcs2 } from '../../src/domain/encoding.ts';
import { isMessageErrorCode } from '../../src/domain/message-errors.ts';

const stored = (text: string, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'receipt', text, received_at: 1_700_000_000_000, ...extra });

describe('SMPP receipts', () => {
  it('reads the standard text, 12-digit dates, Text:, and keeps the free text whole', () => {
    assert.deepEqual(parseReceiptText('id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 stat:DELIVRD err:000 text:none'), {
      id: '0000000012345678', sub: '001', dlvrd: '001', submitDate: '1601010100', doneDate: '1601010101', stat: 'DELIVRD', err: '000', text: 'none',
    });
    const r = parseReceiptText('id:ab12 sub:001 dlvrd:000 submit date:160101010059 done date:160101010112 stat:UNDELIV err:034 Text:Hi: there stat:x')!;
    assert.deepEqual([r.id, r.stat, r.err, r.doneDate, r.text], ['ab12', 'UNDELIV', '034', '160101010112', 'Hi: there stat:x']);
    assert.equal(parseReceiptDate('160101010112'), Date.UTC(2016, 0, 1, 1, 1, 12));
    assert.equal(parseReceiptDate('1601010101'), Date.UTC(2016, 0, 1, 1, 1));
    assert.equal(parseReceiptText('hello, this is not a receipt'), null);
  });

  it('turns a stored receipt into one for the part, with the state, the error and the done date', () => {
    assert.deepEqual(smppReceipts(stored('id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 stat:DELIVRD err:000 text:x')), [{
      providerMessageId: '12345678', status: 'delivered', providerStatus: 'delivrd', occurredAt: Date.UTC(2016, 0, 1, 1, 1),
    }]);
    const [u] = smppReceipts(stored('id:77 stat:REJECTD err:045'));
    assert.deepEqual([u.status, u.errorCode, u.providerErrorCode], ['undelivered', 'blocked', '045']);
    assert.equal(smppReceipts(stored('id:77 stat:ENROUTE'))[0].status, null, 'not final: moves nothing');
    // TLVs win over the text, and are enough on their own.
    assert.deepEqual(smppReceipts(stored('', { receipted_message_id: '99', message_state: 2 })).map((x) => [x.providerMessageId, x.status]), [['99', 'delivered']]);
    // An SMSC that writes receipt ids in hex (SMPP 3.3) for decimal submit_sm_resp ids.
    assert.equal(smppReceipts(stored('id:bc614e stat:DELIVRD'), 'hex')[0].providerMessageId, '12345678');
    assert.equal(smppReceipts(stored('id:12345678 stat:DELIVRD'), 'decimal')[0].providerMessageId, 'bc614e');
    assert.equal(canonicalId('0000000012345678'), canonicalId('12345678'));
    assert.throws(() => smppReceipts(stored('no id here')), /message id/);
    assert.throws(() => smppReceipts(JSON.stringify({ type: 'mo' })), /not an SMPP receipt/);
  });

  it('reads a stored inbound text with its concatenation', () => {
    const [m] = smppInbound(JSON.stringify({ type: 'mo', id: 'sys-1', from: '+14155550111', to: '+14155550199', text: 'hi', concat: { ref: '7', part: 1, total: 2 }, received_at: 5 }));
    assert.deepEqual(m, { providerMessageId: 'sys-1', from: '+14155550111', to: '+14155550199', body: 'hi', receivedAt: 5, concat: { ref: '7', part: 1, total: 2 } });
  });
});

describe('SMPP fields', () => {
  it('classifies every listed command_status with a catalog code; throttling backs off', () => {
    for (const [, kind, code] of Object.values(SMPP_STATUS)) { assert.ok(isMessageErrorCode(code), code); assert.ok(kind); }
    assert.deepEqual(classifySmpp(0x58), { name: 'ESME_RTHROTTLED', kind: 'throttled', code: 'throttled', known: true });
    assert.deepEqual(classifySmpp(0x14).kind, 'throttled');
    assert.deepEqual(classifySmpp(0x08).kind, 'transient');
    assert.deepEqual(classifySmpp(0x0b), { name: 'ESME_RINVDSTADR', kind: 'permanent', code: 'invalid_number', known: true });
    assert.deepEqual(classifySmpp(0x400), { name: '0x00000400', kind: 'transient', code: 'unknown', known: false });
  });

  it('addresses: E.164 international, alphanumeric senders, overrides', () => {
    assert.deepEqual(addressOf('+14155550100'), { ton: 1, npi: 1, addr: '14155550100' });
    assert.deepEqual(addressOf('ACME'), { ton: 5, npi: 0, addr: 'ACME' });
    assert.deepEqual(addressOf('12345'), { ton: 0, npi: 0, addr: '12345' });
    assert.deepEqual(addressOf('12345', 3, 0), { ton: 3, npi: 0, addr: '12345' });
  });

  it('writes receipts its own parser reads back', () => {
    const text = receiptText({ id: 'msg_1', stat: 'UNDELIV', err: '001', submitted: Date.UTC(2026, 10, 30, 12, 0), done: Date.UTC(2026, 10, 30, 12, 5), text: 'a long text that gets cut' });
    assert.equal(text, 'id:msg_1 sub:001 dlvrd:000 submit date:2611301200 done date:2611301205 stat:UNDELIV err:001 text:a long text that get');
    assert.deepEqual([parseReceiptText(text)?.id, parseReceiptText(text)?.stat], ['msg_1', 'UNDELIV']);
  });

  it('writes relative validity periods', () => {
    assert.equal(relativeValidity(600), '000000001000000R');
    assert.equal(relativeValidity(86_400 + 3_661), '000001010101000R');
  });

  it('refuses records it could not bind with', () => {
    assert.deepEqual(validateSmppConfig({ host: 'smsc.example', port: 2775, system_id: 'acme', password_env: 'SMPP_PASSWORD' }), []);
    const p = validateSmppConfig({ host: '', port: 70000, system_id: 'x'.repeat(16), long_messages: 'zip', window: 0 }).join('; ');
    for (const field of ['host', 'port', 'system_id', 'password_env', 'long_messages', 'window']) assert.match(p, new RegExp(`config\\.${field}`));
  });
});

describe('parts as counted', () => {
  it('splits any text into the parts countSegments counted, each within its limit, rejoining to the text', () => {
    const chars = fc.constantFrom('a', 'Z', ' ', '{', '€', '\n', 'é', 'Ж', '😀', '👍🏽', 'ü');
    fc.assert(fc.property(fc.array(chars, { maxLength: 400 }).map((a) => a.join('')), (text) => {
      const info = countSegments(text);
      const parts = splitSegments(text);
      assert.equal(parts.join(''), text);
      assert.equal(parts.length, info.segments);
      parts.forEach((p, i) => assert.equal(countSegments(p).units, info.unitsPerSegment[i]));
      if (info.segments > 1) for (const p of parts) assert.ok(countSegments(p).units <= LIMITS[info.encoding].part);
    }), { numRuns: 500 });
  });

  it('encodes GSM-7 unpacked, extension characters escaped, and UCS-2 big-endian', () => {
    assert.equal(encodeGsm7('@£{€').toString('hex'), '00011b281b65');
    for (const t of ['Hello, world!', 'ÆØÅ æøå [x] ~^|\\', '']) assert.equal(decodeGsm7(encodeGsm7(t)), t);
    assert.throws(() => encodeGsm7('Ж'), /GSM 03.38/);
    assert.equal(decodeUcs2(encodeUcs2('Grüße 😀')), 'Grüße 😀');
  });
});
