// GET /v1/events (issue 27): the event feed for consumers without a broker. It pages by
// cursor oldest first, long-polls with ?wait=, filters by type, and shows each account
// only its own events (an operator every account's).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';

describe('the event feed', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  const as = (account: string) => ({ authorization: `Bearer ${keys[account]}` });
  before(async () => {
    t = await startApp();
    for (const account of ['feed_a', 'feed_b']) {
      const k = await t.call('POST', '/v1/keys', { name: account, account_id: account, scopes: ['send', 'read'] });
      keys[account] = k.body.secret;
    }
  });
  after(async () => { await t.stop(); });

  /** Every event the caller can read, following next_cursor page by page. */
  async function readAll(headers: Record<string, string>, query = ''): Promise<{ events: any[]; pages: number; cursor: string }> {
    const events: any[] = [];
    let cursor = '0';
    for (let pages = 1; ; pages++) {
      const r = await t.call('GET', `/v1/events?after=${cursor}&limit=3${query}`, undefined, headers);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      events.push(...r.body.data);
      if (r.body.data.length === 0) return { events, pages, cursor };
      assert.equal(r.body.next_cursor, r.body.data.at(-1).sequence);
      cursor = r.body.next_cursor;
    }
  }

  it('pages every event of a message, oldest first, as CloudEvents; a type filter keeps only those', async () => {
    const sent = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'feed a' }, as('feed_a'));
    assert.equal(sent.status, 202);
    const all = await eventually(async () => {
      const r = await readAll(as('feed_a'));
      return r.events.some((e) => e.type === 'switchboard.message.delivered') && r;
    }, 15_000, 'the message delivered, in the feed');
    assert.ok(all.pages > 1, 'more than one page of 3');
    const mine = all.events.filter((e) => e.subject === sent.body.id);
    assert.deepEqual(mine.map((e) => e.type), ['switchboard.message.accepted', 'switchboard.message.sent', 'switchboard.message.receipt', 'switchboard.message.delivered']);
    const accepted = mine[0];
    assert.equal(accepted.specversion, '1.0');
    assert.equal(accepted.datacontenttype, 'application/json');
    assert.equal(accepted.account_id, 'feed_a');
    assert.equal(accepted.data.id, sent.body.id);
    assert.equal(accepted.data.status, 'queued');
    const delivered = await readAll(as('feed_a'), '&types=message.delivered,switchboard.message.failed');
    assert.deepEqual([...new Set(delivered.events.map((e) => e.type))], ['switchboard.message.delivered']);
  });

  it('shows each account only its own events; an operator reads every account\'s, or one\'s', async () => {
    const b = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'feed b' }, as('feed_b'));
    await eventually(async () => (await readAll(as('feed_b'))).events.some((e) => e.subject === b.body.id), 15_000, 'b\'s event');
    const a = await readAll(as('feed_a'));
    assert.ok(a.events.length > 0 && a.events.every((e) => e.account_id === 'feed_a'), 'a sees only its own');
    assert.ok(!a.events.some((e) => e.subject === b.body.id));
    const other = await t.call('GET', '/v1/events?account_id=feed_b', undefined, as('feed_a'));
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, 'forbidden');
    const operator = await readAll({});
    assert.ok(['feed_a', 'feed_b'].every((acc) => operator.events.some((e) => e.account_id === acc)), 'the operator sees both');
    const onlyB = await readAll({}, '&account_id=feed_b');
    assert.ok(onlyB.events.length > 0 && onlyB.events.every((e) => e.account_id === 'feed_b'));
  });

  it('?wait= holds an empty answer until an event comes, then answers with it', async () => {
    const { cursor } = await readAll(as('feed_a'));
    await eventually(async () => (await t.call('GET', `/v1/events?after=${cursor}`, undefined, as('feed_a'))).body.data.length === 0, 15_000, 'nothing more for a');
    const waiting = t.call('GET', `/v1/events?after=${cursor}&wait=20&types=message.accepted`, undefined, as('feed_a'));
    const sent = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'feed wait' }, as('feed_a'));
    const r = await waiting;
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.map((e: any) => [e.type, e.subject]), [['switchboard.message.accepted', sent.body.id]]);
    assert.ok(Number(r.body.next_cursor) > Number(cursor));
  });

  it('a cursor it did not hand out or an unknown type is a 400 naming the field', async () => {
    const bad = await t.call('GET', '/v1/events?after=abc');
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_cursor']);
    const type = await t.call('GET', '/v1/events?types=message.exploded');
    assert.deepEqual([type.status, type.body.error.code, type.body.error.field], [400, 'validation_error', 'types']);
  });
});

describe('the event feed on PostgreSQL, with no sink', { skip: pgSkip }, () => {
  it('gives positions once the feed is read, and pages every event of a message', async () => {
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const t = await startApp({ simulator: 'on' }, { store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) });
    try {
      const sent = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'feed pg' });
      await eventually(async () => (await t.call('GET', `/v1/messages/${sent.body.id}`)).body.status === 'delivered', 15_000, 'delivered');
      const types = await eventually(async () => {
        const r = await t.call('GET', '/v1/events?limit=200&wait=2');
        const mine = r.body.data.filter((e: { subject: string }) => e.subject === sent.body.id).map((e: { type: string }) => e.type);
        return mine.includes('switchboard.message.delivered') && mine;
      }, 20_000, 'the message\'s events in the feed');
      assert.deepEqual(types, ['switchboard.message.accepted', 'switchboard.message.sent', 'switchboard.message.receipt', 'switchboard.message.delivered']);
    } finally {
      await t.stop();
      await owner.dispose();
    }
  });
});
