// Twilio's documented error codes → retry class and catalog code (domain.md §2.4). Codes
// not listed fall back to the HTTP status: 429 throttled, 5xx transient, 401/403
// auth_failed, other 4xx rejected (and are counted: switchboard_provider_unmapped_errors_total).
// Source of every row: its own page, twilio.com/docs/api/errors/NNNNN.
import { classifyHttpFailure, type FailureKind, type MessageErrorCode } from '../provider.ts';
import { lookup } from '../../domain/lookup.ts';

export const TWILIO_ERRORS: Record<number, [FailureKind, MessageErrorCode]> = {
  20003: ['permanent', 'auth_failed'], // authentication failed: a configuration error, retrying cannot help
  20429: ['throttled', 'throttled'], // too many requests: retry after backing off
  21211: ['permanent', 'invalid_number'], // invalid To
  21606: ['permanent', 'invalid_sender'], // the From number is not an SMS-capable number of this account: another route may carry it
  21612: ['permanent', 'number_type_not_permitted'], // the To number cannot be reached from this From number over SMS
  21408: ['permanent', 'region_not_permitted'], // geo permissions disabled for the region
  21610: ['permanent', 'recipient_opted_out'], // recipient replied STOP
  21614: ['permanent', 'invalid_number'], // not a mobile number
  30001: ['transient', 'provider_error'], // queue overflow
  30003: ['transient', 'unreachable'], // unreachable handset, may be transient
  30004: ['permanent', 'blocked'], // blocked
  30005: ['permanent', 'invalid_number'], // unknown handset
  30006: ['permanent', 'invalid_number'], // landline or unreachable carrier
  30007: ['permanent', 'blocked'], // filtered: do not resend the same content
  30008: ['transient', 'unknown'], // unknown error
  30032: ['permanent', 'invalid_sender'], // toll-free number not verified: this sender may not send
  30034: ['permanent', 'invalid_sender'], // US A2P 10DLC: message from an unregistered number
};

export function classifyTwilio(httpStatus: number, code: number | undefined): { kind: FailureKind; code: MessageErrorCode; known: boolean } {
  const known = code !== undefined ? lookup(TWILIO_ERRORS, code) : undefined;
  return known ? { kind: known[0], code: known[1], known: true } : { ...classifyHttpFailure(httpStatus), known: code === undefined };
}

/** The catalog code of an error code in a status callback (undelivered/failed receipts). */
export function twilioReceiptError(code: string): MessageErrorCode {
  return lookup(TWILIO_ERRORS, code)?.[1] ?? 'undelivered';
}
