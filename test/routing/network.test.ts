// Routing below the country (routing/network.ts): the most specific price and rule win.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, keyKind, lookupCompiled, type Network } from '../../src/routing/network.ts';

describe('prices and rules by network and prefix', () => {
  const prices = { '*': '0.0500', US: '0.0079', '+1415': '0.0070', '+14155': '0.0065', '310-260': '0.0040' };

  it('prices a destination by its network, else its longest prefix (the router falls back to the country, then "*")', () => {
    const c = compile(Object.entries(prices));
    const price = (to: string, network: Network | null) => lookupCompiled(c, to, network);
    assert.deepEqual(price('+14155550100', { mcc: '310', mnc: '260' }), { key: '310-260', value: '0.0040' });
    assert.deepEqual(price('+14155550100', null), { key: '+14155', value: '0.0065' });
    assert.deepEqual(price('+14151230000', { mcc: '310', mnc: '410' }), { key: '+1415', value: '0.0070' });
    assert.equal(price('+12125550100', null), undefined);
    assert.deepEqual(lookupCompiled(compile([['310260', '0.0030']]), '+1', { mcc: '310', mnc: '260' }), { key: '310-260', value: '0.0030' }, 'a network key without its dash');
  });

  it('picks the network\'s rule first, then the longest prefix\'s', () => {
    const rules = compile([['+1', 'a'], ['+1415', 'b'], ['310-260', 'c']]);
    assert.equal(lookupCompiled(rules, '+14155550100', { mcc: '310', mnc: '260' })?.value, 'c');
    assert.equal(lookupCompiled(rules, '+14155550100', { mcc: '310', mnc: '410' })?.value, 'b');
    assert.equal(lookupCompiled(rules, '+12125550100', null)?.value, 'a');
    assert.equal(lookupCompiled(rules, '+447700900000', null), undefined);
  });

  it('tells what a key names, and refuses anything else', () => {
    assert.deepEqual(['*', 'US', '+4477', '310-260', '23415', 'us', '+', 'abc', '3102600'].map(keyKind), ['any', 'country', 'prefix', 'network', 'network', null, null, null, null]);
  });
});
