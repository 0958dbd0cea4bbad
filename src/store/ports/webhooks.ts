// Raw provider webhooks and what they carry in.
// - raw webhook: a provider callback stored verbatim before it is parsed; `process_after`
//   lets a provider (the simulator) hand in a receipt that becomes due later.
// - receipt: a delivery report parsed from a raw webhook, about one part of a message,
//   applied forward-only by the planner the caller passes in (receipts/plan.ts).
import type { Claimed, InboundPartRow, InboundRow, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../rows.ts';

export interface WebhookLog {
  insertWebhooks(rows: WebhookRow[]): Promise<void>;
  /** `spacingMs`: a paced claim, as MessageLedger.claimDue's (its own clock). */
  claimWebhooks(now: number, leaseMs: number, limit: number, spacingMs?: number): Promise<Claimed<WebhookRow>>;
  /** Applies receipts in one transaction; idempotent, so a webhook may be applied again. */
  applyReceipts(receipts: ReceiptWrite[], now: number, plan: ReceiptPlanner): Promise<ReceiptResult[]>;
  /** Marks webhooks processed (with an error, if any) and puts `deferred` back to wait until `until`. */
  finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void>;
  /** When the next unprocessed webhook can be claimed: its process_after, or its lease's end if later. */
  nextWebhookDueAt(): Promise<number | null>;
  /** Raw webhooks stored and due but not yet processed (the backlog after a receipt storm), and since when the oldest waits (webhooks_pending index). */
  webhookBacklog(now: number): Promise<{ count: number; oldestAt: number | null }>;
  /** oldest first; with `newest`, only that many of the newest, newest first (webhooks_received index) */
  listWebhooks(filter: { since?: number; providerId?: string; newest?: number }): Promise<WebhookRow[]>;
  getWebhook(id: string): Promise<WebhookRow | undefined>;
  /** Retention: deletes up to `limit` processed raw webhooks received before `receivedBefore`; answers how many. */
  purgeWebhooks(receivedBefore: number, limit: number): Promise<number>;
  /** Makes stored webhooks due again so they are processed once more (replay). */
  requeueWebhooks(ids: string[], now: number): Promise<void>;

  /**
   * Keeps one part of a long inbound text (a part already kept is left as it is) and
   * answers every part kept so far for that sender and reference, in order.
   */
  addInboundPart(row: InboundPartRow): Promise<InboundPartRow[]>;
  /**
   * Stores inbound messages; one already stored (same provider and id) is left as it is.
   * Answers the rows as stored (a replayed webhook gets the ids given the first time).
   */
  insertInbound(rows: InboundRow[]): Promise<InboundRow[]>;
  /** one inbound message, of this account (null: any account's) */
  getInbound(accountId: string | null, id: string): Promise<InboundRow | undefined>;
  /** one account's inbound messages, newest first; `before` is an id cursor */
  listInbound(accountId: string, before: string | undefined, limit: number): Promise<InboundRow[]>;
}
