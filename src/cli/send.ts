// switchboard send --csv people.csv (--template ID | --body TEXT) [--dry-run]: a bulk send
// from a file, through a running server's POST /v1/batches, in chunks of 1,000 rows. Each
// chunk's Idempotency-Key is derived from the file's content and the chunk's place, so
// running the command again after an interruption sends nothing twice: the chunks already
// accepted answer with their batch. Then it follows the batches with a progress line (sent,
// failed, rate, time left) until nothing is queued or being sent, and prints a summary.
// The file: a header row; `to` (or `number`, `phone`) is the recipient; `metadata.<key>`
// columns become metadata; every other column is a template variable.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parseCsv } from '../domain/csv.ts';
import { loadConfig } from '../config.ts';
import { FINAL_STATUSES } from '../domain/status.ts';

const USAGE = 'usage: switchboard send --csv FILE (--template ID | --body TEXT) [--from N] [--category marketing] [--topic T] [--priority P] [--dry-run] [--no-wait] [--url URL]';
const CHUNK = 1_000;
/** what did not make it: every final status but delivered */
const NOT_DELIVERED = [...FINAL_STATUSES].filter((s) => s !== 'delivered');

interface Batch { id: string; total: number; accepted: number; refused: number; done: number; by_status: Record<string, number> }
interface Row { to: string; variables?: Record<string, string>; metadata?: Record<string, string> }

/** The file's rows as batch recipients, or the problems found. */
export function recipientsOf(text: string): { rows: Row[]; problems: string[] } {
  const [header = [], ...lines] = parseCsv(text);
  const names = header.map((h) => h.trim());
  const toAt = names.findIndex((h) => ['to', 'number', 'phone'].includes(h.toLowerCase()));
  if (toAt < 0) return { rows: [], problems: ['the header names no to (or number, phone) column'] };
  const rows = lines.map((cells) => {
    const row: Row = { to: (cells[toAt] ?? '').trim().replace(/^'/, '') };
    names.forEach((name, i) => {
      if (i === toAt || name === '') return;
      const value = cells[i] ?? '';
      if (name.startsWith('metadata.')) (row.metadata ??= {})[name.slice('metadata.'.length)] = value;
      else (row.variables ??= {})[name] = value;
    });
    return row;
  });
  return { rows, problems: rows.length === 0 ? ['the file has no rows'] : [] };
}

function bar(done: number, total: number): string {
  const width = 24;
  const full = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

export async function sendCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args, options: {
      csv: { type: 'string' }, template: { type: 'string' }, body: { type: 'string' }, from: { type: 'string' }, category: { type: 'string' }, topic: { type: 'string' },
      priority: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'no-wait': { type: 'boolean' }, url: { type: 'string' },
    },
  });
  if (!values.csv || (values.template === undefined) === (values.body === undefined)) { console.error(USAGE); return 2; }
  const text = readFileSync(values.csv, 'utf8');
  const { rows, problems } = recipientsOf(text);
  for (const p of problems) console.error(`! ${p}`);
  if (problems.length > 0) return 1;
  const config = loadConfig();
  const key = process.env.SWITCHBOARD_KEY || config.adminKey;
  if (!key) { console.error('switchboard: set SWITCHBOARD_KEY (a key with the send scope) or SWITCHBOARD_ADMIN_KEY'); return 2; }
  const url = values.url ?? `http://127.0.0.1:${config.port}`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const common = {
    ...(values.template !== undefined ? { template: values.template } : { body: values.body }),
    ...(values.from ? { from: values.from } : {}), ...(values.category ? { category: values.category } : {}),
    ...(values.topic ? { topic: values.topic } : {}), ...(values.priority ? { priority: values.priority } : {}),
  };
  const fileKey = createHash('sha256').update(text).update(JSON.stringify(common)).digest('hex').slice(0, 24);
  const batches: Batch[] = [];
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const res = await fetch(`${url}/v1/batches${values['dry-run'] ? '?dry_run=true' : ''}`, {
      method: 'POST', headers: { ...headers, 'idempotency-key': `csv-${fileKey}-${start}` }, body: JSON.stringify({ ...common, recipients: chunk }),
    });
    const body = await res.json() as Batch & { error?: { message: string; details?: { index: number; code: string; message: string }[] } };
    if (!res.ok) {
      console.error(`switchboard: rows ${start + 2}–${start + chunk.length + 1}: ${body.error?.message ?? res.status}`);
      for (const d of body.error?.details ?? []) console.error(`! line ${start + d.index + 2}: ${d.code}: ${d.message}`);
      if (batches.length > 0) console.error(`${batches.length * CHUNK} rows before them were accepted; run the same command again once the file is fixed: those are not sent twice`);
      return 1;
    }
    batches.push(body);
    console.error(`${values['dry-run'] ? 'checked' : 'accepted'} rows ${start + 1}–${start + chunk.length} of ${rows.length}${values['dry-run'] ? '' : ` (batch ${body.id})`}`);
  }
  if (values['dry-run']) { console.log(`${rows.length} rows valid (dry run: nothing sent)`); return 0; }
  const started = Date.now();
  let last: Batch[] = batches;
  for (;;) {
    const done = last.reduce((n, b) => n + b.done, 0);
    const sent = last.reduce((n, b) => n + (b.by_status.sent ?? 0) + (b.by_status.delivered ?? 0), 0);
    const failed = last.reduce((n, b) => n + b.refused + NOT_DELIVERED.reduce((m, s) => m + (b.by_status[s] ?? 0), 0), 0);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = rate > 0 ? Math.ceil((rows.length - done) / rate) : null;
    const line = `${bar(done, rows.length)} ${done}/${rows.length} done · ${sent} sent · ${failed} failed · ${rate.toFixed(0)}/s${left === null ? '' : ` · ${left} s left`}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
    // Done waiting once nothing is queued or being sent: a receipt may come hours later (or
    // never), and a message held for its send window waits for it; the summary says so.
    const moving = last.reduce((n, b) => n + (b.by_status.queued ?? 0) + (b.by_status.sending ?? 0), 0);
    if (done >= rows.length || moving === 0 || values['no-wait']) break;
    await new Promise((r) => setTimeout(r, 1_000));
    last = await Promise.all(batches.map(async (b) => (await (await fetch(`${url}/v1/batches/${b.id}`, { headers })).json()) as Batch));
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  const count = (s: string) => last.reduce((n, b) => n + (b.by_status[s] ?? 0), 0);
  const refused = last.reduce((n, b) => n + b.refused, 0);
  const held = count('scheduled') > 0 ? `, ${count('scheduled')} scheduled (send_at or quiet hours)` : '';
  console.log(`${rows.length} rows: ${count('delivered')} delivered, ${count('sent')} sent (no receipt yet), ${count('failed') + count('undelivered') + count('expired')} failed, ${refused} refused (opted out)${held}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const b of last) if (b.refused > 0 || NOT_DELIVERED.some((s) => (b.by_status[s] ?? 0) > 0)) console.log(`what did not make it: ${url}/v1/batches/${b.id}/failures`);
  return 0;
}
