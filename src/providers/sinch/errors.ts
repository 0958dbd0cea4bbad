// Sinch SMS REST errors → retry class and catalog code. Sinch answers 400 and 403 with a
// body `{"code": …, "text": …}` whose code says what went wrong; the HTTP status alone
// decides the rest (429 throttled, 5xx transient, 401 credentials, other 4xx refused).
// The body's code is kept as the provider's code. Sources, beside each row:
//   [status]    developers.sinch.com/docs/sms/api-reference/status-codes (400/403 codes)
//   [community] community.sinch.com/t5/SMS/Common-SMS-HTTP-Statuses-and-Codes-Explained/ta-p/14163
import { classifyHttpFailure, type FailureKind, type MessageErrorCode } from '../provider.ts';
import { lookup } from '../../domain/lookup.ts';
import { MESSAGE_ERRORS } from '../../domain/message-errors.ts';

/** A documented body code → catalog code; its retry class is the catalog's. */
export const SINCH_ERROR_CODES: Record<string, { code: MessageErrorCode; source: string }> = {
  // 400
  syntax_invalid_json: { code: 'rejected', source: '[status] 400: the JSON is invalid or does not follow the API' },
  syntax_invalid_parameter_format: { code: 'rejected', source: '[status] 400: a field\'s format is invalid (a malformed MSISDN, say)' },
  syntax_constraint_violation: { code: 'rejected', source: '[status] 400: the body breaks a constraint (a required field missing)' },
  // 403: a refusal of the account, of the number type, or of the request
  blocked_account: { code: 'account_suspended', source: '[status] [community] 403: "your account has been blocked": contact the account manager' },
  illegal_number_type: { code: 'number_type_not_permitted', source: '[status] [community] 403: "illegal phone number type of MSISDN for a chosen region": send to a different MSISDN' },
  missing_callback_url: { code: 'rejected', source: '[status] [community] 403: a delivery report was asked for with no callback URL on the request or the service plan' },
  // 401, 429: the status decides; the code names it
  unauthorized: { code: 'auth_failed', source: '[status] 401: the service plan id or token is wrong' },
  too_many_requests: { code: 'throttled', source: '[status] 429: slow down' },
};

export function classifySinch(httpStatus: number, code: string | undefined): { kind: FailureKind; code: MessageErrorCode; known: boolean } {
  const documented = code !== undefined ? lookup(SINCH_ERROR_CODES, code) : undefined;
  // A documented code decides where the status is a 4xx refusal; a 5xx or 429 keeps its status's meaning.
  if (documented && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 429) return { kind: MESSAGE_ERRORS[documented.code].kind, code: documented.code, known: true };
  return { ...classifyHttpFailure(httpStatus), known: documented !== undefined || code === undefined };
}

/** A final delivery report status → catalog code (the report's numeric `code` is kept as the provider's). */
export const SINCH_FINAL_ERRORS: Record<string, MessageErrorCode> = {
  aborted: 'undelivered', cancelled: 'undelivered', rejected: 'rejected', deleted: 'undelivered',
  failed: 'undelivered', expired: 'undelivered', unknown: 'unknown',
};
