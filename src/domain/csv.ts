// CSV cells that a spreadsheet opens safely (OWASP "CSV injection"):
// - a cell that starts with `=`, `+`, `-`, `@`, TAB or CR could be read as a formula: it is
//   prefixed with `'`, which spreadsheets show as text and do not evaluate;
// - a cell that holds a comma, a double quote, CR or LF is quoted (RFC 4180), its quotes
//   doubled, so no cell can split a row or add a column.
// Header cells go through the same rule.
// And reading: RFC 4180 rows (quoted cells, doubled quotes, CRLF or LF), for imports.

const FORMULA = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (FORMULA.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of cells as CSV text, CRLF-free: one LF after each row. */
export function csvRows(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** CSV text as rows of cells: quoted cells may hold commas, quotes ("") and line breaks; blank lines are skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const src = text.replace(/^\uFEFF/, '');
  const endRow = () => { row.push(cell); if (row.length > 1 || row[0] !== '') rows.push(row); row = []; cell = ''; };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') { if (ch === '\r' && src[i + 1] === '\n') i++; endRow(); }
    else cell += ch;
  }
  if (cell !== '' || row.length > 0) endRow();
  return rows;
}
