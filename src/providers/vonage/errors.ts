// Vonage's documented codes → retry class and catalog code (domain.md §3.1, §3.2). The
// send answer's `status` is per part; a delivery receipt carries `err-code`.
// Sources: developer.vonage.com/api-errors/sms (send statuses), and the SMS API's
// delivery receipt page, developer.vonage.com/messaging/sms/guides/delivery-receipts (err-code).
import { classifyHttpFailure, type FailureKind, type MessageErrorCode } from '../provider.ts';
import { lookup } from '../../domain/lookup.ts';

export const VONAGE_SEND_STATUS: Record<string, [FailureKind, MessageErrorCode]> = {
  1: ['throttled', 'throttled'], // throttled: sending faster than the account limit
  2: ['permanent', 'rejected'], // missing parameters
  3: ['permanent', 'rejected'], // invalid parameters
  4: ['permanent', 'auth_failed'], // invalid credentials
  5: ['transient', 'provider_error'], // internal error
  6: ['permanent', 'invalid_number'], // invalid message: unrecognised number prefix
  7: ['permanent', 'blocked'], // number barred
  8: ['permanent', 'account_suspended'], // account barred
  9: ['transient', 'insufficient_funds'], // quota exceeded: retry after a top-up (alert), fail over meanwhile
  10: ['throttled', 'throttled'], // too many concurrent binds: back off
  11: ['permanent', 'auth_failed'], // account not enabled for HTTP
  12: ['permanent', 'rejected'], // message too long
  14: ['permanent', 'auth_failed'], // invalid signature
  15: ['permanent', 'invalid_sender'], // invalid sender address
  22: ['permanent', 'rejected'], // invalid network code
  23: ['permanent', 'rejected'], // invalid callback URL
  29: ['permanent', 'region_not_permitted'], // non-whitelisted destination
  32: ['permanent', 'rejected'], // signature and api secret both sent
  33: ['permanent', 'invalid_number'], // number de-activated
};

export function classifyVonageStatus(status: string): { kind: FailureKind; code: MessageErrorCode; known: boolean } {
  const known = lookup(VONAGE_SEND_STATUS, status);
  return known ? { kind: known[0], code: known[1], known: true } : { kind: 'permanent', code: 'rejected', known: false };
}

export { classifyHttpFailure };

/** DLR `err-code` → catalog code. */
export const VONAGE_DLR_ERRORS: Record<string, MessageErrorCode> = {
  1: 'unknown', // unknown
  2: 'unreachable', // absent subscriber, temporary
  3: 'invalid_number', // absent subscriber, permanent
  4: 'recipient_opted_out', // barred by the user
  5: 'undelivered', // portability error
  6: 'blocked', // anti-spam
  7: 'unreachable', // handset busy
  8: 'unreachable', // network error
  9: 'invalid_number', // illegal number
  10: 'blocked', // illegal message
  11: 'undelivered', // unroutable
  12: 'unreachable', // destination unreachable
  13: 'blocked', // age restriction
  14: 'blocked', // blocked by carrier
  15: 'undelivered', // prepaid insufficient funds (the recipient's)
  99: 'unknown', // general error
};

export function vonageDlrError(errCode: string): MessageErrorCode {
  return lookup(VONAGE_DLR_ERRORS, errCode) ?? 'undelivered';
}
