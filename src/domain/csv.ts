// CSV cells that a spreadsheet opens safely (OWASP "CSV injection"):
// - a cell that starts with `=`, `+`, `-`, `@`, TAB or CR could be read as a formula: it is
//   prefixed with `'`, which spreadsheets show as text and do not evaluate;
// - a cell that holds a comma, a double quote, CR or LF is quoted (RFC 4180), its quotes
//   doubled, so no cell can split a row or add a column.
// Header cells go through the same rule.

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
