// The message status machine (DESIGN.md §1: status only moves forward).
// scheduled → queued → sending → sent → delivered | undelivered; failed, canceled and
// expired are terminal too. The one step back is the worker's own retry: a failed
// attempt puts a `sending` message back to `queued` with a later next_attempt_at.

export const STATUSES = ['scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'expired'] as const;
export type MessageStatus = (typeof STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set(['delivered', 'undelivered', 'failed', 'canceled', 'expired']);

const RANK: Record<MessageStatus, number> = {
  scheduled: 0, queued: 1, sending: 2, sent: 3,
  delivered: 4, undelivered: 4, failed: 4, canceled: 4, expired: 4,
};

export function isFinal(s: MessageStatus): boolean {
  return FINAL_STATUSES.has(s);
}

/** Whether a receipt or worker outcome may move a message from `from` to `to`. */
export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  if (isFinal(from)) return false;
  if (from === 'sending' && to === 'queued') return true; // retry after a failed attempt
  return RANK[to] > RANK[from];
}
