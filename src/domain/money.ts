// Prices are decimal strings ("0.0079"); arithmetic happens in integer micro-units so
// that 3 × 0.0079 is exactly 0.0237.
const SCALE = 1_000_000;

export function toMicros(price: string): number {
  if (!/^\d+(\.\d{1,6})?$/.test(price)) throw new Error(`not a price: ${price}`);
  const [whole, frac = ''] = price.split('.');
  return Number(whole) * SCALE + Number(frac.padEnd(6, '0'));
}

export function fromMicros(micros: number): string {
  const whole = Math.floor(micros / SCALE);
  const frac = String(micros % SCALE).padStart(6, '0').replace(/0{1,2}$/, '');
  return `${whole}.${frac.length < 4 ? frac.padEnd(4, '0') : frac}`;
}

/** The price of one message: per-segment price for the country (or "*") × segments. */
export function priceFor(prices: Record<string, string>, country: string | undefined, segments: number): string | null {
  const per = (country && prices[country]) ?? prices['*'];
  if (per === undefined) return null;
  return fromMicros(toMicros(per) * segments);
}
