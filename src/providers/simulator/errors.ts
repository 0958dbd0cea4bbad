// The simulator's own error codes → catalog codes. It speaks a few of Twilio's receipt
// codes so that simulated non-delivery looks like a real carrier's.
import type { MessageErrorCode } from '../provider.ts';
import { lookup } from '../../domain/lookup.ts';

export const SIMULATOR_ERRORS: Record<string, MessageErrorCode> = {
  refused: 'invalid_number',
  carrier_unavailable: 'provider_error', // the simulator itself fails (failure_rate): a provider failure
  destination_unavailable: 'unreachable', // one destination fails: a failure of that message
  throttled: 'throttled',
  30003: 'unreachable',
};

export function simulatorError(code: string): MessageErrorCode {
  return lookup(SIMULATOR_ERRORS, code) ?? 'undelivered';
}
