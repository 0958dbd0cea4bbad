// Price lists as aggregators publish them (services/price-list.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readPriceList } from '../../src/services/price-list.ts';

describe('price list import', () => {
  it('reads networks, prefixes and countries; replaces what it names and keeps the rest; says what changes', () => {
    const csv = 'Country,Network,MCC,MNC,Prefix,Price per SMS,Currency\nUS,T-Mobile,310,260,,0.0040,USD\nUS,,,,,0.0075,USD\nGB,,,,+4477,0.0300,USD\nUS,,,,,0.0075,USD\n';
    const r = readPriceList(csv, { US: '0.0079', '*': '0.0500', '310-260': '0.0040' });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.changes, [{ key: 'US', from: '0.0079', to: '0.0075' }, { key: '+4477', from: null, to: '0.0300' }]);
    assert.equal(r.unchanged, 1, 'the network price was already so');
    assert.deepEqual(r.prices, { US: '0.0075', '*': '0.0500', '310-260': '0.0040', '+4477': '0.0300' });
  });

  it('names every line it cannot read, and a header without a price or a destination', () => {
    const r = readPriceList('mcc,mnc,price\n310,260,abc\n,,0.01\n31,260,0.01\n', {});
    assert.deepEqual(r.problems.map((p) => p.split(':')[0]), ['line 2', 'line 3', 'line 4']);
    assert.match(readPriceList('country,cost\nUS,0.01\n', {}).problems[0], /no price column/);
    assert.match(readPriceList('network,price\nx,0.01\n', {}).problems[0], /no mcc\/mnc, prefix or country/);
  });
});
