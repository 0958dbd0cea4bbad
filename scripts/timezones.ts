// Makes src/domain/data/timezones.json, the map quiet hours read a number's time zones
// from, out of libphonenumber's time-zone map (Apache-2.0): its
// resources/timezones/map_data.txt, lines of `prefix|Zone/One&Zone/Two`.
//   node scripts/timezones.ts path/to/map_data.txt
// The output names each zone once and gives each prefix the indexes of its zones,
// space-separated (a third of the size of the text it comes from).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const source = process.argv[2];
if (!source) {
  console.error('usage: node scripts/timezones.ts path/to/libphonenumber/resources/timezones/map_data.txt');
  process.exit(2);
}
const zones: string[] = [];
const index = new Map<string, number>();
const prefixes: Record<string, string> = {};
for (const line of readFileSync(source, 'utf8').split('\n')) {
  const m = /^(\d+)\|(.+)$/.exec(line.trim());
  if (!m) continue;
  prefixes[m[1]] = m[2].split('&').map((zone) => {
    let i = index.get(zone);
    if (i === undefined) index.set(zone, (i = zones.push(zone) - 1));
    return i;
  }).join(' ');
}
if (Object.keys(prefixes).length < 1000) throw new Error(`${source} has ${Object.keys(prefixes).length} prefixes: not libphonenumber's map`);
const out = join(import.meta.dirname, '..', 'src', 'domain', 'data', 'timezones.json');
writeFileSync(out, JSON.stringify({ source: 'libphonenumber resources/timezones/map_data.txt (Apache-2.0)', zones, prefixes }) + '\n');
console.log(`${out}: ${zones.length} zones, ${Object.keys(prefixes).length} prefixes`);
