// Sinch SMS REST errors → retry class and catalog code (domain.md §5): the HTTP status
// decides the class (429 throttled, 5xx transient, 401 auth, other 4xx permanent); the
// body's `code` is kept as the provider's code and refines a few catalog codes.
import { classifyHttpFailure, type FailureKind, type MessageErrorCode } from '../provider.ts';
import { lookup } from '../../domain/lookup.ts';

export const SINCH_ERROR_CODES: Record<string, MessageErrorCode> = {
  unauthorized: 'auth_failed',
  forbidden: 'auth_failed',
  syntax_invalid_parameter_format: 'rejected',
  syntax_invalid_json: 'rejected',
  missing_parameter: 'rejected',
  syntax_constraint_violation: 'rejected',
  too_many_requests: 'throttled',
};

export function classifySinch(httpStatus: number, code: string | undefined): { kind: FailureKind; code: MessageErrorCode } {
  const base = classifyHttpFailure(httpStatus);
  const refined = code !== undefined ? lookup(SINCH_ERROR_CODES, code) : undefined;
  return refined && base.kind === 'permanent' ? { kind: base.kind, code: refined } : base;
}

/** A final delivery report status → catalog code (the report's numeric `code` is kept as the provider's). */
export const SINCH_FINAL_ERRORS: Record<string, MessageErrorCode> = {
  aborted: 'undelivered', cancelled: 'undelivered', rejected: 'rejected', deleted: 'undelivered',
  failed: 'undelivered', expired: 'undelivered', unknown: 'unknown',
};
