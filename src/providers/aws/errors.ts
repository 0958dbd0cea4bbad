// AWS End User Messaging SMS: SendTextMessage exceptions, refined by their documented
// `Reason`, and delivery event types → retry class and catalog code (domain.md §4.2). The
// exception name and reason (or the event type) are kept as the provider's code.
// Sources, beside each row:
//   [send]   docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/API_SendTextMessage.html (Errors)
//   [enums]  the API model's ValidationExceptionReason, ConflictExceptionReason,
//            AccessDeniedExceptionReason, ServiceQuotaExceededExceptionReason
//            (API_ValidationException.html, API_ConflictException.html, …; the same enums ship in
//            @aws-sdk/client-pinpoint-sms-voice-v2's models)
//   [events] docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html
import type { FailureKind, MessageErrorCode } from '../provider.ts';
import type { MessageStatus } from '../../domain/status.ts';
import { lookup } from '../../domain/lookup.ts';
import { MESSAGE_ERRORS } from '../../domain/message-errors.ts';

/** An exception with no reason we know of: its class by name. */
export const AWS_EXCEPTIONS: Record<string, [FailureKind, MessageErrorCode]> = {
  ThrottlingException: ['throttled', 'throttled'], // [send] 400: the request was denied because of throttling
  ServiceQuotaExceededException: ['transient', 'insufficient_funds'], // [send] 402: a quota (e.g. the monthly spend limit): alert, fail over meanwhile
  InternalServerException: ['transient', 'provider_error'], // [send] 500: retry
  AccessDeniedException: ['permanent', 'auth_failed'], // [send] 400: the credentials may not do this
  ValidationException: ['permanent', 'rejected'], // [send] 400: a field is invalid
  ResourceNotFoundException: ['permanent', 'invalid_sender'], // [send] 404: the origination identity or configuration set does not exist
  ConflictException: ['permanent', 'rejected'], // [send] 409: the request conflicts with the account's resources
};

/**
 * `Exception:Reason` → catalog code, for the reasons SendTextMessage can give; the retry
 * class is the catalog's. Each decides between this message, this route (another provider
 * may carry it) and this provider (the account cannot send at all now).
 */
export const AWS_REASONS: Record<string, { code: MessageErrorCode; source: string }> = {
  // The message: no provider could send it as it is.
  'ValidationException:CANNOT_PARSE': { code: 'invalid_number', source: '[enums] the destination could not be parsed' },
  'ValidationException:COUNTRY_CODE_MISMATCH': { code: 'invalid_number', source: '[enums] the number does not belong to the country given' },
  'ValidationException:MAXIMUM_SIZE_EXCEEDED': { code: 'rejected', source: '[enums] the body is too long' },
  'ValidationException:CANNOT_ADD_OPTED_OUT_NUMBER': { code: 'recipient_opted_out', source: '[enums] the number is on the opt-out list' },
  'ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT': { code: 'recipient_opted_out', source: '[enums] the recipient opted out' },
  'ConflictException:DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE': { code: 'blocked', source: '[enums] this number is blocked by the account\'s protect configuration override' },
  // The route: this account will not carry it; another provider may.
  'ValidationException:DESTINATION_COUNTRY_BLOCKED': { code: 'region_not_permitted', source: '[enums] this account may not send to the destination country' },
  'ConflictException:DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION': { code: 'region_not_permitted', source: '[enums] the protect configuration blocks the destination country' },
  'ValidationException:INTERNATIONAL_SENDING_NOT_SUPPORTED': { code: 'region_not_permitted', source: '[enums] the origination identity cannot send abroad' },
  'ValidationException:COUNTRY_NOT_ENABLED': { code: 'region_not_permitted', source: '[enums] the country is not enabled for the account' },
  'ValidationException:INVALID_IDENTITY_FOR_DESTINATION_COUNTRY': { code: 'invalid_sender', source: '[enums] the origination identity cannot send to that country' },
  'ValidationException:SENDER_ID_NOT_REGISTERED': { code: 'invalid_sender', source: '[enums] the sender id is not registered for the country' },
  'ValidationException:SENDER_ID_NOT_SUPPORTED': { code: 'invalid_sender', source: '[enums] the country does not support sender ids' },
  'ValidationException:SENDER_ID_REQUIRES_REGISTRATION': { code: 'invalid_sender', source: '[enums] the country requires a registered sender id' },
  'ConflictException:NO_ORIGINATION_IDENTITIES_FOUND': { code: 'invalid_sender', source: '[enums] no origination identity of the account can reach the destination' },
  'ConflictException:NUMBER_CAPABILITIES_MISMATCH': { code: 'invalid_sender', source: '[enums] the origination number cannot send SMS' },
  'ConflictException:MESSAGE_TYPE_MISMATCH': { code: 'invalid_sender', source: '[enums] the origination identity does not allow this message type' },
  'ConflictException:DESTINATION_PHONE_NUMBER_NOT_VERIFIED': { code: 'account_sandboxed', source: '[enums] the account is in the SMS sandbox and the destination is not verified' },
  // The provider: the account cannot send at all now.
  'AccessDeniedException:ACCOUNT_DISABLED': { code: 'account_suspended', source: '[enums] the account is disabled' },
  'AccessDeniedException:INSUFFICIENT_ACCOUNT_REPUTATION': { code: 'account_suspended', source: '[enums] the account\'s reputation is too low to send' },
  'ServiceQuotaExceededException:MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT': { code: 'insufficient_funds', source: '[enums] the monthly SMS spend limit is reached' },
  'ConflictException:RESOURCE_NOT_ACTIVE': { code: 'invalid_sender', source: '[enums] the origination identity or configuration set is not active' },
};

/** A refused send: by exception and reason where the reason is documented, else by exception name. */
export function classifyAwsException(name: string, reason: string | undefined): { kind: FailureKind; code: MessageErrorCode; known: boolean } {
  const byReason = reason ? lookup(AWS_REASONS, `${name}:${reason}`) : undefined;
  if (byReason) return { kind: MESSAGE_ERRORS[byReason.code].kind, code: byReason.code, known: true };
  const byName = lookup(AWS_EXCEPTIONS, name);
  if (byName) return { kind: byName[0], code: byName[1], known: reason === undefined };
  return { kind: 'permanent', code: 'rejected', known: false };
}

/** Delivery event type → our status and, for failures, the catalog code ([events]). */
export const AWS_EVENTS: Record<string, [MessageStatus | null, MessageErrorCode | null]> = {
  TEXT_PENDING: [null, null], TEXT_QUEUED: [null, null], TEXT_SENT: ['sent', null], TEXT_SUCCESSFUL: ['sent', null], TEXT_DELIVERED: ['delivered', null],
  TEXT_INVALID: ['failed', 'invalid_number'], TEXT_INVALID_MESSAGE: ['failed', 'rejected'],
  TEXT_UNREACHABLE: ['undelivered', 'unreachable'], TEXT_CARRIER_UNREACHABLE: ['undelivered', 'unreachable'],
  TEXT_BLOCKED: ['undelivered', 'blocked'], TEXT_CARRIER_BLOCKED: ['undelivered', 'blocked'], TEXT_SPAM: ['undelivered', 'blocked'], TEXT_PROTECT_BLOCKED: ['undelivered', 'blocked'],
  TEXT_UNKNOWN: ['undelivered', 'unknown'], TEXT_TTL_EXPIRED: ['undelivered', 'undelivered'],
};
