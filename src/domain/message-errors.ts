// The message error catalog: every code a message, a part or an attempt can carry, with
// its class and what the sender should do. Switchboard's own failures use these codes;
// each adapter maps its provider's codes onto them (providers/<kind>/errors.ts), and the
// provider's own code travels beside it as `provider_code`. As with the API error
// catalog (errors.ts), new codes are added here and nowhere else.
//
// Two properties per code:
// - kind, the retry class an adapter reports: transient → may succeed later; throttled →
//   the provider asked us to slow down (Retry-After); permanent → will not succeed as sent.
// - class, what the failure means for routing (DESIGN.md §6), which is what the worker acts on:
//   message  → this message can never be sent: final at once, no failover (a transient
//              one, such as an unknown error, is retried on the message's attempts);
//   route    → this provider will not carry this message (country, sender, number type):
//              the next provider is tried; final only when no route is left;
//   provider → this provider cannot take traffic now (down, 5xx, timeout, credentials,
//              account barred, out of credit): fail over at once, count towards its
//              circuit, and when no route is left the message waits queued, using no
//              attempt, until a route is back or its validity period ends;
//   throttle → slow down: retried after the provider's hint on its own budget.
// A provider failure about the account itself (credentials, a barred account, no credit)
// also `opensCircuit`: one such answer is enough to stop sending there, and the operator
// is alerted with the provider's own code and words (failures of the provider as a whole
// otherwise open the circuit by their rate).

export type FailureKind = 'transient' | 'throttled' | 'permanent';
export type FailureClass = 'message' | 'route' | 'provider' | 'throttle';

