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
