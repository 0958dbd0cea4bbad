// The SQLite writer thread (see threaded-store.ts): owns a second connection to the same
// file and runs the hot writes posted to it. Writes that arrive together run in one
// transaction (each in its own savepoint, so one failing is undone alone) and one
// commit: group commit across intake, raw webhooks and the worker's bookkeeping. Every
// reply is posted after that COMMIT returned, so "done" still means "on disk".
//
// Each commit costs about the same whatever it holds (every page it touched is written
// to the WAL, then fsynced), so commits are kept few and intake is kept waiting little:
// - an intake batch is written at once; the worker's bookkeeping (claims, outcomes,
//   receipts, webhooks) waits up to BOOKKEEPING_WAIT_MS to share a commit with one;
// - when both are queued, the durable writes (intake, raw webhooks) commit first and
//   are answered, then the bookkeeping commits: a 202 never waits for receipts.
// Writes that reach the thread together are independent (a caller posts a write that
// depends on another only once that one is answered), so this order is free to choose.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteConn } from './conn.ts';
import { HOT_WRITES } from './hot-writes.ts';
import type { InsertResult, ReceiptPlanner, ReceiptWrite } from '../store.ts';
import { DURABLE_WRITES, serializeError, type WriterData, type WriterReply, type WriterRequest } from './writer-protocol.ts';

const port = parentPort!;
const data = workerData as WriterData;
const conn = new SqliteConn(data.path);
// The receipt planner is fixed when the thread starts: imported once, before the first
// write is taken (the port holds messages until it has a listener).
const planner = data.planner ? (await import(data.planner.url) as Record<string, ReceiptPlanner>)[data.planner.name] : null;
if (data.planner && typeof planner !== 'function') throw new Error(`${data.planner.url}#${data.planner.name} is not a receipt planner`);
let queue: WriterRequest[] = [];
let scheduled = false;

port.on('message', (req: WriterRequest) => enqueue(req));

/** How long the worker's bookkeeping may wait to share a commit with intake (measured: about half the commits). */
const BOOKKEEPING_WAIT_MS = 2;
/** Bookkeeping this large is written without waiting. */
const BOOKKEEPING_MAX = 64;
let lazy: NodeJS.Timeout | null = null;

function enqueue(req: WriterRequest): void {
  queue.push(req);
  if (scheduled) return;
  if (req.method === 'insertMessages' || req.method === 'close' || queue.length >= BOOKKEEPING_MAX) {
    if (lazy) { clearTimeout(lazy); lazy = null; }
    scheduled = true;
    setImmediate(flush);
  } else {
    lazy ??= setTimeout(() => { lazy = null; if (!scheduled) { scheduled = true; flush(); } }, BOOKKEEPING_WAIT_MS);
  }
}

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const close = batch.findIndex((r) => r.method === 'close');
  const writes = close >= 0 ? batch.slice(0, close) : batch;
  const durable = writes.filter((r) => DURABLE_WRITES.has(r.method));
  if (durable.length > 0 && durable.length < writes.length) {
    commit(durable);
    commit(writes.filter((r) => !DURABLE_WRITES.has(r.method)));
  } else if (writes.length > 0) {
    commit(writes);
  }
  if (close >= 0) {
    conn.close();
    port.postMessage({ id: batch[close].id, result: null } satisfies WriterReply);
    port.close();
  }
}

/** An insert's results without the rows inserted: the caller has them (a 35-column row costs microseconds to copy across), all but the turn key given here. */
function withoutRows(results: InsertResult[]): unknown[] {
  return results.map((r) => (r.kind === 'inserted' ? { kind: 'inserted', fair_key: r.message.fair_key } : r));
}

/** Runs `writes` in one transaction, each in its savepoint, and answers each once it is committed. */
function commit(writes: WriterRequest[]): void {
  const results: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
  try {
    conn.batch(writes.some((r) => DURABLE_WRITES.has(r.method)), () => {
      for (const r of writes) {
        try {
          results.push({ ok: true, value: run(r) });
        } catch (err) {
          results.push({ ok: false, err }); // its savepoint is rolled back; the others commit
        }
      }
    });
  } catch (err) {
    // The commit itself failed: nothing in this batch is written.
    for (const r of writes) port.postMessage({ id: r.id, error: serializeError(err) } satisfies WriterReply);
    return;
  }
  results.forEach((res, i) => port.postMessage((res.ok
    ? { id: writes[i].id, result: writes[i].method === 'insertMessages' ? withoutRows(res.value as InsertResult[]) : res.value }
    : { id: writes[i].id, error: serializeError(res.err) }) satisfies WriterReply));
}

/** One write, synchronously, on the thread's connection. */
function run(r: WriterRequest): unknown {
  if (r.method === 'close') throw new Error('close is not a write');
  if (r.method === 'applyReceipts') {
    if (!planner) throw new Error('this writer thread was started without a receipt planner');
    const [receipts, now] = r.args as [ReceiptWrite[], number];
    return HOT_WRITES.applyReceipts(conn, receipts, now, planner);
  }
  return (HOT_WRITES[r.method] as (c: SqliteConn, ...a: unknown[]) => unknown)(conn, ...r.args);
}
