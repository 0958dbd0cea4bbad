// AWS End User Messaging SMS: SendTextMessage exceptions and delivery event types →
// retry class and catalog code (domain.md §4.2). The exception name (or the event type)
// is kept as the provider's code.
import type { FailureKind, MessageErrorCode } from '../provider.ts';
import type { MessageStatus } from '../../domain/status.ts';
import { lookup } from '../../domain/lookup.ts';

export const AWS_EXCEPTIONS: Record<string, [FailureKind, MessageErrorCode]> = {
  ThrottlingException: ['throttled', 'throttled'],
  ServiceQuotaExceededException: ['transient', 'insufficient_funds'], // e.g. the monthly spend limit: alert, fail over meanwhile
  InternalServerException: ['transient', 'provider_error'],
  AccessDeniedException: ['permanent', 'auth_failed'],
  ValidationException: ['permanent', 'rejected'],
  ResourceNotFoundException: ['permanent', 'invalid_sender'], // the origination identity or configuration set does not exist
  ConflictException: ['permanent', 'rejected'],
};

/** A refused send: by exception name, refined by the documented `Reason` where it names the recipient. */
export function classifyAwsException(name: string, reason: string | undefined): { kind: FailureKind; code: MessageErrorCode } {
  const [kind, code] = lookup(AWS_EXCEPTIONS, name) ?? ['permanent', 'rejected'];
  if (reason?.includes('OPTED_OUT')) return { kind: 'permanent', code: 'recipient_opted_out' };
  if (reason?.startsWith('DESTINATION_') || reason?.includes('PHONE_NUMBER')) return { kind: 'permanent', code: 'invalid_number' };
  return { kind, code };
}

/** Delivery event type → our status and, for failures, the catalog code. */
export const AWS_EVENTS: Record<string, [MessageStatus | null, MessageErrorCode | null]> = {
  TEXT_PENDING: [null, null], TEXT_QUEUED: [null, null], TEXT_SENT: ['sent', null], TEXT_SUCCESSFUL: ['sent', null], TEXT_DELIVERED: ['delivered', null],
  TEXT_INVALID: ['failed', 'invalid_number'], TEXT_INVALID_MESSAGE: ['failed', 'rejected'],
  TEXT_UNREACHABLE: ['undelivered', 'unreachable'], TEXT_CARRIER_UNREACHABLE: ['undelivered', 'unreachable'],
  TEXT_BLOCKED: ['undelivered', 'blocked'], TEXT_CARRIER_BLOCKED: ['undelivered', 'blocked'], TEXT_SPAM: ['undelivered', 'blocked'], TEXT_PROTECT_BLOCKED: ['undelivered', 'blocked'],
  TEXT_UNKNOWN: ['undelivered', 'unknown'], TEXT_TTL_EXPIRED: ['undelivered', 'undelivered'],
};
