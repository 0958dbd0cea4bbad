// Twilio's documented error codes → retry class (domain.md §2.4). Codes not listed fall
// back to the HTTP status: 429 throttled, 5xx transient, other 4xx permanent.
import { classifyHttpFailure, type FailureKind } from '../provider.ts';

export const TWILIO_ERRORS: Record<number, FailureKind> = {
  20003: 'permanent', // authentication failed: a configuration error, retrying cannot help
  20429: 'throttled', // too many requests: retry after backing off
  21211: 'permanent', // invalid To
  21408: 'permanent', // geo permissions disabled for the region
  21610: 'permanent', // recipient replied STOP
  21614: 'permanent', // not a mobile number
  30001: 'transient', // queue overflow
  30003: 'transient', // unreachable handset, may be transient
  30004: 'permanent', // blocked
  30005: 'permanent', // unknown handset
  30006: 'permanent', // landline or unreachable carrier
  30007: 'permanent', // filtered: do not resend the same content
  30008: 'transient', // unknown error
};

export function classifyTwilio(httpStatus: number, code: number | undefined): FailureKind {
  if (code !== undefined && TWILIO_ERRORS[code]) return TWILIO_ERRORS[code];
  return classifyHttpFailure(httpStatus);
}
