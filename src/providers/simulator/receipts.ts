// The simulator's receipt body → a canonical receipt (pure; fed by raw webhooks).
import type { Receipt } from '../provider.ts';
import { simulatorError } from './errors.ts';

export interface SimulatorReceiptBody { message_id: string; status: string; timestamp?: string; error_code?: string | null; to?: string }

export function simulatorReceipt(b: SimulatorReceiptBody): Receipt {
  if (typeof b?.message_id !== 'string' || typeof b.status !== 'string') throw new Error('simulator receipt without message_id/status');
  const status = b.status === 'delivered' ? 'delivered' : b.status === 'undelivered' ? 'undelivered' : b.status === 'sent' ? 'sent' : null;
  return {
    providerMessageId: b.message_id,
    status,
    providerStatus: b.status,
    errorCode: b.error_code ? simulatorError(b.error_code) : undefined,
    providerErrorCode: b.error_code ?? undefined,
    errorMessage: b.error_code ? 'simulated non-delivery' : undefined,
    occurredAt: b.timestamp ? Date.parse(b.timestamp) : undefined,
    ...(typeof b.to === 'string' ? { to: b.to } : {}),
  };
}
