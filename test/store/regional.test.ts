// The RegionalStore on its own (store/regional/), over three real SQLite stores (home, eu,
// us): where rows go, how reads find them, and what a move of a country leaves behind.
// (test/e2e/regions.test.ts runs the whole service on SQLite files and PostgreSQL databases.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeSqliteStore, type TestStore } from '../helpers/stores.ts';
import { newMessage } from '../helpers/rows.ts';
import { consent } from './areas/helpers.ts';
import { regionalStore } from '../../src/store/regional/regional-store.ts';
import { idRegion, parseRegionMap, tagId } from '../../src/domain/regions.ts';
import { newId } from '../../src/domain/ids.ts';
import type { Store } from '../../src/store/store.ts';
import { readMerged } from '../../src/http/routes/v1/events.ts';

describe('regional store', () => {
  let home: TestStore, eu: TestStore, us: TestStore;
  let store: Store;
  const over = (countries: string) => regionalStore(home.store, [eu.store, us.store], parseRegionMap('eu,us', countries)!);

  before(async () => {
    [home, eu, us] = await Promise.all([makeSqliteStore(), makeSqliteStore(), makeSqliteStore()]);
    store = over('eu=DE,FR;us=*');
  });
  after(async () => { await Promise.all([home, eu, us].map((s) => s.dispose())); });

  it('writes a message to the region its id names, and reads it, its list and its counts across regions', async () => {
    const de = newMessage({ id: tagId(newId('msg'), 0), to_number: '+4915123456789', country: 'DE' });
    const us1 = newMessage({ id: tagId(newId('msg'), 1), to_number: '+12125550100', country: 'US' });
    const results = await store.insertMessages([de, us1]);
    assert.deepEqual(results.map((r) => r.kind), ['inserted', 'inserted'], 'answers in the order given');
    assert.ok(await eu.store.getMessage(null, de.row.id));
    assert.equal(await us.store.getMessage(null, de.row.id), undefined);
    assert.ok(await us.store.getMessage(null, us1.row.id));
    assert.equal((await home.store.listMessages({ accountId: 'default', limit: 10 })).length, 0, 'nothing in the home store');
    assert.equal((await store.getMessage('default', de.row.id))?.id, de.row.id);
    assert.deepEqual((await store.listMessages({ accountId: 'default', limit: 10 })).map((m) => m.id), [us1.row.id, de.row.id].sort().reverse());
    assert.equal((await store.queueStats(Date.now())).depth, 2, 'the queue adds up every region');
    assert.deepEqual((await store.countByCountry()).sort((a, b) => String(a.country).localeCompare(String(b.country))), [{ country: 'DE', n: 1 }, { country: 'US', n: 1 }]);
  });

  it('finds a message whose id names no region it is in (made before regions) by asking the others', async () => {
    const id = newId('msg');
    const wrong = idRegion(id) === 1 ? eu.store : us.store; // the region its random tag does not name
    await wrong.insertMessages([newMessage({ id })]);
    assert.equal((await store.getMessage(null, id))?.id, id);
    assert.equal(await store.getMessage(null, newId('msg')), undefined, 'not found anywhere');
  });

  it('keeps an opt-out in its number\'s region, and still finds it after the country moves to another region', async () => {
    await consent(store, { account: 'default', number: '+4915100000001' });
    assert.equal((await eu.store.listOptOuts('default', '+4915100000001')).length, 1);
    assert.equal((await us.store.listOptOuts('default', '+4915100000001')).length, 0);
    const moved = over('us=*');
    assert.equal((await moved.listOptOuts('default', '+4915100000001')).length, 1, 'the STOP given before the move holds');
    assert.equal((await moved.listConsent('default', '+4915100000001')).length, 0, 'the history is read from the number\'s region: run switchboard regions to see what stays');
  });

  it('keeps configuration in the home store', async () => {
    const now = Date.now();
    await store.upsertNumber({ number: '+4915100000099', provider_id: 'sim', account_id: 'default', country: 'DE', type: 'longcode', capabilities: '["sms"]', rate_per_second: 1, pool: 'default', active: 1, created_at: now, updated_at: now });
    assert.ok((await home.store.listNumbers()).some((n) => n.number === '+4915100000099'));
    assert.equal((await eu.store.listNumbers()).length, 0);
  });

  it('the event feed over several outboxes pages through every event once, each outbox in its own order', async () => {
    const ev = (id: string, time: number) => ({ id, account_id: 'default', type: 'message.accepted', subject: id, message_id: null, time, data: '{}' });
    // Times out of step with positions within the EU outbox: a page cut by time alone would skip one.
    await eu.store.appendEvents([ev('evt_feed_a1', 100), ev('evt_feed_a2', 50)]);
    await us.store.appendEvents([ev('evt_feed_b1', 75)]);
    const outboxes = [eu.store, us.store];
    const seen: string[] = [];
    let after = [0, 0];
    for (let i = 0; i < 10; i++) {
      const page = await readMerged(outboxes, after, { limit: 1 });
      if (page.events.length === 0) break;
      seen.push(...page.events.map((e) => e.id));
      after = page.next.split('.').map(Number);
    }
    assert.deepEqual(seen.filter((id) => id.startsWith('evt_feed_')), ['evt_feed_b1', 'evt_feed_a1', 'evt_feed_a2']);
  });
});
