// The error catalog: every error a caller can see, with its HTTP status and what to do.
// Tests assert the code, never the message. New errors are added here, nowhere else.

export const ERRORS = {
  validation_error: { status: 400, hint: 'fix the field named in `field` and send again' },
  secret_value_given: { status: 400, hint: 'records name the environment variable holding a secret (…_env), never the secret' },
  env_not_allowed: { status: 422, hint: 'credential variables must match SWITCHBOARD_PROVIDER_ENV (by default TWILIO_, VONAGE_, SINCH_, AWS_, SMPP_ prefixes); Switchboard\'s own settings are never accepted' },
  invalid_body: { status: 422, hint: 'the body holds text no SMS encoding can carry (a lone UTF-16 surrogate); send well-formed Unicode' },
  invalid_phone_number: { status: 400, hint: 'give the number in E.164 (+<country code><number>) or pass `country`' },
  unknown_template: { status: 422, hint: 'create the template first (POST /v1/templates) or check its id' },
  template_variables: { status: 422, hint: 'give every variable the template declares, and no others (GET /v1/templates/:id)' },
  invalid_sender: { status: 400, hint: 'use one of your numbers (GET /v1/numbers) or omit `from`' },
  batch_invalid: { status: 422, hint: 'fix the recipients listed in `details` (index, field, code, message) and send the batch again: nothing of it was stored' },
  recipient_opted_out: { status: 422, hint: 'the recipient replied STOP; they must reply START (or be removed from /v1/opt-outs) before you can text them again' },
  unknown_sender: { status: 422, hint: '`from` must be one of your active numbers (GET /v1/numbers); omit it to let routing choose' },
  sender_not_allowed: { status: 422, hint: 'the destination country\'s rules or the number\'s capabilities forbid this sender; omit `from` to let routing choose' },
  body_empty: { status: 400, hint: 'send a non-empty body' },
  body_too_long: { status: 400, hint: 'bodies are limited to 1600 characters' },
  invalid_send_at: { status: 400, hint: 'send_at must be an ISO-8601 time within the next 35 days' },
  invalid_callback_url: { status: 400, hint: 'callback_url must be an absolute http(s) URL' },
  callback_not_signable: { status: 422, hint: 'send with a key that has a webhook_secret (every key created by POST /v1/keys has one), or set SWITCHBOARD_WEBHOOK_SECRET for the bootstrap key' },
  invalid_cursor: { status: 400, hint: 'pass back next_cursor exactly as received' },
  unauthorized: { status: 401, hint: 'send `Authorization: Bearer <api key>`' },
  forbidden: { status: 403, hint: 'use a key with the scope named in the message; shared routing records (providers, country rules, the number pool) need an operator key' },
  csrf_failed: { status: 403, hint: 'a dashboard session must send x-csrf-token (from GET /dashboard/session) with every change; sign in again if it expired' },
  invalid_signature: { status: 403, hint: 'the webhook signature is missing or wrong; check the provider secret and PUBLIC_URL' },
  not_found: { status: 404, hint: 'check the id' },
  idempotency_conflict: { status: 409, hint: 'an Idempotency-Key may be reused only with the same request body' },
  message_not_cancelable: { status: 409, hint: 'only queued or scheduled messages can be canceled' },
  no_proxy_available: { status: 409, hint: 'every masking number is already used by one of these participants; add numbers with "pool": "masking" or end older sessions' },
  invalid_relay_destination: { status: 422, hint: 'relay destinations must be E.164 numbers that are not ours and not the relay number itself' },
  conflict: { status: 409, hint: 'the record already exists' },
  rate_limited: { status: 429, hint: 'wait for Retry-After seconds' },
  internal_error: { status: 500, hint: 'retry later; the operator can find the request id in the logs' },
  unavailable: { status: 503, hint: 'retry later' },
  database_unavailable: { status: 503, hint: 'the database cannot be reached or written; retry after Retry-After seconds with the same Idempotency-Key (a request that got this answer may or may not have been stored: the key finds it)' },
  region_unavailable: { status: 503, hint: 'the database of the region named in `details` cannot be reached: its messages, texts and opt-outs are unavailable until it answers again; other regions work on (retry after Retry-After seconds)' },
  storage_full: { status: 507, hint: 'the database\'s disk is full; nothing was stored: retry once the operator has freed space' },
} as const satisfies Record<string, { status: number; hint: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly status: number;
  /** for rate_limited: seconds until a retry can succeed */
  readonly retryAfter?: number;
  /** item by item, for a request of many (a batch's recipients) */
  readonly details?: readonly unknown[];
  constructor(code: ErrorCode, message: string, opts: { field?: string; cause?: unknown; retryAfter?: number; details?: readonly unknown[] } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = opts.field;
    this.retryAfter = opts.retryAfter;
    this.details = opts.details;
    this.status = ERRORS[code].status;
  }
}
