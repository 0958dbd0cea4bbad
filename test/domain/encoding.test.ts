import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countSegments, isGsm7 } from '../../src/domain/encoding.ts';

const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

describe('encoding and segments (domain.md §1)', () => {
  const table: [string, string, 'GSM-7' | 'UCS-2', number[]][] = [
    ['160 × a fits one GSM segment', 'a'.repeat(160), 'GSM-7', [160]],
    ['161 × a needs two parts of 153 + 8', 'a'.repeat(161), 'GSM-7', [153, 8]],
    ['70 × ж fits one UCS-2 segment', 'ж'.repeat(70), 'UCS-2', [70]],
    ['71 × ж needs two UCS-2 parts', 'ж'.repeat(71), 'UCS-2', [67, 4]],
    ['152 × a + ж is three UCS-2 segments (Twilio example)', 'a'.repeat(152) + 'ж', 'UCS-2', [67, 67, 19]],
    ['an extension character costs two septets', '€'.repeat(80), 'GSM-7', [160]],
    ['81 euro signs overflow into parts', '€'.repeat(81), 'GSM-7', [152, 10]],
    ['an escape pair is never split across parts', 'a'.repeat(152) + '€' + 'a'.repeat(10), 'GSM-7', [152, 12]],
    ['an emoji counts two UTF-16 units', '😀'.repeat(35), 'UCS-2', [70]],
    ['a surrogate pair is never split across parts', 'a'.repeat(66) + '😀' + 'a'.repeat(10), 'UCS-2', [66, 12]],
    ['a ZWJ family emoji stays whole in one part', 'a'.repeat(60) + '👨‍👩‍👧' + 'b'.repeat(10), 'UCS-2', [60, 18]],
    ['the empty body is one GSM segment', '', 'GSM-7', [0]],
  ];
  for (const [name, text, encoding, per] of table) {
    it(name, () => {
      const r = countSegments(text);
      assert.equal(r.encoding, encoding);
      assert.deepEqual(r.unitsPerSegment, per);
      assert.equal(r.segments, per.length);
    });
  }

  it('the whole GSM 03.38 basic set is GSM-7 at one septet each', () => {
    assert.equal([...GSM_BASIC].length, 127);
    const r = countSegments(GSM_BASIC);
    assert.equal(r.encoding, 'GSM-7');
    assert.equal(r.units, 127);
  });

  it('every extension-table character is GSM-7 at two septets', () => {
    for (const ch of '\f^{}\\[~]|€') {
      const r = countSegments(ch);
      assert.equal(r.encoding, 'GSM-7', JSON.stringify(ch));
      assert.equal(r.units, 2, JSON.stringify(ch));
    }
  });

  it('characters outside GSM 03.38 force UCS-2', () => {
    for (const ch of ['ç', 'á', 'í', 'ó', 'ú', 'ê', 'Á', 'Ú', 'Í', 'Ó', '“', '’', '–', '—', '…', '\u2126', '`', '😀']) {
      assert.equal(isGsm7(`hello ${ch}`), false, `${ch} U+${ch.codePointAt(0)!.toString(16)}`);
    }
    // Greek capitals that are in the set, against their look-alikes
    assert.equal(isGsm7('ΔΦΓΛΩΠΨΣΘΞ'), true);
    assert.equal(isGsm7('Ç'), true);
  });
});
