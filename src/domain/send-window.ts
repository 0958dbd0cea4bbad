// Quiet hours: the hours of the recipient's local day a message may be sent in. Terms:
// - send window: `{ start: "08:00", end: "21:00" }` in the recipient's local time; an end
//   before the start crosses midnight ("21:00"–"08:00": nights only).
// - the recipient's time zones: those of the longest dialling prefix of their number in
//   libphonenumber's time-zone map (data/timezones.json: one zone for most numbers, one
//   per area code in North America); a message's `tz` overrides them. A number whose
//   prefix spans several zones is sent only while the window is open in all of them (the
//   strictest reading); if those windows never meet, in the first zone listed.
// - opening: the first instant at or after a time when the window is open.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from './errors.ts';

export interface SendWindow { start: string; end: string }

const DATA = JSON.parse(readFileSync(join(import.meta.dirname, 'data', 'timezones.json'), 'utf8')) as { zones: string[]; prefixes: Record<string, string> };
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

/** A send window as given (API, settings), checked; `field` names it in the error. */
export function sendWindowOf(value: unknown, field = 'send_window'): SendWindow {
  const w = value as Partial<SendWindow> | null;
  if (!w || typeof w !== 'object' || typeof w.start !== 'string' || typeof w.end !== 'string' || !HHMM.test(w.start) || !HHMM.test(w.end) || w.start === w.end) {
    throw new AppError('validation_error', `${field} must be { "start": "HH:MM", "end": "HH:MM" } (24-hour, start ≠ end; an end before the start crosses midnight)`, { field });
  }
  return { start: w.start, end: w.end };
}

/** An IANA time zone name, checked. */
export function timeZoneOf(value: string, field = 'tz'): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new AppError('validation_error', `${field} ${JSON.stringify(value)} is not an IANA time zone (like Europe/Berlin)`, { field });
  }
}

/** The time zones of an E.164 number (longest prefix); empty when the map has none. */
export function zonesOf(e164: string): string[] {
  for (let p = e164.replace(/^\+/, ''); p.length > 0; p = p.slice(0, -1)) {
    const hit = DATA.prefixes[p];
    if (hit) return hit.split(' ').map((i) => DATA.zones[Number(i)]);
  }
  return [];
}

const formats = new Map<string, Intl.DateTimeFormat>();
function partsIn(zone: string, t: number): { y: number; mo: number; d: number; h: number; mi: number } {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute) };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** Whether `w` is open at `t` in `zone`. */
export function isOpen(w: SendWindow, zone: string, t: number): boolean {
  const p = partsIn(zone, t);
  const m = p.h * 60 + p.mi;
  const [s, e] = [minutesOf(w.start), minutesOf(w.end)];
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/** The instant local time in `zone` reads `hhmm` on the local day `day` days after `t`'s. */
function localInstant(zone: string, t: number, day: number, hhmm: string): number {
  const p = partsIn(zone, t);
  const wall = Date.UTC(p.y, p.mo - 1, p.d + day, 0, minutesOf(hhmm));
  // The zone's offset near that wall time, then once more across a DST change.
  let at = wall;
  for (let i = 0; i < 2; i++) {
    const q = partsIn(zone, at);
    at = wall - (Date.UTC(q.y, q.mo - 1, q.d, q.h, q.mi) - Math.floor(at / 60_000) * 60_000);
  }
  return at;
}

/**
 * When a message due at `t` may go: null when the window is open at `t` in every zone,
 * else the first opening after it (see the top for several zones).
 */
export function nextOpening(w: SendWindow, zones: readonly string[], t: number): number | null {
  if (zones.length === 0 || zones.every((z) => isOpen(w, z, t))) return null;
  const candidates = zones.flatMap((z) => [0, 1, 2].map((day) => localInstant(z, t, day, w.start))).filter((c) => c > t && c < t + 3 * DAY_MS).sort((a, b) => a - b);
  const together = candidates.find((c) => zones.every((z) => isOpen(w, z, c)));
  if (together !== undefined) return together;
  return zones.length > 1 ? nextOpening(w, zones.slice(0, 1), t) : null;
}

/** A message due at `due` that must wait for its window: until when, and why in words; null when it may go. */
export function heldFor(w: SendWindow, zones: readonly string[], due: number): { at: number; why: string } | null {
  const at = nextOpening(w, zones, due);
  return at === null ? null : { at, why: `held for its send window (${w.start}–${w.end} in ${zones.join(', ')}) until ${new Date(at).toISOString()}` };
}
