// The embedded store with its hot writes on a thread of their own. node:sqlite is
// synchronous: every BEGIN…COMMIT (and its fsync) blocks the thread that runs it. Here
// intake's group commits, raw webhooks, claims, outcomes and receipts run on a writer
// thread with its own connection to the same file (WAL: readers never wait for it), so
// the event loop that serves HTTP and drives sends keeps only the reads and the rare
// writes. A write resolves when the thread has committed it: a 202 still means on disk.
// Both connections take the write lock as two processes would (BEGIN IMMEDIATE,
// busy_timeout). SWITCHBOARD_SQLITE_WRITER_THREAD says which processes use it (app.ts).
import { Worker } from 'node:worker_threads';
import { SqliteStore } from './sqlite-store.ts';
import type { InsertResult, NewMessage, ReceiptPlanner, ReceiptPlannerModule, ReceiptResult, ReceiptWrite } from '../store.ts';
import { deserializeError, WRITER_METHODS, type WriterData, type WriterMethod, type WriterReply, type WriterRequest } from './writer-protocol.ts';

export class ThreadedSqliteStore extends SqliteStore {
  readonly #thread: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 0;
  #failed: Error | null = null;
  /** the thread queues writes itself: the next batch waits there while one commits */
  readonly batchesInFlight = 2;

  readonly #planner: ReceiptPlanner | null;

  /** `receiptPlanner`: the planner receipts are applied with on the thread (any other runs on the caller's thread). */
  constructor(path: string, opts: { receiptPlanner?: ReceiptPlannerModule } = {}) {
    super(path);
    const p = opts.receiptPlanner;
    this.#planner = p?.plan ?? null;
    this.#thread = new Worker(new URL('./writer-thread.ts', import.meta.url), {
      workerData: { path, planner: p ? { url: p.url, name: p.name } : null } satisfies WriterData,
      // The thread runs a file: an --input-type the process got for its own -e would refuse it.
      ...(process.execArgv.some((a) => a.startsWith('--input-type')) ? { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) } : {}),
    });
    // Referenced only while a write is in flight: an idle store keeps no process alive.
    this.#thread.unref();
    this.#thread.on('message', (reply: WriterReply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#thread.unref();
      if (reply.error) p.reject(deserializeError(reply.error));
      else p.resolve(reply.result);
    });
    const fail = (err: Error) => {
      const unexpected = this.#failed === null && !this.#closing;
      this.#failed ??= err;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      // A server whose writes can no longer land must not go on answering 500s: crash, so
      // its supervisor restarts it (everything accepted is on disk, as after kill -9).
      if (unexpected) queueMicrotask(() => { throw err; });
    };
    this.#thread.on('error', (err) => fail(new Error(`the SQLite writer thread failed: ${err.message}`, { cause: err })));
    this.#thread.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
    this.#proxy();
  }

  #call<T>(method: WriterRequest['method'], args: unknown[]): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.size === 0) this.#thread.ref();
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#thread.postMessage({ id, method, args } satisfies WriterRequest);
    });
  }

  /** Each hot write, posted to the thread: the list is hot-writes.ts's, so a new one cannot be left on this thread by mistake. */
  #proxy(): void {
    for (const m of WRITER_METHODS) {
      if (m === 'insertMessages' || m === 'applyReceipts') continue; // below: each needs a word more
      Object.defineProperty(this, m, { value: (...args: unknown[]) => this.#call(m satisfies WriterMethod, args) });
    }
  }

  override async insertMessages(batch: NewMessage[]): Promise<InsertResult[]> {
    // The thread answers an insert without the row (see writer-thread.ts): it is the one posted.
    const results = await this.#call<(InsertResult | { kind: 'inserted'; fair_key: number })[]>('insertMessages', [batch]);
    return results.map((r, i) => {
      if (r.kind !== 'inserted') return r;
      const row = batch[i].row;
      row.lane ??= 1;
      row.fair_key = 'fair_key' in r ? r.fair_key : row.fair_key;
      return { kind: 'inserted', message: row };
    });
  }

  override applyReceipts(receipts: ReceiptWrite[], now: number, plan: ReceiptPlanner): Promise<ReceiptResult[]> {
    // The planner the thread was started with runs there; any other runs here.
    return plan === this.#planner ? this.#call('applyReceipts', [receipts, now]) : super.applyReceipts(receipts, now, plan);
  }

  #closing = false;

  override async close(): Promise<void> {
    this.#closing = true;
    if (!this.#failed) {
      await this.#call('close', []).catch(() => undefined);
      this.#failed = new Error('the store is closed');
    }
    await this.#thread.terminate();
    await super.close();
  }
}
