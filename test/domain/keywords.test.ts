import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keywordOf } from '../../src/domain/keywords.ts';

const lists = { stop: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'], start: ['START', 'UNSTOP', 'YES'], help: ['HELP', 'INFO'] };

describe('compliance keywords', () => {
  it('recognises a whole-message keyword whatever its case, spacing or trailing punctuation', () => {
    assert.equal(keywordOf('stop', lists), 'stop');
    assert.equal(keywordOf('  Unsubscribe! ', lists), 'stop');
    assert.equal(keywordOf('UNSTOP', lists), 'start');
    assert.equal(keywordOf('info?', lists), 'help');
  });

  it('ignores keywords inside a longer message', () => {
    assert.equal(keywordOf('please stop by', lists), null);
    assert.equal(keywordOf('yes please', lists), null);
    assert.equal(keywordOf('', lists), null);
  });

  it('uses the configured lists', () => {
    assert.equal(keywordOf('ARRET', { ...lists, stop: [...lists.stop, 'ARRET'] }), 'stop');
    assert.equal(keywordOf('QUIT', { ...lists, stop: ['STOP'] }), null);
  });
});
