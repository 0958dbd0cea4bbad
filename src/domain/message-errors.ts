// The message error catalog: every code a message, a part or an attempt can carry, with
// its class and what the sender should do. Switchboard's own failures use these codes;
// each adapter maps its provider's codes onto them (providers/<kind>/errors.ts), and the
// provider's own code travels beside it as `provider_code`. As with the API error
// catalog (errors.ts), new codes are added here and nowhere else.
//
// Class: transient → retried with backoff (and failed over); throttled → retried on its
// own, larger budget after Retry-After; permanent → the message fails at once.

export type FailureKind = 'transient' | 'throttled' | 'permanent';

export const MESSAGE_ERRORS = {
  no_route: { kind: 'permanent', meaning: 'no active provider and number may carry this message (country rules, capabilities, an explicit sender)', hint: 'add a number or provider that can send to this country, or change the country rule' },
  validity_period_expired: { kind: 'permanent', meaning: 'the message was not sent within its validity_period', hint: 'send it again with a longer validity_period if it still matters' },
  timeout: { kind: 'transient', meaning: 'the provider did not answer within SWITCHBOARD_SEND_TIMEOUT_MS', hint: 'retried automatically; repeated timeouts open the provider\'s circuit and traffic moves on' },
  network_error: { kind: 'transient', meaning: 'the connection to the provider failed (DNS, refused, reset)', hint: 'retried automatically; check the provider record\'s base_url and the network' },
  provider_error: { kind: 'transient', meaning: 'the provider failed on its side (a 5xx, or an error it calls temporary such as a full queue)', hint: 'retried automatically with backoff, failing over to the next provider' },
  throttled: { kind: 'throttled', meaning: 'the provider asked us to slow down (HTTP 429 or its own rate-limit code)', hint: 'retried after Retry-After on its own budget; lower the number\'s rate_per_second' },
  unknown: { kind: 'transient', meaning: 'the provider reported an error it does not explain', hint: 'retried a limited number of times; see provider_code' },
  unreachable: { kind: 'transient', meaning: 'the handset could not be reached (switched off, out of coverage)', hint: 'a later send may succeed' },
  auth_failed: { kind: 'permanent', meaning: 'the provider refused Switchboard\'s credentials', hint: 'operator: check the environment variable the provider record names' },
  account_suspended: { kind: 'permanent', meaning: 'the provider barred or suspended Switchboard\'s account', hint: 'operator: contact the provider' },
  insufficient_funds: { kind: 'transient', meaning: 'the provider account is out of credit', hint: 'operator: top up the provider account; sends retry and fail over to other providers meanwhile' },
  invalid_sender: { kind: 'permanent', meaning: 'the provider refused the sender (number or alphanumeric id) for this destination', hint: 'send from another number, or register the sender with the provider' },
  region_not_permitted: { kind: 'permanent', meaning: 'the provider account may not send to this country', hint: 'operator: enable the region at the provider, or route the country elsewhere with a country rule' },
  invalid_number: { kind: 'permanent', meaning: 'the destination is not a valid, existing mobile number (malformed, unknown, a landline)', hint: 'check the number with the recipient' },
  recipient_opted_out: { kind: 'permanent', meaning: 'the recipient unsubscribed at the provider or carrier', hint: 'they must reply START before they can be texted again' },
  blocked: { kind: 'permanent', meaning: 'the carrier or provider blocked or filtered the message (spam filter, blocked sender or destination)', hint: 'do not resend the same content; check the content and the sender\'s registration' },
  rejected: { kind: 'permanent', meaning: 'the provider refused the request for a reason it has no code for here (another 4xx)', hint: 'see the error message and provider_code' },
  no_receipt: { kind: 'permanent', meaning: 'no delivery report came within SWITCHBOARD_RECEIPT_DEADLINE_MS, and the provider could not be asked (or did not know)', hint: 'the text may or may not have reached the handset; the message is final as expired' },
  undelivered: { kind: 'permanent', meaning: 'the carrier reported the message not delivered, without a reason', hint: 'see provider_code, if any' },
} as const satisfies Record<string, { kind: FailureKind; meaning: string; hint: string }>;

export type MessageErrorCode = keyof typeof MESSAGE_ERRORS;

export function isMessageErrorCode(code: string): code is MessageErrorCode {
  return Object.hasOwn(MESSAGE_ERRORS, code);
}
