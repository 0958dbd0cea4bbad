// Switchboard's SMPP server, driven by an SMPP client library as a legacy system would:
// bind with a key's SMPP credentials, submit_sm through the same intake as the API,
// delivery receipts back as deliver_sm, long texts in parts, idempotent resubmits,
// throttling, inbound texts to receivers, malformed PDUs, unbind at shutdown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcp } from 'node:net';
import smpp, { type PDU, type Session } from 'smpp';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { createKey, createSmppCredentials } from '../../src/auth/auth.ts';
import { newId } from '../../src/domain/ids.ts';
import { makePostgresStore, testSchema, type TestStore } from '../helpers/stores.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';

interface Client { session: Session; delivered: PDU[]; unbound: boolean }

async function client(port: number, systemId: string, password: string, how: 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver' = 'bind_transceiver'): Promise<{ c: Client; status: number }> {
  const session = smpp.connect({ host: '127.0.0.1', port });
  const c: Client = { session, delivered: [], unbound: false };
  session.on('error', () => {});
  session.on('deliver_sm', (pdu: PDU) => { c.delivered.push(pdu); session.send(pdu.response()); });
  session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
  session.on('unbind', (pdu: PDU) => { c.unbound = true; session.send(pdu.response()); });
  await new Promise<void>((r) => session.on('connect', () => r()));
  const resp = await new Promise<PDU>((r) => session[how]({ system_id: systemId, password }, r));
  return { c, status: resp.command_status };
}

const submit = (c: Client, fields: Record<string, unknown>) => new Promise<PDU>((r) => c.session.submit_sm({ dest_addr_ton: 1, dest_addr_npi: 1, ...fields }, r));

