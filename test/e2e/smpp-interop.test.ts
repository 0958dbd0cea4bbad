// Switchboard's SMPP server against a strict client written on raw PDUs (test/fakes/esme.ts,
// not the `smpp` package the server uses), behaving as Kannel does: it cuts every C-Octet
// String to its SMPP 3.4 maximum, and reads receipt texts as ASCII. What a legacy system
// relies on: the credentials `keys create --smpp` prints bind as printed; the submit_sm_resp
// id, the receipt text's `id:` and the receipted_message_id TLV are the same string; and
// every field Switchboard writes fits its maximum.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { tempDir } from '../helpers/stores.ts';
import { createKey, createSmppCredentials } from '../../src/auth/auth.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { Esme } from '../fakes/esme.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');

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
      const other = creds.password[7] === 'X' ? 'Y' : 'X'; // the 8th character changed (a random password may end in X)
      assert.equal(await wrong.bind('transceiver', creds.systemId, `${creds.password.slice(0, 7)}${other}`), 0x0d, 'ESME_RBINDFAIL');
    } finally { wrong.close(); }
  });

  it('a 5-part UCS-2 text in UDH parts: one message, 5 distinct ids, and a receipt per part carrying that part\'s id', async () => {
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      const text = 'Ваш заказ готов. '.repeat(20).slice(0, 320); // 320 UCS-2 characters: 5 parts of at most 67
      const answers = await esme.submitParts('+14155550100', text);
      assert.equal(answers.length, 5);
      assert.ok(answers.every((a) => a.status === 0), JSON.stringify(answers));
      const ids = answers.map((a) => a.messageId);
      assert.equal(new Set(ids).size, 5, `distinct ids: ${ids.join(' ')}`);
      const base = ids[0].slice(0, 26);
      assert.deepEqual(ids, [1, 2, 3, 4, 5].map((n) => `${base}${n}`), 'the message\'s id and the part number');
      const receipts = await eventually(async () => {
        const mine = esme.delivered.filter((d) => (d.esmClass & 0x04) !== 0 && d.receiptedMessageId?.startsWith(base));
        return mine.length >= 5 && mine;
      }, 15_000, 'a receipt per part');
      assert.equal(receipts.length, 5, 'one receipt per part, none twice');
      assert.deepEqual(receipts.map((r) => r.receiptedMessageId).sort(), [...ids].sort());
      for (const r of receipts) {
        assert.equal(/^id:(\S+) /.exec(r.ascii)?.[1], r.receiptedMessageId, 'the text\'s id is the TLV\'s, read as ASCII');
        assert.match(r.ascii, /sub:001 dlvrd:001 .* stat:DELIVRD err:000 /);
      }
      const m = (await t.call('GET', `/v1/messages/msg_${base}`)).body;
      assert.equal(m.body, text, 'the parts joined in order');
      assert.equal(m.status, 'delivered');
      // Each part's id can be asked about.
      const q = await esme.query(ids[3]);
      assert.deepEqual([q.status, q.messageId, q.messageState], [0, ids[3], 2]);
      assert.deepEqual(esme.tooLong, []);
    } finally { esme.close(); }
  });

  it('query_sm answers the state and final date of a message this account sent, and no other', async () => {
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      const { messageId } = await esme.submit('+14155550100', 'where is it', 0);
      const q = await eventually(async () => { const r = await esme.query(messageId); return r.messageState === 2 && r; }, 10_000, 'DELIVERED');
      assert.equal(q.status, 0);
      assert.equal(q.messageId, messageId);
      assert.match(q.finalDate, /^\d{12}\d00\+$/, 'an absolute SMPP time');
      assert.equal(q.errorCode, 0);
      assert.equal((await esme.query('01AAAAAAAAAAAAAAAAAAAAAAAA')).status, 0x67, 'unknown id: ESME_RQUERYFAIL');
      assert.equal((await esme.query('not-an-id')).status, 0x67);
      // Another account's client cannot see it.
      const other = await createSmppCredentials(t.app.ctx.store, (await createKey(t.app.ctx.store, { name: 'other', accountId: 'acct_other' })).key);
      const stranger = await Esme.connect(port);
      try {
        assert.equal(await stranger.bind('transceiver', other.systemId, other.password), 0);
        assert.equal((await stranger.query(messageId)).status, 0x67);
        assert.equal(await stranger.cancel(messageId), 0x11);
      } finally { stranger.close(); }
    } finally { esme.close(); }
  });

  it('cancel_sm cancels a scheduled message (its receipt says DELETED); a second cancel fails', async () => {
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      // schedule_delivery_time relative: in one hour
      const { status, messageId } = await esme.submit('+14155550100', 'later', 1, { scheduleDeliveryTime: '000000010000000R' });
      assert.equal(status, 0);
      const m = (await t.call('GET', `/v1/messages/msg_${messageId}`)).body;
      assert.equal(m.status, 'scheduled');
      assert.ok(Math.abs(Date.parse(m.send_at) - (Date.now() + 3600_000)) < 60_000, m.send_at);
      assert.equal((await esme.query(messageId)).messageState, 1, 'ENROUTE while it waits');
      assert.equal(await esme.cancel(messageId), 0);
      assert.equal((await t.call('GET', `/v1/messages/msg_${messageId}`)).body.status, 'canceled');
      assert.equal(await esme.cancel(messageId), 0x11, 'ESME_RCANCELFAIL: already final');
      const dlr = await eventually(async () => esme.delivered.find((d) => d.receiptedMessageId === messageId), 10_000, 'the receipt');
      assert.equal(dlr.messageState, 4);
      assert.match(dlr.ascii, /stat:DELETED/);
      assert.equal((await esme.query(messageId)).messageState, 4);
    } finally { esme.close(); }
  });

  it('data_sm is taken as submit_sm is, its text from message_payload', async () => {
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      const { status, messageId } = await esme.dataSm('+14155550100', 'sent as data_sm');
      assert.equal(status, 0);
      const m = (await t.call('GET', `/v1/messages/msg_${messageId}`)).body;
      assert.equal(m.body, 'sent as data_sm');
      const dlr = await eventually(async () => esme.delivered.find((d) => d.receiptedMessageId === messageId), 10_000, 'its receipt');
      assert.equal(dlr.messageState, 2);
    } finally { esme.close(); }
  });

  it('a receipt the client answers with an error is sent again, and its callback shows both attempts', async () => {
    const esme = await Esme.connect(port);
    try {
      assert.equal(await esme.bind('transceiver', creds.systemId, creds.password), 0);
      esme.deliverAnswers.push(0x08); // ESME_RSYSERR: the client could not take it this time
      const { messageId } = await esme.submit('+14155550100', 'again please');
      const dlr = await eventually(async () => esme.delivered.find((d) => d.receiptedMessageId === messageId), 15_000, 'the receipt, sent again');
      assert.equal(dlr.messageState, 2);
      const [cb] = await eventually(async () => { const c = await t.app.ctx.store.listCallbacks(`msg_${messageId}`); return c[0]?.status === 'delivered' && c; }, 10_000, 'the callback delivered');
      assert.equal(cb.attempts, 2);
      const attempts = await t.app.ctx.store.listCallbackAttempts(cb.id);
      assert.match(attempts[0].error ?? '', /command_status 0x00000008/);
      assert.equal(attempts[1].error, null);
    } finally { esme.close(); }
  });

  it('a system_id that fails to bind 5 times is locked out, the right password too, and counted', async () => {
    const victim = await createSmppCredentials(t.app.ctx.store, (await createKey(t.app.ctx.store, { name: 'guessed' })).key);
    for (let i = 0; i < 5; i++) {
      const e = await Esme.connect(port);
      try { assert.equal(await e.bind('transmitter', victim.systemId, `wrong${i}`), 0x0d); } finally { e.close(); }
    }
    const e = await Esme.connect(port);
    try { assert.equal(await e.bind('transmitter', victim.systemId, victim.password), 0x0d, 'locked out'); } finally { e.close(); }
    const metrics = await t.app.ctx.metrics.registry.metrics();
    assert.match(metrics, /switchboard_smpp_bind_lockouts_total 1/);
    assert.match(metrics, /switchboard_smpp_bind_refusals_total\{reason="locked_out"\} 1/);
    assert.match(metrics, /switchboard_smpp_bind_refusals_total\{reason="credentials"\} [5-9]/);
    // Other system_ids bind as before.
    const ok = await Esme.connect(port);
    try { assert.equal(await ok.bind('transmitter', creds.systemId, creds.password), 0); } finally { ok.close(); }
  });

  // Last in this server's cases: it locks this host (loopback) out.
  it('a host that fails to bind 20 times across system_ids is locked out, its good binds too', async () => {
    for (let i = 0; i < 20; i++) {
      const e = await Esme.connect(port);
      try { assert.equal(await e.bind('transmitter', `scan${i}`, 'guess'), 0x0d); } finally { e.close(); }
    }
    const e = await Esme.connect(port);
    try { assert.equal(await e.bind('transmitter', creds.systemId, creds.password), 0x0d, 'the host is locked out'); } finally { e.close(); }
    assert.match(await t.app.ctx.metrics.registry.metrics(), /switchboard_smpp_bind_lockouts_total [2-9]/);
  });
});

