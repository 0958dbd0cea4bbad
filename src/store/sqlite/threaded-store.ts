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
import type { CallbackAttemptRow, CallbackFinish, InsertResult, MessageRow, NewMessage, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../store.ts';
import { deserializeError, type WriterMethod, type WriterReply, type WriterRequest } from './writer-protocol.ts';

export class ThreadedSqliteStore extends SqliteStore {
  readonly #thread: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 0;
  #failed: Error | null = null;
  /** the thread queues writes itself: the next batch waits there while one commits */
  readonly batchesInFlight = 2;

  constructor(path: string) {
    super(path);
    this.#thread = new Worker(new URL('./writer-thread.ts', import.meta.url), {
      workerData: { path },
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
  }

  #call<T>(method: WriterRequest['method'], args: unknown[], planner?: WriterRequest['planner']): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.size === 0) this.#thread.ref();
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#thread.postMessage({ id, method, args, planner } satisfies WriterRequest);
    });
  }

  #write<T>(method: WriterMethod, ...args: unknown[]): Promise<T> { return this.#call<T>(method, args); }

  override async insertMessages(batch: NewMessage[]): Promise<InsertResult[]> {
    // The thread answers an insert without the row (see writer-thread.ts): it is the one posted.
    const results = await this.#write<InsertResult[]>('insertMessages', batch);
    return results.map((r, i) => (r.kind === 'inserted' ? { kind: 'inserted', message: batch[i].row } : r));
  }
  override insertWebhooks(rows: WebhookRow[]): Promise<void> { return this.#write('insertWebhooks', rows); }
  override claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<MessageRow[]> { return this.#write('claimDue', owner, now, leaseMs, limit); }
  override recordOutcomes(outcomes: Outcome[]): Promise<Set<string>> { return this.#write('recordOutcomes', outcomes); }
  override claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookRow[]> { return this.#write('claimWebhooks', now, leaseMs, limit); }
  override finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void> {
    return this.#write('finishWebhooks', done, deferred, until, now);
  }
  override finishCallbacks(done: { id: string; set: CallbackFinish; attempt: CallbackAttemptRow }[], now: number): Promise<void> { return this.#write('finishCallbacks', done, now); }
  override applyReceipts(receipts: ReceiptWrite[], now: number, plan: ReceiptPlanner): Promise<ReceiptResult[]> {
    // A planner that says where it lives runs on the thread; any other runs here.
    return plan.module ? this.#call('applyReceipts', [receipts, now], plan.module) : super.applyReceipts(receipts, now, plan);
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
