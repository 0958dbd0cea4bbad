// Bulk sends (ports/batches.ts has the terms): up to 10,000 recipients of one body or
// template, each with its own variables and metadata, validated as a whole (one bad
// recipient refuses the batch, naming every bad one) and accepted as one: the batch row,
// then every message in one transaction, each with an idempotency key derived from the
// batch, so a retry of the same request (its Idempotency-Key) sends nothing twice.
import { createHash } from 'node:crypto';
import type { BatchRow, BatchStore, MessageLedger, MessageRow, NewMessage, TemplateRow } from '../store/store.ts';
import type { Caller, Intake, SendInput } from '../intake/accept-message.ts';
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { csvRows } from '../domain/csv.ts';
import { FINAL_STATUSES, type MessageStatus } from '../domain/status.ts';

export const MAX_BATCH = 10_000;

export interface BatchRecipient { to: string; variables?: Record<string, string>; metadata?: Record<string, string> }
export type BatchInput = Omit<SendInput, 'to' | 'variables' | 'conversation_id' | 'channel' | 'voice' | 'language' | 'fallback_sms'> & { recipients: BatchRecipient[] };

export interface BatchDeps {
  store: Pick<BatchStore, 'createBatch' | 'finishBatch'> & Pick<MessageLedger, 'insertMessages'>;
  intake: Pick<Intake, 'prepare' | 'insertOf' | 'accepted'>;
}

function hashOf(input: BatchInput): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/** Validates and accepts a batch; answers its row (a retry with the same key: the first one's). */
export async function acceptBatch(d: BatchDeps, caller: Caller, input: BatchInput, idempotencyKey?: string, opts: { dryRun?: boolean } = {}): Promise<BatchRow | { dry_run: true; total: number }> {
  const { recipients, ...common } = input;
  if (recipients.length === 0 || recipients.length > MAX_BATCH) throw new AppError('validation_error', `a batch has 1 to ${MAX_BATCH} recipients`, { field: 'recipients' });
  // A bulk send goes in the bulk lane unless it says otherwise.
  const shared: SendInput = { priority: 'bulk', ...common };
  const rows: MessageRow[] = [];
  const problems: { index: number; field?: string; code: string; message: string }[] = [];
  const templates = new Map<string, TemplateRow | undefined>();
  for (const [index, r] of recipients.entries()) {
    try {
      const metadata = common.metadata || r.metadata ? { ...common.metadata, ...r.metadata } : undefined;
      rows.push(await d.intake.prepare({ ...shared, to: r.to, ...(r.variables ? { variables: r.variables } : {}), ...(metadata ? { metadata } : {}) }, caller, undefined, { skipOptOut: true, templates }));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      problems.push({ index, ...(err.field ? { field: err.field } : {}), code: err.code, message: err.message });
    }
  }
  if (problems.length > 0) {
    throw new AppError('batch_invalid', `${problems.length} of ${recipients.length} recipients cannot be sent as given: nothing was stored`, { field: 'recipients', details: problems.slice(0, 100) });
  }
  if (opts.dryRun) return { dry_run: true, total: recipients.length };
  const now = Date.now();
  const hash = hashOf(input);
  const { created, batch } = await d.store.createBatch({
    id: newId('bat'), account_id: caller.accountId, idempotency_key: idempotencyKey ?? null, request_hash: hash, state: 'accepting',
    total: recipients.length, accepted: 0, refused: '[]', created_at: now, updated_at: now,
  });
  if (!created && batch.request_hash !== hash) throw new AppError('idempotency_conflict', `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used with a different batch`, { field: 'Idempotency-Key' });
  if (batch.state === 'accepted') return batch;
  // One transaction for every message; each keyed by the batch and its place in it.
  const inserts: NewMessage[] = rows.map((row, i) => d.intake.insertOf({ ...row, batch_id: batch.id }, { key: `batch:${batch.id}:${i}`, hash: 'batch' }, true));
  const results = await d.store.insertMessages(inserts);
  const refused = results.flatMap((r, index) => (r.kind === 'opted_out' ? [{ index, to: rows[index].to_number, code: 'recipient_opted_out', message: `${rows[index].to_number} opted out` }] : []));
  const fresh = results.flatMap((r) => (r.kind === 'inserted' ? [r.message] : []));
  const accepted = results.filter((r) => r.kind === 'inserted' || r.kind === 'duplicate').length;
  await d.store.finishBatch(batch.id, accepted, JSON.stringify(refused), Date.now());
  d.intake.accepted(fresh);
  return { ...batch, state: 'accepted', accepted, refused: JSON.stringify(refused) };
}

/** A batch as the API shows it, with its messages' counts by status. */
export function presentBatch(b: BatchRow, counts: Record<string, number>) {
  const refused = JSON.parse(b.refused) as unknown[];
  return {
    id: b.id, state: b.state, total: b.total, accepted: b.accepted, refused: refused.length, by_status: counts,
    done: Object.entries(counts).filter(([s]) => FINAL_STATUSES.has(s as MessageStatus)).reduce((n, [, c]) => n + c, 0) + refused.length,
    created_at: new Date(b.created_at).toISOString(),
  };
}

/** What did not make it: the refused recipients, then the messages that failed, as CSV. */
export function batchFailuresCsv(b: BatchRow, failed: Awaited<ReturnType<BatchStore['batchFailures']>>): string {
  const refused = JSON.parse(b.refused) as { index: number; to: string; code: string; message: string }[];
  return csvRows([
    ['to', 'message_id', 'status', 'code', 'message', 'metadata'],
    ...refused.map((r) => [r.to, '', 'refused', r.code, r.message, '']),
    ...failed.map((m) => [m.to_number, m.id, m.status, m.error_code, m.error_message, m.metadata]),
  ]);
}
