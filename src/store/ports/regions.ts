// What code above the store may ask a store with regions (regional/): where new rows go
// and which regions are away. Terms in domain/regions.ts. `S` is the Store (kept generic
// so this port does not import the Store it is part of).
import type { RegionMap } from '../../domain/regions.ts';
import type { IdPrefix } from '../../domain/ids.ts';

export interface RegionOf<S> { name: string; index: number; store: S }

export interface RegionView<S> {
  /** the home store: configuration */
  readonly home: S;
  /** the regions, in tag order */
  readonly all: readonly RegionOf<S>[];
  /** the regions this process's workers claim work in */
  readonly working: readonly RegionOf<S>[];
  readonly map: RegionMap;
  /** regions whose last call failed, by name */
  readonly down: ReadonlySet<string>;
  /** the region an id's tag names (the fallback for an id without one) */
  ofId(id: string): RegionOf<S>;
  /** the region of a phone number's country */
  ofNumber(e164: string): RegionOf<S>;
  /** a new id (`rly`, …) tagged with the region of the number its row is kept by */
  idFor(prefix: IdPrefix, e164: string): string;
}
