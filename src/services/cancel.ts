// Cancelling a message still queued or scheduled, whoever asks (POST /v1/messages/:id/cancel,
// an SMPP client's cancel_sm): the change and its callback in one write, then announced.
import type { CancelResult, MessageLedger } from '../store/store.ts';
import type { MessageBus } from '../events/bus.ts';
import { callbackFor } from '../callbacks/enqueue.ts';
import { statusEvents } from '../public/events.ts';

export async function cancelMessage(deps: { store: Pick<MessageLedger, 'cancelMessage'>; bus: Pick<MessageBus, 'publish'> }, accountId: string, id: string, now = Date.now()): Promise<CancelResult> {
  const r = await deps.store.cancelMessage(accountId, id, now, callbackFor, statusEvents);
  if (r.kind === 'canceled') deps.bus.publish({ message: r.message, previous: 'queued' });
  return r;
}
