// Routing below the country (routing/network.ts): the most specific price and rule win.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyKind, matchRule, priceFor } from '../../src/routing/network.ts';

describe('prices and rules by network and prefix', () => {
  const prices = { '*': '0.0500', US: '0.0079', '+1415': '0.0070', '+14155': '0.0065', '310-260': '0.0040' };

  it('prices a destination by its network, else its longest prefix, else its country, else "*"', () => {
    assert.deepEqual(priceFor(prices, '+14155550100', 'US', { mcc: '310', mnc: '260' }), { price: '0.0040', key: '310-260' });
    assert.deepEqual(priceFor(prices, '+14155550100', 'US', null), { price: '0.0065', key: '+14155' });
    assert.deepEqual(priceFor(prices, '+14151230000', 'US', { mcc: '310', mnc: '410' }), { price: '0.0070', key: '+1415' });
    assert.deepEqual(priceFor(prices, '+12125550100', 'US', null), { price: '0.0079', key: 'US' });
    assert.deepEqual(priceFor(prices, '+447700900000', 'GB', null), { price: '0.0500', key: '*' });
    assert.equal(priceFor({ US: '0.01' }, '+447700900000', 'GB', null), undefined);
    assert.deepEqual(priceFor({ '310260': '0.0030' }, '+1', 'US', { mcc: '310', mnc: '260' }), { price: '0.0030', key: '310260' }, 'a network key without its dash');
  });

  it('picks the network\'s rule first, then the longest prefix\'s', () => {
    const rules = [{ match: '+1', providers: ['a'] }, { match: '+1415', providers: ['b'] }, { match: '310-260', providers: ['c'] }];
    assert.equal(matchRule(rules, '+14155550100', { mcc: '310', mnc: '260' })?.match, '310-260');
    assert.equal(matchRule(rules, '+14155550100', { mcc: '310', mnc: '410' })?.match, '+1415');
    assert.equal(matchRule(rules, '+12125550100', null)?.match, '+1');
    assert.equal(matchRule(rules, '+447700900000', null), undefined);
  });

  it('tells what a key names, and refuses anything else', () => {
    assert.deepEqual(['*', 'US', '+4477', '310-260', '23415', 'us', '+', 'abc', '3102600'].map(keyKind), ['any', 'country', 'prefix', 'network', 'network', null, null, null, null]);
  });
});