describe('SMPP receipts are durable', () => {
  it('kill -9 after the status changed and before a receiver bound: the receipts arrive after the restart, and show in the message\'s callbacks', async () => {
    const dir = tempDir();
    const [port, smppPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    const serve = () => spawn(process.execPath, [MAIN, '--role', 'all'], {
      env: {
        PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dir.path, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base,
        SWITCHBOARD_ADMIN_KEY: 'smpp-durable-admin', SWITCHBOARD_SMPP_PORT: String(smppPort), SWITCHBOARD_POLL_MS: '100', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let child: ChildProcess = serve();
    const store = new SqliteStore(join(dir.path, 'switchboard.db'));
    try {
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 'the server to be ready');
      const creds = await createSmppCredentials(store, (await createKey(store, { name: 'pbx' })).key);
      // A transmitter only: no receiver is bound when the statuses change.
      const tx = await Esme.connect(smppPort);
      const ids: string[] = [];
      try {
        assert.equal(await tx.bind('transmitter', creds.systemId, creds.password), 0);
        for (let i = 0; i < 5; i++) ids.push((await tx.submit('+14155550100', `durable ${i}`)).messageId);
        ids.push(...(await tx.submitParts('+14155550100', 'Ω'.repeat(100))).map((a) => a.messageId));
      } finally { tx.close(); }
      assert.equal(ids.length, 7);
      const messageIds = [...new Set(ids.map((id) => `msg_${id.slice(0, 26)}`))];
      await eventually(async () => {
        const rows = await store.getMessages(messageIds);
        return rows.length === 6 && rows.every((m) => m.status === 'delivered');
      }, 20_000, 'every message delivered');
      const pending = async () => (await Promise.all(messageIds.map((id) => store.listCallbacks(id)))).flat();
      assert.deepEqual((await pending()).map((c) => c.status), Array(6).fill('pending'), 'a receipt written with each final status, waiting for a receiver');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      child = serve();
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 'the restart');
      const rx = await Esme.connect(smppPort);
      try {
        assert.equal(await rx.bind('receiver', creds.systemId, creds.password), 0);
        const receipts = await eventually(async () => rx.delivered.length >= 7 && rx.delivered, 20_000, 'the receipts after the restart');
        assert.deepEqual(receipts.map((r) => r.receiptedMessageId).sort(), [...ids].sort(), 'one receipt per id asked for: each single text and each part');
        for (const r of receipts) assert.equal(/^id:(\S+) /.exec(r.ascii)?.[1], r.receiptedMessageId);
        assert.deepEqual(rx.tooLong, []);
      } finally { rx.close(); }
      const callbacks = await eventually(async () => { const c = await pending(); return c.every((x) => x.status === 'delivered') && c; }, 10_000, 'the callbacks marked delivered');
      assert.ok(callbacks.every((c) => c.type === 'smpp.receipt' && c.url === `smpp:${creds.systemId}`));
      const shown = await fetch(`${base}/v1/messages/${messageIds[0]}/callbacks`, { headers: { authorization: 'Bearer smpp-durable-admin' } });
      assert.equal(shown.status, 200);
      assert.match(await shown.text(), /"type":"smpp\.receipt"/);
    } finally {
      child.kill('SIGKILL');
      await store.close();
      dir.remove();
    }
  });
});