export const MESSAGE_ERRORS = {
  route_unavailable: { kind: 'transient', class: 'provider', meaning: 'no route can take this message now (every provider for it is down, its circuit open or its bind lost): it waits queued, using no attempt', hint: 'nothing to do: it is sent when a route is back, or expires at the end of its validity period; see GET /v1/status' },
  no_provider_configured: { kind: 'transient', class: 'provider', meaning: 'no provider is configured (and the built-in simulator does not serve here: SWITCHBOARD_SIMULATOR): it waits queued, using no attempt', hint: 'operator: create a provider (POST /v1/providers); waiting messages are sent within a second of it' },
  no_route: { kind: 'permanent', class: 'message', meaning: 'no active provider and number may carry this message (country rules, capabilities, an explicit sender)', hint: 'add a number or provider that can send to this country, or change the country rule' },
  validity_period_expired: { kind: 'permanent', class: 'message', meaning: 'the message was not sent within its validity_period', hint: 'send it again with a longer validity_period if it still matters' },
  timeout: { kind: 'transient', class: 'provider', meaning: 'the provider did not answer within SWITCHBOARD_SEND_TIMEOUT_MS', hint: 'retried automatically; repeated timeouts open the provider\'s circuit and traffic moves on' },
  network_error: { kind: 'transient', class: 'provider', meaning: 'the connection to the provider failed (DNS, refused, reset)', hint: 'retried automatically; check the provider record\'s base_url and the network' },
  provider_error: { kind: 'transient', class: 'provider', meaning: 'the provider failed on its side (a 5xx, or an error it calls temporary such as a full queue)', hint: 'retried automatically with backoff, failing over to the next provider' },
  throttled: { kind: 'throttled', class: 'throttle', meaning: 'the provider asked us to slow down (HTTP 429 or its own rate-limit code)', hint: 'retried after Retry-After on its own budget; lower the number\'s rate_per_second' },
  unknown: { kind: 'transient', class: 'message', meaning: 'the provider reported an error it does not explain', hint: 'retried a limited number of times; see provider_code' },
  quiet_hours: { kind: 'transient', class: 'message', meaning: 'held: the recipient\'s local time is outside the message\'s send window (quiet hours); it is scheduled for when the window opens', hint: 'nothing to do: it is sent when the window opens; give the message its own send_window (or tz) to change that' },
  unreachable: { kind: 'transient', class: 'message', meaning: 'the handset could not be reached (switched off, out of coverage)', hint: 'a later send may succeed' },
  auth_failed: { kind: 'permanent', class: 'provider', opensCircuit: true, meaning: 'the provider refused Switchboard\'s credentials', hint: 'operator: check the environment variable the provider record names; meanwhile messages fail over to other providers, or wait for this one' },
  account_suspended: { kind: 'permanent', class: 'provider', opensCircuit: true, meaning: 'the provider barred or suspended Switchboard\'s account', hint: 'operator: contact the provider; meanwhile messages fail over to other providers, or wait for this one' },
  insufficient_funds: { kind: 'transient', class: 'provider', opensCircuit: true, meaning: 'the provider account is out of credit', hint: 'operator: top up the provider account; sends retry and fail over to other providers meanwhile' },
  invalid_sender: { kind: 'permanent', class: 'route', meaning: 'the provider refused the sender (number or alphanumeric id) for this destination', hint: 'the next provider is tried; if none is left, send from another number or register the sender with the provider' },
  number_type_not_permitted: { kind: 'permanent', class: 'route', meaning: 'the provider will not carry messages to this kind of number in this region (landline, toll-free, a number type its account may not reach)', hint: 'the next provider is tried; if none is left, send to a different number' },
  account_sandboxed: { kind: 'permanent', class: 'route', meaning: 'the provider account is in its sandbox and may only send to destinations verified with it', hint: 'the next provider is tried; operator: verify the destination with the provider or move the account out of its sandbox' },
  region_not_permitted: { kind: 'permanent', class: 'route', meaning: 'the provider account may not send to this country', hint: 'the next provider is tried; operator: enable the region at the provider, or route the country elsewhere with a country rule' },
  invalid_number: { kind: 'permanent', class: 'message', meaning: 'the destination is not a valid, existing mobile number (malformed or unknown)', hint: 'check the number with the recipient' },
  not_mobile: { kind: 'permanent', class: 'message', meaning: 'a carrier lookup found the destination is a landline: it cannot receive texts', hint: 'call the number instead (POST /v1/calls), or ask the recipient for a mobile number' },
  recipient_opted_out: { kind: 'permanent', class: 'message', meaning: 'the recipient unsubscribed at the provider or carrier', hint: 'they must reply START before they can be texted again' },
  blocked: { kind: 'permanent', class: 'message', meaning: 'the carrier or provider blocked or filtered the message (spam filter, blocked sender or destination)', hint: 'do not resend the same content; check the content and the sender\'s registration' },
  rejected: { kind: 'permanent', class: 'message', meaning: 'the provider refused the request for a reason it has no code for here (another 4xx)', hint: 'see the error message and provider_code' },
  no_receipt: { kind: 'permanent', class: 'message', meaning: 'no delivery report came within SWITCHBOARD_RECEIPT_DEADLINE_MS, and the provider could not be asked (or did not know)', hint: 'the text may or may not have reached the handset; the message is final as expired' },
  undelivered: { kind: 'permanent', class: 'message', meaning: 'the carrier reported the message not delivered, without a reason', hint: 'see provider_code, if any' },
} as const satisfies Record<string, { kind: FailureKind; class: FailureClass; meaning: string; hint: string; opensCircuit?: true }>;

export type MessageErrorCode = keyof typeof MESSAGE_ERRORS;

export function isMessageErrorCode(code: string): code is MessageErrorCode {
  return Object.hasOwn(MESSAGE_ERRORS, code);
}

/** Whether one failure with this code opens its provider's circuit and alerts the operator (see the header). */
export function opensCircuit(code: string): boolean {
  return isMessageErrorCode(code) && (MESSAGE_ERRORS[code] as { opensCircuit?: true }).opensCircuit === true;
}

/** What a failure means for routing (see the header): a throttle by its kind, the rest by its code's class. */
export function failureClass(f: { kind: FailureKind; code: string }): FailureClass {
  if (f.kind === 'throttled') return 'throttle';
  return isMessageErrorCode(f.code) ? MESSAGE_ERRORS[f.code].class : f.kind === 'permanent' ? 'message' : 'provider';
}
