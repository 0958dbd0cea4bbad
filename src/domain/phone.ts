// E.164 parsing (domain.md §7). The `max` metadata validates the digits, not only the
// length, so a number the carriers would reject is refused at intake.
import { parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/max';
import { AppError } from './errors.ts';

export type PhoneResult =
  | { ok: true; e164: string; country: string | undefined }
  | { ok: false; reason: string };

const E164 = /^\+[1-9]\d{1,14}$/;

// Parsing with the full metadata costs tens of microseconds, and senders text the same
// recipients again and again: results (pure in input and country) are remembered, up to
// CACHE_MAX of them, the oldest forgotten first.
const CACHE_MAX = 50_000;
const cache = new Map<string, PhoneResult>();

export function parsePhone(input: string, defaultCountry?: string): PhoneResult {
  const key = defaultCountry ? `${input}\u0000${defaultCountry}` : input;
  let r = cache.get(key);
  if (r === undefined) {
    r = Object.freeze(parseUncached(input, defaultCountry));
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, r);
  }
  return r;
}

function parseUncached(input: string, defaultCountry?: string): PhoneResult {
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'the number is empty' };
  try {
    const parsed = parsePhoneNumberWithError(text, {
      defaultCountry: defaultCountry as CountryCode | undefined,
      extract: false,
    });
    if (!parsed.isValid()) return { ok: false, reason: `${text} is not a valid phone number` };
    if (!E164.test(parsed.number)) return { ok: false, reason: `${text} is not an E.164 number` };
    return { ok: true, e164: parsed.number, country: parsed.country };
  } catch (err) {
    if (err instanceof ParseError) {
      const why: Record<string, string> = {
        NOT_A_NUMBER: 'is not a phone number',
        INVALID_COUNTRY: 'has no country code (use +<country code>… or give `country`)',
        TOO_SHORT: 'is too short',
        TOO_LONG: 'is too long',
      };
      return { ok: false, reason: `${text} ${why[err.message] ?? 'is not a valid phone number'}` };
    }
    throw err;
  }
}

/** The E.164 form of a number a caller gave in `field`, or `invalid_phone_number` naming it. */
export function requirePhone(value: string, field: string): string {
  const p = parsePhone(value);
  if (!p.ok) throw new AppError('invalid_phone_number', p.reason, { field });
  return p.e164;
}

/** An opt-out's business sender: '' (every number of the account), an alphanumeric id, or E.164. */
export function optOutSender(value: string | null | undefined): string {
  if (value === undefined || value === null || value === '') return '';
  return isAlphanumericSender(value) ? value : requirePhone(value, 'sender');
}

/** Alphanumeric sender ids: 3–11 characters, letters, digits and spaces, at least one letter. */
export function isAlphanumericSender(s: string): boolean {
  return /^[A-Za-z0-9 ]{3,11}$/.test(s) && /[A-Za-z]/.test(s);
}
