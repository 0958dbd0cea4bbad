// Failover on no receipt (a message's failover_after_seconds): every second, messages
// whose resend is due go back to the queue, once each whichever worker process finds
// them, and the worker is woken to send them through another provider.
import type { Logger } from 'pino';
import type { MessageLedger } from '../store/store.ts';
import type { Metrics } from '../metrics.ts';
import { Periodic } from '../loop/periodic.ts';

export function receiptFailovers(o: { store: Pick<MessageLedger, 'dueReceiptFailovers'>; metrics: Pick<Metrics, 'receiptFailovers'>; wake: () => void; logger: Logger }): Periodic {
  return new Periodic(async () => {
    for (const m of await o.store.dueReceiptFailovers(Date.now(), 500)) o.metrics.receiptFailovers.inc({ provider: m.provider_id ?? 'unknown' });
    o.wake();
  }, 1_000, o.logger, 'failover on no receipt');
}
