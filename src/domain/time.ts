// Times as the API takes them: ISO-8601 text, checked, as epoch milliseconds.
import { AppError } from './errors.ts';

/** `value` as epoch ms (undefined when absent); not a time: 400 validation_error naming `field`. */
export function parseIsoTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new AppError('validation_error', `${field} must be an ISO-8601 time`, { field });
  return t;
}
