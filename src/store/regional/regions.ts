// The regions a RegionalStore routes to (terms in domain/regions.ts): which store a row,
// an id or a number belongs in, and how a call reaches one region, each region, or the
// first region that has an id. A region whose database cannot be reached answers
// `region_unavailable` naming it; reads and claims over every region go on without it
// (`down` names it, for readiness and /v1/status), so one region's outage never hides
// another's data.
import type { Claimed, Store } from '../store.ts';
import type { RegionOf, RegionView } from '../ports/regions.ts';
import { idRegion, regionOfCountry, regionUnavailable, tagId, type RegionMap } from '../../domain/regions.ts';
import { newId, type IdPrefix } from '../../domain/ids.ts';
import { AppError } from '../../domain/errors.ts';
import { parsePhone } from '../../domain/phone.ts';
import { storeFailure } from '../failures.ts';

export type Region = RegionOf<Store>;

export class Regions implements RegionView<Store> {
  readonly home: Store;
  readonly all: readonly Region[];
  /** the regions this process's workers claim work in (all unless `--region` narrows them) */
  readonly working: readonly Region[];
  readonly map: RegionMap;
  /** regions that failed their last call, by name */
  readonly down = new Set<string>();

  constructor(home: Store, stores: Store[], map: RegionMap, working?: readonly string[]) {
    this.home = home;
    this.map = map;
    this.all = map.regions.map((r, index) => ({ name: r.name, index, store: stores[index] }));
    this.working = working?.length ? this.all.filter((r) => working.includes(r.name)) : this.all;
  }

  /** The region an id's tag names, or undefined (an id made without regions: see domain/regions.ts). */
  tagged(id: string): Region | undefined {
    return this.all[idRegion(id)];
  }

  /** The region a new row keyed by this id belongs in: its tag's, else the fallback. */
  ofId(id: string): Region {
    return this.tagged(id) ?? this.all[this.map.fallback];
  }

  /** The region of a phone number: its country's. */
  ofNumber(e164: string): Region {
    const p = parsePhone(e164);
    return this.all[regionOfCountry(this.map, p.ok ? p.country : undefined)];
  }

  idFor(prefix: IdPrefix, e164: string): string {
    return tagId(newId(prefix), this.ofNumber(e164).index);
  }

  /** One region's store, its outage answered as that region's. */
  async call<T>(r: Region, f: (s: Store) => Promise<T>): Promise<T> {
    try {
      const out = await f(r.store);
      this.down.delete(r.name);
      return out;
    } catch (err) {
      if (storeFailure(err) === 'database_unavailable') {
        this.down.add(r.name);
        throw regionUnavailable(r.name, err);
      }
      throw err;
    }
  }

  /** Every region in `rs` (writes, sweeps): a region that is away fails the call. */
  each<T>(rs: readonly Region[], f: (s: Store) => Promise<T>): Promise<T[]> {
    return Promise.all(rs.map((r) => this.call(r, f)));
  }

  /** Every region in `rs` that answers (reads, claims): one that is away is left out. */
  async gather<T>(rs: readonly Region[], f: (s: Store) => Promise<T>): Promise<T[]> {
    const out = await Promise.allSettled(rs.map((r) => this.call(r, f)));
    const got: T[] = [];
    for (const o of out) {
      if (o.status === 'fulfilled') got.push(o.value);
      else if (!(o.reason instanceof AppError && o.reason.code === 'region_unavailable')) throw o.reason;
    }
    return got;
  }

  /** One region's rows, none while it is away (claims: the other regions' work goes on). */
  async rowsOf<T>(r: Region, f: (s: Store) => Promise<T[]>): Promise<T[]> {
    return (await this.gather([r], f))[0] ?? [];
  }

  /**
   * The answer of the region an id is in: its tag's first, then the others, until one has
   * it (`found`). Not found anywhere while a region was away is that region's outage.
   */
  async find<T>(id: string, f: (s: Store) => Promise<T>, found: (t: T) => boolean = (t) => t !== undefined && t !== null && t !== false): Promise<T> {
    const first = this.tagged(id);
    let away: unknown = null;
    let miss: T | undefined;
    for (const r of first ? [first, ...this.all.filter((x) => x !== first)] : this.all) {
      try {
        const t = await this.call(r, f);
        if (found(t)) return t;
        miss ??= t;
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'region_unavailable')) throw err;
        away ??= err;
        if (r === first) throw err; // its own region is away: the others cannot have it
      }
    }
    if (away) throw away;
    return miss as T;
  }

  /** Items split by region, in their order within each. */
  split<T>(items: readonly T[], regionOf: (t: T) => Region): Map<Region, T[]> {
    const out = new Map<Region, T[]>();
    for (const t of items) {
      const r = regionOf(t);
      const list = out.get(r);
      if (list) list.push(t);
      else out.set(r, [t]);
    }
    return out;
  }

  /** Per-item results of a write split by region, back in the items' order. */
  async splitMap<T, R>(items: readonly T[], regionOf: (t: T) => Region, f: (s: Store, part: T[]) => Promise<R[]>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    const byRegion = this.split(items.map((_, i) => i), (i) => regionOf(items[i]));
    await Promise.all([...byRegion].map(async ([r, at]) => {
      const got = await this.call(r, (s) => f(s, at.map((i) => items[i])));
      at.forEach((i, k) => { out[i] = got[k]; });
    }));
    return out;
  }

  /** A write split by region with no per-item answer. */
  async splitDo<T>(items: readonly T[], regionOf: (t: T) => Region, f: (s: Store, part: T[]) => Promise<unknown>): Promise<void> {
    await Promise.all([...this.split(items, regionOf)].map(([r, part]) => this.call(r, (s) => f(s, part))));
  }
}

/** Newest first by id, at most `limit`: lists merged from several regions. */
export function newestFirst<T extends { id: string }>(lists: T[][], limit: number): T[] {
  return lists.flat().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
}

/** Which region holds the rows of ids this process has seen (claimed, inserted), for writes keyed by such an id: bounded, oldest forgotten first. */
export class Seen {
  readonly #at = new Map<string, Region>();
  note(id: string, r: Region): void {
    if (this.#at.size >= 200_000) this.#at.delete(this.#at.keys().next().value!);
    this.#at.set(id, r);
  }
  noteAll<T>(rows: T[], id: (t: T) => string, r: Region): T[] {
    for (const row of rows) this.note(id(row), r);
    return rows;
  }
  get(id: string): Region | undefined { return this.#at.get(id); }
  forget(id: string): void { this.#at.delete(id); }
}

export const sum = (ns: number[]): number => ns.reduce((a, b) => a + b, 0);
/** Paced claims in several regions as one: refused only when every region's was. */
export function claimsOf<T>(lists: Claimed<T>[]): Claimed<T> {
  const all: Claimed<T> = lists.flat() as T[];
  if (lists.length > 0 && lists.every((l) => l.refused)) all.refused = true;
  return all;
}
export const earliest = (ts: (number | null)[]): number | null => ts.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.min(a, b)), null);
