// Switchboard's SMPP server against a strict client written on raw PDUs (test/fakes/esme.ts,
// not the `smpp` package the server uses), behaving as Kannel does: it cuts every C-Octet
// String to its SMPP 3.4 maximum, and reads receipt texts as ASCII. What a legacy system
// relies on: the credentials `keys create --smpp` prints bind as printed; the submit_sm_resp
// id, the receipt text's `id:` and the receipted_message_id TLV are the same string; and
// every field Switchboard writes fits its maximum.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { createKey, createSmppCredentials } from '../../src/http/auth.ts';
import { Esme } from '../fakes/esme.ts';

describe('SMPP server with a strict raw-PDU client', () => {
  let t: TestApp;
  let port: number;
  let creds: { systemId: string; password: string };

  before(async () => {
    port = await freePort();
    t = await startApp({ smppPort: port, smppMaxPerSecond: 0 });
    creds = await createSmppCredentials(t.app.ctx.store, (await createKey(t.app.ctx.store, { name: 'a-long-legacy-system-name' })).key);
  });
  after(async () => { await t.stop(); });

  it('binds with the credentials as printed, which fit SMPP 3.4', async () => {
    assert.ok(creds.systemId.length <= 15 && creds.password.length <= 8, JSON.stringify(creds));
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      assert.deepEqual(esme.tooLong, []);
    } finally { esme.close(); }
  });

  it('a receipt whose text id, TLV id and submit_sm_resp id are one ASCII string; every field within its maximum', async () => {
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      // `_` and `@` differ between GSM 03.38 and ASCII: quoted in the receipt, they must not garble it.
      const { status, messageId } = await esme.submit('+14155550100', 'Code_42 @ home');
      assert.equal(status, 0);
      assert.match(messageId, /^[0-9A-Z]{1,64}$/);
      const dlr = await eventually(async () => esme.delivered.find((d) => (d.esmClass & 0x04) !== 0), 10_000, 'the receipt');
      const textId = /^id:(\S+) /.exec(dlr.ascii)?.[1];
      assert.deepEqual([textId, dlr.receiptedMessageId], [messageId, messageId]);
      assert.match(dlr.ascii, /sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} stat:DELIVRD err:000 text:Code\?42 \? home$/);
      assert.ok([...dlr.bytes].every((b) => b >= 0x20 && b < 0x7f), 'printable ASCII only');
      assert.equal(dlr.messageState, 2);
      assert.deepEqual(esme.tooLong, []);
      const m = (await t.call('GET', `/v1/messages/msg_${messageId}`)).body;
      assert.equal(m.body, 'Code_42 @ home');
    } finally { esme.close(); }
  });

  it('a client that cuts passwords to 8 characters loses nothing of the printed one; a wrong one is refused', async () => {
    // What broke Kannel with the 9 characters earlier versions printed: it cut the ninth, and the bind was refused.
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, `${creds.password}X`), 0, 'the 9th character is cut, so the 8 printed ones bind');
    } finally { esme.close(); }
    const wrong = await Esme.connect(port);
    try {
      assert.equal(await wrong.bind('transceiver', creds.systemId, `${creds.password.slice(0, 7)}X`), 0x0d, 'ESME_RBINDFAIL');
    } finally { wrong.close(); }
  });
});
