// GSM 03.38 encoding detection and segment counting (domain.md §1).
// Glossary: a *septet* is one GSM-7 code unit; an *extension* character costs two
// septets (ESC + code); a *unit* is one UTF-16 code unit in UCS-2. A segment never
// splits an ESC pair, a surrogate pair or (for UCS-2) a grapheme, as Twilio's
// segment calculator does: a character that does not fit moves whole to the next part.

export type Encoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: Encoding;
  segments: number;
  /** septets (GSM-7) or UTF-16 units (UCS-2) per segment */
  unitsPerSegment: number[];
  /** septets or units in total */
  units: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const SEPTETS = new Map<string, number>();
for (const ch of GSM_BASIC) SEPTETS.set(ch, 1);
for (const ch of GSM_EXTENSION) SEPTETS.set(ch, 2);

export const LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const;

/** Septets a character costs in GSM-7, or undefined when it is not in GSM 03.38. */
export function gsmSeptets(ch: string): number | undefined {
  return SEPTETS.get(ch);
}

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!SEPTETS.has(ch)) return false;
  return true;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Packs atom sizes into segments; an atom never straddles two segments. */
function pack(sizes: Iterable<number>, total: number, single: number, part: number): number[] {
  if (total <= single) return [total];
  const out: number[] = [];
  let current = 0;
  for (let size of sizes) {
    // An atom larger than a whole part (a huge grapheme cluster) is split at its limit.
    while (size > part) {
      if (current > 0) { out.push(current); current = 0; }
      out.push(part);
      size -= part;
    }
    if (current + size > part) { out.push(current); current = 0; }
    current += size;
  }
  if (current > 0) out.push(current);
  return out;
}

function* ucs2Atoms(text: string): Iterable<number> {
  for (const { segment } of graphemes.segment(text)) {
    // Split a long grapheme only at code point boundaries, never inside a surrogate pair.
    if (segment.length <= LIMITS['UCS-2'].part) { yield segment.length; continue; }
    for (const cp of segment) yield cp.length;
  }
}

export function countSegments(text: string): SegmentInfo {
  if (isGsm7(text)) {
    const sizes: number[] = [];
    let total = 0;
    for (const ch of text) { const s = SEPTETS.get(ch)!; sizes.push(s); total += s; }
    const per = pack(sizes, total, LIMITS['GSM-7'].single, LIMITS['GSM-7'].part);
    return { encoding: 'GSM-7', segments: per.length, unitsPerSegment: per, units: total };
  }
  const per = pack(ucs2Atoms(text), text.length, LIMITS['UCS-2'].single, LIMITS['UCS-2'].part);
  return { encoding: 'UCS-2', segments: per.length, unitsPerSegment: per, units: text.length };
}

/**
 * The text of each segment, split exactly as countSegments counts (SMPP and other
 * providers that take one part at a time send these).
 */
export function splitSegments(text: string): string[] {
  const info = countSegments(text);
  if (info.segments === 1) return [text];
  const out: string[] = [];
  let current = '';
  let used = 0;
  let k = 0;
  const atoms: string[] = info.encoding === 'GSM-7' ? [...text] : [...graphemes.segment(text)].flatMap(({ segment }) => (segment.length <= LIMITS['UCS-2'].part ? [segment] : [...segment]));
  for (const atom of atoms) {
    const size = info.encoding === 'GSM-7' ? SEPTETS.get(atom)! : atom.length;
    if (used + size > info.unitsPerSegment[k] && used > 0) { out.push(current); current = ''; used = 0; k++; }
    current += atom;
    used += size;
  }
  if (current) out.push(current);
  return out;
}

// GSM 03.38 as SMPP carries it with data_coding 0: one septet per octet (unpacked);
// an extension character is ESC (0x1B) then its code.
const GSM_CODES = new Map<string, number>();
[...GSM_BASIC].forEach((ch, i) => GSM_CODES.set(ch, i < 27 ? i : i + 1));
const GSM_EXT_CODES = new Map<string, number>([['\f', 0x0a], ['^', 0x14], ['{', 0x28], ['}', 0x29], ['\\', 0x2f], ['[', 0x3c], ['~', 0x3d], [']', 0x3e], ['|', 0x40], ['€', 0x65]]);
const GSM_CHARS = new Map([...GSM_CODES].map(([ch, c]) => [c, ch]));
const GSM_EXT_CHARS = new Map([...GSM_EXT_CODES].map(([ch, c]) => [c, ch]));

/** GSM-7 text → unpacked septets (throws on a character outside GSM 03.38). */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const code = GSM_CODES.get(ch);
    if (code !== undefined) { out.push(code); continue; }
    const ext = GSM_EXT_CODES.get(ch);
    if (ext === undefined) throw new Error(`not a GSM 03.38 character: ${JSON.stringify(ch)}`);
    out.push(0x1b, ext);
  }
  return Buffer.from(out);
}

/** Unpacked septets → text; an unknown code reads as a space, as handsets show it. */
export function decodeGsm7(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] & 0x7f;
    if (b === 0x1b && i + 1 < bytes.length) { out += GSM_EXT_CHARS.get(bytes[++i] & 0x7f) ?? ' '; continue; }
    out += GSM_CHARS.get(b) ?? ' ';
  }
  return out;
}

/** UCS-2 (UTF-16BE) as SMPP carries it with data_coding 8. */
export function encodeUcs2(text: string): Buffer {
  const b = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) b.writeUInt16BE(text.charCodeAt(i), i * 2);
  return b;
}

export function decodeUcs2(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
  return out;
}

/**
 * Look-alikes that force UCS-2 though GSM-7 has a stand-in (curly quotes, dashes, the
 * ellipsis, special spaces), as providers' "smart encoding" replaces them.
 */
export const GSM_REPLACEMENTS: Readonly<Record<string, string>> = Object.freeze({
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u2039': "'", '\u203A': "'", '`': "'", '\u00B4': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u2033': '"', '\u00AB': '"', '\u00BB': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-',
  '\u2026': '...', '\u2022': '*', '\u02C6': '^', '\u02DC': '~',
  '\u00A0': ' ', '\u2002': ' ', '\u2003': ' ', '\u2009': ' ', '\u200A': ' ', '\u202F': ' ', '\u205F': ' ',
  '\u200B': '', '\u200C': '', '\u200D': '', '\u2060': '', '\uFEFF': '',
});

/** The characters of `text` outside GSM 03.38 (each once, in order). */
export function ucs2Characters(text: string): string[] {
  return [...new Set([...text].filter((ch) => !SEPTETS.has(ch)))];
}

/** `text` with smart-encoding stand-ins: what was replaced, and what still needs UCS-2. */
export function gsmAlternative(text: string): { body: string; replacements: { char: string; with: string; count: number }[]; remaining: string[] } {
  const counts = new Map<string, number>();
  let body = '';
  for (const ch of text) {
    const r = Object.hasOwn(GSM_REPLACEMENTS, ch) ? GSM_REPLACEMENTS[ch] : undefined;
    if (r === undefined) { body += ch; continue; }
    body += r;
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  return { body, replacements: [...counts].map(([char, count]) => ({ char, with: GSM_REPLACEMENTS[char], count })), remaining: ucs2Characters(body) };
}
