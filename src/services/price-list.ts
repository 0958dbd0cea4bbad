// Price lists as aggregators publish them (issue 28): a CSV with a header naming its
// columns — a price (`price`, `rate` or `price_per_sms`) and where it applies: a network
// (`mcc` and `mnc`), a dialling prefix (`prefix`), or a country (`country`, ISO 3166
// alpha-2). Other columns (network names, currency) are ignored. Read into a provider's
// `prices`: entries in the file replace those with the same key, the rest stay.
import { parseCsv } from '../domain/csv.ts';
import { keyKind } from '../routing/network.ts';
import type { ProviderRow, RecordStore } from '../store/store.ts';

export interface PriceChange { key: string; from: string | null; to: string }
export interface PriceImport { changes: PriceChange[]; unchanged: number; problems: string[]; prices: Record<string, string> }

const PRICE = ['price', 'rate', 'price_per_sms', 'price_per_message'];

export function readPriceList(text: string, current: Readonly<Record<string, string>>): PriceImport {
  const [header = [], ...rows] = parseCsv(text);
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h.trim().toLowerCase().replace(/[\s-]+/g, '_')));
  const at = { price: col(...PRICE), mcc: col('mcc'), mnc: col('mnc'), prefix: col('prefix', 'dial_prefix', 'dialing_prefix'), country: col('country', 'iso', 'country_code', 'iso2') };
  const problems: string[] = [];
  if (at.price < 0) problems.push(`the header names no price column (${PRICE.join(', ')})`);
  if (at.mcc < 0 && at.prefix < 0 && at.country < 0) problems.push('the header names no mcc/mnc, prefix or country column');
  const entries = new Map<string, string>();
  if (problems.length === 0) {
    rows.forEach((r, i) => {
      const line = i + 2;
      const cell = (k: number) => (k >= 0 ? (r[k] ?? '').trim() : '');
      const price = cell(at.price);
      if (!/^\d+(\.\d{1,6})?$/.test(price)) { problems.push(`line ${line}: price ${JSON.stringify(price)} is not a decimal like 0.0079`); return; }
      const [mcc, mnc, prefix, country] = [cell(at.mcc), cell(at.mnc), cell(at.prefix).replace(/^\+/, ''), cell(at.country).toUpperCase()];
      const key = mcc && mnc ? `${mcc}-${mnc}` : prefix ? `+${prefix}` : country;
      const kind = key ? keyKind(key) : null;
      if (kind !== 'network' && kind !== 'prefix' && kind !== 'country') { problems.push(`line ${line}: no network (mcc, mnc), prefix or country it applies to (${JSON.stringify(key)})`); return; }
      entries.set(key, price);
    });
  }
  const changes: PriceChange[] = [];
  let unchanged = 0;
  for (const [key, to] of entries) {
    const from = Object.hasOwn(current, key) ? current[key] : null;
    if (from !== null && Number(from) === Number(to)) unchanged++;
    else changes.push({ key, from, to });
  }
  return { changes, unchanged, problems, prices: { ...current, ...Object.fromEntries(entries) } };
}

/** Reads a price list into a provider's prices; with `dryRun`, or any problem, nothing is written. */
export async function importPriceList(store: RecordStore, providerId: string, text: string, dryRun: boolean): Promise<PriceImport & { provider: ProviderRow }> {
  const provider = (await store.listProviders()).find((p) => p.id === providerId);
  if (!provider) throw new Error(`no provider ${providerId}`);
  const r = readPriceList(text, JSON.parse(provider.prices) as Record<string, string>);
  if (!dryRun && r.problems.length === 0 && r.changes.length > 0) await store.upsertProvider({ ...provider, prices: JSON.stringify(r.prices), updated_at: Date.now() });
  return { ...r, provider };
}