for (const [name, skip, postgres] of [['SQLite', false, false], ['PostgreSQL', pgSkip, true]] as const) describe(`SMPP server (${name})`, { skip }, () => {
  let t: TestApp;
  let port: number;
  let creds: { systemId: string; password: string };
  let other: { systemId: string; password: string };
  let pg: TestStore | undefined;

  before(async () => {
    port = await freePort();
    const schema = testSchema();
    pg = postgres ? await makePostgresStore(schema) : undefined;
    t = await startApp({ smppPort: port, simulator: 'on', smppMaxPerSecond: 0, smppEnquireLinkSeconds: 1 }, { store: pg ? new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) : undefined });
    const store = t.app.ctx.store;
    creds = await createSmppCredentials(store, (await createKey(store, { name: 'legacy-pbx' })).key);
    other = await createSmppCredentials(store, (await createKey(store, { name: 'other-pbx', accountId: 'acct-other' })).key);
  });
  after(async () => { await t.stop(); await pg?.dispose(); });

  it('binds with the key\'s credentials and refuses wrong ones', async () => {
    assert.match(creds.password, /^[A-Za-z0-9]{8}$/, 'SMPP 3.4: at most 8 characters (9 octets with the NUL)');
    const bad = await client(port, creds.systemId, 'wrong');
    assert.equal(bad.status, 0x0d, 'ESME_RBINDFAIL');
    bad.c.session.destroy();
    const unknown = await client(port, 'nobody', creds.password);
    assert.equal(unknown.status, 0x0d);
    unknown.c.session.destroy();
    const ok = await client(port, creds.systemId, creds.password);
    assert.equal(ok.status, 0);
    ok.c.session.destroy();
  });

  it('accepts submit_sm through intake, answers our message id, and sends the delivery receipt back', async () => {
    const { c } = await client(port, creds.systemId, creds.password);
    try {
      const resp = await submit(c, { source_addr: '', destination_addr: '14155550100', short_message: 'Your code is 4321', registered_delivery: 1 });
      assert.equal(resp.command_status, 0);
      const id = String(resp.message_id);
      assert.match(id, /^[0-9A-Z]{26}$/, 'plain ASCII letters and digits, the same in any default alphabet');
      const m = (await t.call('GET', `/v1/messages/msg_${id}`)).body;
      assert.deepEqual([m.to, m.body, m.account_id ?? 'default'], ['+14155550100', 'Your code is 4321', 'default']);
      const dlr = await eventually(async () => c.delivered.find((p) => String(p.receipted_message_id) === id), 10_000, 'the receipt');
      assert.equal(Number(dlr.esm_class) & 0x04, 0x04);
      assert.equal(Number(dlr.message_state), 2);
      const text = String((dlr.short_message as { message: string }).message);
      assert.equal(Number(dlr.data_coding), 0);
      assert.match(text, new RegExp(`^id:${id} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:Your code is 4321$`));
    } finally { c.session.destroy(); }
  });

  it('refuses what intake refuses, with the matching command_status; submit before bind is refused', async () => {
    const { c } = await client(port, creds.systemId, creds.password);
    try {
      assert.equal((await submit(c, { destination_addr: '12', short_message: 'x' })).command_status, 0x0b, 'ESME_RINVDSTADR');
      assert.equal((await submit(c, { destination_addr: '14155550100', short_message: '' })).command_status, 0x01, 'ESME_RINVMSGLEN');
    } finally { c.session.destroy(); }
    const raw = smpp.connect({ host: '127.0.0.1', port });
    raw.on('error', () => {});
    await new Promise<void>((r) => raw.on('connect', () => r()));
    const early = await new Promise<PDU>((r) => raw.submit_sm({ destination_addr: '14155550100', short_message: 'hi' }, r));
    assert.equal(early.command_status, 0x04, 'ESME_RINVBNDSTS');
    raw.destroy();
  });

  it('joins a long text sent in UDH parts into one message, and a resubmitted sequence number is the same message', async () => {
    const { c } = await client(port, creds.systemId, creds.password);
    try {
      const parts = ['first half, ', 'second half.'];
      const resps = await Promise.all(parts.map((message, i) => submit(c, { destination_addr: '14155550101', short_message: { udh: Buffer.from([5, 0, 3, 42, 2, i + 1]), message } })));
      assert.deepEqual(resps.map((r) => r.command_status), [0, 0]);
      // Each part has its own id: the message's, then the part number.
      const [one, two] = resps.map((r) => String(r.message_id));
      assert.equal(one.slice(0, 26), two.slice(0, 26));
      assert.deepEqual([one.slice(26), two.slice(26)], ['1', '2']);
      const m = (await t.call('GET', `/v1/messages/msg_${one.slice(0, 26)}`)).body;
      assert.equal(m.body, 'first half, second half.');
      // The same sequence number again within this bind: the same message, not a second one.
      const pdu = (seq: number) => new smpp.PDU('submit_sm', { sequence_number: seq, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '14155550102', short_message: 'once' });
      const a = await new Promise<PDU>((r) => c.session.send(pdu(9001), r));
      const b = await new Promise<PDU>((r) => c.session.send(pdu(9001), r));
      assert.equal(String(a.message_id), String(b.message_id));
    } finally { c.session.destroy(); }
  });

  it('delivers inbound texts to the account\'s bound receivers, and only its own', async () => {
    const mine = await client(port, creds.systemId, creds.password, 'bind_receiver');
    const theirs = await client(port, other.systemId, other.password, 'bind_receiver');
    try {
      assert.equal(mine.status, 0);
      const now = Date.now();
      await t.app.ctx.store.insertInbound([{ id: newId('inb'), account_id: 'default', provider_id: 'simulator', provider_message_id: `mo-${now}`, from_number: '+14155550123', to_number: '+15005550006', body: 'STATUS? ü', webhook_id: 'whk_test', received_at: now, created_at: now }]);
      const mo = await eventually(async () => mine.c.delivered.find((p) => Number(p.esm_class ?? 0) === 0), 10_000, 'the inbound text');
      assert.deepEqual([mo.source_addr, mo.destination_addr, String((mo.short_message as { message: string }).message)], ['14155550123', '15005550006', 'STATUS? ü']);
      // A text of their own, stored after ours: once it reaches them, ours would have too, had it been going to.
      const later = Date.now();
      await t.app.ctx.store.insertInbound([{ id: newId('inb'), account_id: 'acct-other', provider_id: 'simulator', provider_message_id: `mo-other-${later}`, from_number: '+14155550124', to_number: '+15005550007', body: 'theirs', webhook_id: 'whk_test2', received_at: later, created_at: later }]);
      await eventually(async () => theirs.c.delivered.length > 0, 10_000, 'their own text');
      assert.deepEqual(theirs.c.delivered.map((p) => String((p.short_message as { message: string }).message)), ['theirs'], 'another account\'s receiver gets only its own');
    } finally { mine.c.session.destroy(); theirs.c.session.destroy(); }
  });

  it('unbinds a client that stops answering enquire_link', async () => {
    const session = smpp.connect({ host: '127.0.0.1', port });
    session.on('error', () => {});
    await new Promise<void>((r) => session.on('connect', () => r()));
    assert.equal((await new Promise<PDU>((r) => session.bind_transceiver({ system_id: creds.systemId, password: creds.password }, r))).command_status, 0);
    // This client never answers the server's enquire_link.
    let closed = false;
    session.on('close', () => { closed = true; });
    await eventually(async () => closed, 10_000, 'the silent client to be dropped');
  });

  it('answers a malformed PDU with generic_nack and closes that connection; the listener carries on', async () => {
    const sock = tcp({ host: '127.0.0.1', port });
    await new Promise((r) => sock.on('connect', r));
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    // An unknown command id, then a length no PDU may have.
    const unknown = Buffer.alloc(16); unknown.writeUInt32BE(16, 0); unknown.writeUInt32BE(0x99, 4); unknown.writeUInt32BE(7, 12);
    sock.write(unknown);
    await eventually(async () => got.length > 0, 5_000, 'generic_nack');
    const nack = Buffer.concat(got);
    assert.deepEqual([nack.readUInt32BE(4), nack.readUInt32BE(8), nack.readUInt32BE(12)], [0x80000000, 0x03, 7]);
    const huge = Buffer.alloc(16); huge.writeUInt32BE(0x7fffffff, 0); huge.writeUInt32BE(0x04, 4);
    sock.write(huge);
    await eventually(async () => sock.destroyed || sock.readableEnded, 5_000, 'the connection closed');
    sock.destroy();
    const again = await client(port, creds.systemId, creds.password);
    assert.equal(again.status, 0, 'new binds still work');
    again.c.session.destroy();
  });
});

describe('SMPP server limits and shutdown', () => {
  it('throttles beyond the per-bind rate, and unbinds clients at shutdown', async () => {
    const port = await freePort();
    const t = await startApp({ smppPort: port, smppMaxPerSecond: 1 });
    const store = t.app.ctx.store;
    const creds = await createSmppCredentials(store, (await createKey(store, { name: 'busy' })).key);
    const { c } = await client(port, creds.systemId, creds.password);
    try {
      const resps = await Promise.all([1, 2, 3, 4].map((i) => submit(c, { destination_addr: '14155550103', short_message: `burst ${i}` })));
      const statuses = resps.map((r) => r.command_status);
      assert.ok(statuses.includes(0), 'some accepted');
      assert.ok(statuses.includes(0x58), `some throttled: ${statuses}`);
    } finally {
      await t.stop();
    }
    assert.equal(c.unbound, true, 'unbind sent at shutdown');
    c.session.destroy();
  });
});
