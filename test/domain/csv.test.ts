import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvRows, parseCsv } from '../../src/domain/csv.ts';

describe('CSV cells', () => {
  const dangerous = ['=1+2', '+14155550100', '-3', '@SUM(A1)', '\tcmd', '\r=x'];

  it('neutralises every cell that a spreadsheet would take for a formula, headers too', () => {
    for (const d of dangerous) assert.ok(csvCell(d).replace(/^"/, '').startsWith("'"), JSON.stringify(d));
    assert.equal(csvCell('twilio'), 'twilio');
    assert.equal(csvCell(12.5), '12.5');
    assert.equal(csvCell(null), '');
  });

  it('quotes cells with commas, quotes, CR or LF, so the file parses back to the same rows', () => {
    const rows = [['=group', 'total'], ...dangerous.map((d, i) => [d, String(i)]), ['a,b', 'say "hi"'], ['line\nbreak', 'bare\rcr']];
    const back = parseCsv(csvRows(rows));
    assert.equal(back.length, rows.length, 'no cell split a row');
    assert.deepEqual(back, rows.map((r) => r.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c))));
  });
});

describe('CSV reading', () => {
  it('reads RFC 4180: quoted commas, doubled quotes and line breaks, CRLF or LF, a BOM, blank lines skipped', () => {
    const text = '\uFEFFcountry,mcc,mnc,price\r\n"United States, of America",310,260,0.0040\r\n\r\n"say ""hi""","a\nb",,0.01\nlast,1,2,3';
    assert.deepEqual(parseCsv(text), [
      ['country', 'mcc', 'mnc', 'price'],
      ['United States, of America', '310', '260', '0.0040'],
      ['say "hi"', 'a\nb', '', '0.01'],
      ['last', '1', '2', '3'],
    ]);
  });
});
