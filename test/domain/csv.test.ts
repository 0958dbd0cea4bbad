import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvRows } from '../../src/domain/csv.ts';

/** An RFC 4180 reader, written here so the test does not trust the writer's idea of quoting. */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  return rows;
}

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
    const back = parse(csvRows(rows));
    assert.equal(back.length, rows.length, 'no cell split a row');
    assert.deepEqual(back, rows.map((r) => r.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c))));
  });
});
