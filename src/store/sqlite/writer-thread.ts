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
import { SqliteStore } from './sqlite-store.ts';
import type { InsertResult, ReceiptPlanner } from '../store.ts';
import { DURABLE_WRITES, serializeError, type WriterReply, type WriterRequest } from './writer-protocol.ts';

const port = parentPort!;
const store = new SqliteStore((workerData as { path: string }).path);
const planners = new Map<string, ReceiptPlanner>();
let queue: WriterRequest[] = [];
let scheduled = false;

async function planner(module: { url: string; name: string }): Promise<ReceiptPlanner> {
  const key = `${module.url}#${module.name}`;
  let p = planners.get(key);
  if (!p) {
    p = (await import(module.url) as Record<string, ReceiptPlanner>)[module.name];
    if (typeof p !== 'function') throw new Error(`${key} is not a receipt planner`);
    planners.set(key, p);
  }
  return p;
}

// Writes are queued in the order they were posted. A receipt planner not yet imported
// holds the request back while it loads, and every request after it waits its turn
// behind it (receipts applied before their webhooks are marked done, never the other
// way round).
let gate: Promise<void> = Promise.resolve();
let gated = 0;

port.on('message', (req: WriterRequest) => {
  const importing = req.planner !== undefined && !planners.has(`${req.planner.url}#${req.planner.name}`);
  if (gated === 0 && !importing) return enqueue(req);
  gated++;
  gate = gate.then(async () => {
    try {
      if (req.planner) await planner(req.planner);
      enqueue(req);
    } catch (err) {
      port.postMessage({ id: req.id, error: serializeError(err) } satisfies WriterReply);
    } finally {
      gated--;
    }
  });
});

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
    lazy ??= setTimeout(() => { lazy = null; if (!scheduled) { scheduled = true; void flush(); } }, BOOKKEEPING_WAIT_MS);
  }
}

async function flush(): Promise<void> {
  scheduled = false;
  const batch = queue;
  queue = [];
  const close = batch.findIndex((r) => r.method === 'close');
  const writes = close >= 0 ? batch.slice(0, close) : batch;
  const durable = writes.filter((r) => DURABLE_WRITES.has(r.method));
  if (durable.length > 0 && durable.length < writes.length) {
    await commit(durable);
    await commit(writes.filter((r) => !DURABLE_WRITES.has(r.method)));
  } else if (writes.length > 0) {
    await commit(writes);
  }
  if (close >= 0) {
    await store.close();
    port.postMessage({ id: batch[close].id, result: null } satisfies WriterReply);
    port.close();
  }
}

/** An insert's results without the rows inserted: the caller has them (a 35-column row costs microseconds to copy across). */
function withoutRows(results: InsertResult[]): unknown[] {
  return results.map((r) => (r.kind === 'inserted' ? { kind: 'inserted' } : r));
}

/** Runs `writes` in one transaction, each in its savepoint, and answers each once it is committed. */
async function commit(writes: WriterRequest[]): Promise<void> {
  let results: Promise<unknown>[] = [];
  try {
    store.batch(writes.some((r) => DURABLE_WRITES.has(r.method)), () => {
      // The methods' bodies are synchronous: each runs (in its savepoint) right here.
      results = writes.map((r) => {
        const args = r.planner ? [...r.args, planners.get(`${r.planner.url}#${r.planner.name}`)] : r.args;
        return (store[r.method as keyof SqliteStore] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      });
    });
  } catch (err) {
    // The commit itself failed: nothing in this batch is written.
    for (const r of writes) port.postMessage({ id: r.id, error: serializeError(err) } satisfies WriterReply);
    return;
  }
  const settled = await Promise.allSettled(results);
  settled.forEach((s, i) => port.postMessage((s.status === 'fulfilled'
    ? { id: writes[i].id, result: writes[i].method === 'insertMessages' ? withoutRows(s.value as InsertResult[]) : s.value }
    : { id: writes[i].id, error: serializeError(s.reason) }) satisfies WriterReply));
}
