// Every field Switchboard writes into an SMPP PDU stays within its SMPP 3.4 maximum
// (§5.2; a C-Octet String's maximum counts its NUL): one row per field, with the longest
// value Switchboard can produce for it, encoded by the codec Switchboard sends with.
// Strict peers (Kannel) cut or refuse a longer value: a 9-character password failed
// every bind that way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import smpp from 'smpp';
import {
  addressOf, receiptText, relativeValidity, smppFieldFits, smppMessageId, smppTime, SMPP_MAX,
} from '../../src/domain/smpp.ts';
import { createKey, createSmppCredentials } from '../../src/auth/auth.ts';
import { makeSqliteStore } from '../helpers/stores.ts';

// SMPP 3.4 §5.2, written out here independently of SMPP_MAX.
const SPEC: Record<string, number> = {
  system_id: 16, password: 9, system_type: 13, service_type: 6, source_addr: 21, destination_addr: 21,
  schedule_delivery_time: 17, validity_period: 17, final_date: 17, message_id: 65, short_message: 254,
};

const ULID = 'msg_01KC0ZZZZZZZZZZZZZZZZZZZZZ';
const LONGEST_E164 = '+123456789012345';

describe('SMPP fields within their SMPP 3.4 maxima', () => {
  it('the limits Switchboard checks against are the specification\'s', () => {
    for (const [field, max] of Object.entries(SPEC)) assert.equal(SMPP_MAX[field], max, field);
    // The check itself: a C-Octet String's NUL counts, an Octet String's (short_message) has none.
    assert.ok(smppFieldFits('password', '12345678'));
    assert.ok(!smppFieldFits('password', '123456789'));
    assert.ok(smppFieldFits('short_message', Buffer.alloc(254)));
    assert.ok(!smppFieldFits('short_message', Buffer.alloc(255)));
  });

  it('every field written, at its longest, fits and is encoded as written', async () => {
    const { store, dispose } = await makeSqliteStore();
    try {
      const key = (await createKey(store, { name: 'a-name-much-longer-than-sixteen-characters' })).key;
      const creds = await createSmppCredentials(store, key);
      const receipt = receiptText({ id: smppMessageId(ULID, 255), stat: 'UNDELIV', err: '999', submitted: Date.now(), done: Date.now(), text: 'x'.repeat(500) });
      // [the PDU it goes in, the field, the longest value, where it comes from]
      const rows: [string, string, string | Buffer, string][] = [
        ['bind_transceiver', 'system_id', creds.systemId, 'keys create --smpp'],
        ['bind_transceiver', 'password', creds.password, 'keys create --smpp'],
        ['submit_sm_resp', 'message_id', smppMessageId(ULID), 'a text sent whole'],
        ['submit_sm_resp', 'message_id', smppMessageId(ULID, 255), 'the last part of a 255-part text'],
        ['data_sm_resp', 'message_id', smppMessageId(ULID, 255), 'data_sm'],
        ['query_sm_resp', 'message_id', smppMessageId(ULID, 255), 'query_sm'],
        ['query_sm_resp', 'final_date', smppTime(Date.UTC(2099, 11, 31, 23, 59, 59, 999)), 'query_sm'],
        ['deliver_sm', 'source_addr', addressOf(LONGEST_E164).addr, 'a receipt from the longest number'],
        ['deliver_sm', 'destination_addr', addressOf('ALPHASENDER').addr, 'to an alphanumeric sender'],
        ['deliver_sm', 'short_message', Buffer.from(receipt, 'ascii'), 'a receipt text'],
        ['submit_sm', 'destination_addr', addressOf(LONGEST_E164).addr, 'to a carrier'],
        ['submit_sm', 'validity_period', relativeValidity(10 * 365 * 86_400), 'the longest validity'],
      ];
      for (const [command, field, value, from] of rows) {
        assert.ok(smppFieldFits(field, value), `${command}.${field} (${from}): ${String(value).length} characters, at most ${SMPP_MAX[field]} with the NUL`);
        // The codec writes the value as given: its bytes, then (for a C-Octet String) one NUL.
        const bytes = (new smpp.PDU(command, { [field]: value }) as unknown as { toBuffer(): Buffer }).toBuffer();
        const raw = Buffer.isBuffer(value) ? value : Buffer.concat([Buffer.from(value, 'latin1'), Buffer.from([0])]);
        assert.ok(bytes.includes(raw), `${command}.${field} encoded whole`);
      }
    } finally { await dispose(); }
  });
});
