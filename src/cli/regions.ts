// switchboard regions — what each region's store holds (data residency, domain/regions.ts):
// whether it answers, and its messages per destination country, marking the countries
// SWITCHBOARD_REGION_COUNTRIES sends to another region (messages of a pinned account, or
// written before a country was moved: they stay where they were written, read from there).
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { regionOfCountry } from '../domain/regions.ts';

export async function regionsCommand(): Promise<number> {
  const store = await openStore(loadConfig());
  try {
    const regions = store.regions;
    if (!regions) {
      console.log('no regions: every message is in the one store (SWITCHBOARD_REGIONS names regions)');
      return 0;
    }
    let away = 0;
    for (const r of regions.all) {
      let counts: { country: string | null; n: number }[];
      try {
        counts = await r.store.countByCountry();
      } catch (err) {
        away++;
        console.log(`${r.name}: unreachable (${(err as Error).message})`);
        continue;
      }
      const total = counts.reduce((a, c) => a + c.n, 0);
      console.log(`${r.name}: ${total} messages`);
      for (const c of counts) {
        const now = regions.all[regionOfCountry(regions.map, c.country)];
        // Here by an account's pin, or written before the country was moved: they stay, and are read from here.
        console.log(`  ${c.country ?? '??'}  ${c.n}${now.index !== r.index ? `  (the country map sends ${c.country ?? 'it'} to ${now.name})` : ''}`);
      }
    }
    return away > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
