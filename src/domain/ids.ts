// Prefixed, time-sortable ids: `msg_` + 26 Crockford base32 characters (a ULID:
// 48 bits of milliseconds, 80 random bits). Within one millisecond the random part is
// incremented, so ids made by one process sort in creation order.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) { out = ALPHABET[ms % 32] + out; ms = Math.floor(ms / 32); }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 characters, 5 bits at a time.
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) { out += ALPHABET[(buffer >> (bits - 5)) & 31]; bits -= 5; }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) { if (next[i] < 255) { next[i]++; return next; } next[i] = 0; }
  return next;
}

// Random bytes are drawn in blocks: one crypto call per 400 ids instead of one per id.
let pool = Buffer.alloc(0);
let poolAt = 0;
function random10(): Uint8Array {
  if (poolAt + 10 > pool.length) { pool = randomBytes(4000); poolAt = 0; }
  poolAt += 10;
  return pool.subarray(poolAt - 10, poolAt);
}

export function ulid(now = Date.now()): string {
  if (now <= lastTime) lastRandom = increment(lastRandom);
  else { lastTime = now; lastRandom = random10(); }
  return encodeTime(Math.max(now, lastTime)) + encodeRandom(lastRandom);
}

export type IdPrefix = 'req' | 'cns' | 'bat' | 'msg' | 'att' | 'evt' | 'key' | 'whk' | 'acc' | 'inb' | 'cbk' | 'rly' | 'msk' | 'smb' | 'trk' | 'drl';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

/**
 * An id of a given past time `ms` (history written after the fact: seeding, imports), unlike
 * newId, which is of now and follows the last id this process made.
 */
export function idAt(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(ms)))}${encodeRandom(random10())}`;
}

/** The smallest id of `prefix` made at `ms` or later: ids are time-ordered, so a time range is an id range. */
export function idFloor(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(ms)))}${'0'.repeat(16)}`;
}
