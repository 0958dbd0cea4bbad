// Data residency (DESIGN §1, §6). Terms:
// - region: a named store for personal data (`eu`, `us`): every row holding a phone number
//   or a text lives in exactly one region's store; configuration lives in the home store.
// - region map: SWITCHBOARD_REGIONS, `name=url` pairs, comma-separated, in order
//   (`eu=postgres://…/sb_eu,us=postgres://…/sb_us`); a name without a url is a SQLite
//   file in the data folder (`switchboard-<name>.db`). The order numbers the regions.
// - country map: SWITCHBOARD_REGION_COUNTRIES, `region=CC,CC,…` pairs, semicolon-separated
//   (`eu=AT,BE,DE;us=*`); `*` takes every country not named. A number's region is its
//   country's; a message's is its account's pinned region, else its recipient's.
// - region tag: a region's index, written as the first random character of an id's ULID
//   (`msg_` + 10 time characters + the tag + 15 random ones), so a read by id goes straight
//   to its store. Ids keep their shape (26 characters, time-sortable). An id made without
//   regions has a random character there: a read by id that misses its tag's region asks
//   the others before answering not found.
import { AppError } from './errors.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** how many regions a tag can name */
export const MAX_REGIONS = ALPHABET.length;

export interface RegionSpec { name: string; url: string | null }

export interface RegionMap {
  /** the regions, in tag order */
  regions: readonly RegionSpec[];
  /** country (ISO 3166 alpha-2) → region index */
  countries: ReadonlyMap<string, number>;
  /** the region of every country not named (`*`), else the first */
  fallback: number;
}

const NAME = /^[a-z][a-z0-9_-]{0,15}$/;

/** SWITCHBOARD_REGIONS and SWITCHBOARD_REGION_COUNTRIES, checked; null when no region is set. */
export function parseRegionMap(regionsSpec: string, countriesSpec: string): RegionMap | null {
  if (!regionsSpec.trim()) {
    if (countriesSpec.trim()) throw new Error('SWITCHBOARD_REGION_COUNTRIES is set without SWITCHBOARD_REGIONS: name each region\'s store first');
    return null;
  }
  const regions: RegionSpec[] = [];
  for (const pair of regionsSpec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const url = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (!NAME.test(name)) throw new Error(`SWITCHBOARD_REGIONS: ${JSON.stringify(name)} is not a region name (lower-case letters, digits, - and _, up to 16)`);
    if (regions.some((r) => r.name === name)) throw new Error(`SWITCHBOARD_REGIONS names ${name} twice`);
    regions.push({ name, url: url || null });
  }
  if (regions.length > MAX_REGIONS) throw new Error(`SWITCHBOARD_REGIONS: at most ${MAX_REGIONS} regions`);
  const index = (name: string) => {
    const i = regions.findIndex((r) => r.name === name);
    if (i < 0) throw new Error(`SWITCHBOARD_REGION_COUNTRIES names region ${JSON.stringify(name)}, which SWITCHBOARD_REGIONS does not`);
    return i;
  };
  const countries = new Map<string, number>();
  let fallback = -1;
  for (const part of countriesSpec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`SWITCHBOARD_REGION_COUNTRIES: ${JSON.stringify(part)} is not region=CC,CC,…`);
    const r = index(part.slice(0, eq).trim());
    for (const c of part.slice(eq + 1).split(',').map((s) => s.trim().toUpperCase()).filter(Boolean)) {
      if (c === '*') {
        if (fallback >= 0 && fallback !== r) throw new Error('SWITCHBOARD_REGION_COUNTRIES gives * to two regions');
        fallback = r;
      } else if (!/^[A-Z]{2}$/.test(c)) throw new Error(`SWITCHBOARD_REGION_COUNTRIES: ${JSON.stringify(c)} is not a two-letter country code`);
      else if (countries.has(c) && countries.get(c) !== r) throw new Error(`SWITCHBOARD_REGION_COUNTRIES gives ${c} to two regions`);
      else countries.set(c, r);
    }
  }
  return { regions, countries, fallback: fallback < 0 ? 0 : fallback };
}

/** The region index of a country (undefined: the fallback's). */
export function regionOfCountry(map: RegionMap, country: string | null | undefined): number {
  return (country ? map.countries.get(country.toUpperCase()) : undefined) ?? map.fallback;
}

function tagAt(id: string): number {
  return id.indexOf('_') + 11;
}

/** `id` with region `index` as its tag. */
export function tagId(id: string, index: number): string {
  const at = tagAt(id);
  return id.slice(0, at) + ALPHABET[index] + id.slice(at + 1);
}

/** The region index an id's tag names (it may be a random character: see the terms). */
export function idRegion(id: string): number {
  return ALPHABET.indexOf(id.charAt(tagAt(id)));
}

/** A region's store cannot be reached: only that region's data is unavailable. */
export function regionUnavailable(name: string, cause: unknown): AppError {
  return new AppError('region_unavailable', `the ${name} region's database cannot be reached: its data is unavailable until it answers again (other regions are not affected)`, { cause, details: [{ region: name }] });
}
