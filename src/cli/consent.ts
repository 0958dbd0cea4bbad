// switchboard consent import <file.csv> [--account ID] [--dry-run]: opt-outs and opt-ins
// kept by another system, as consent records of source `import` (services/consent.ts).
// Every row is checked first; one bad row writes nothing.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { changeConsent, readConsentCsv } from '../services/consent.ts';
import { DEFAULT_ACCOUNT } from '../domain/actor.ts';

const USAGE = 'usage: switchboard consent import <file.csv> [--account ID] [--dry-run]   (columns: number, and optionally action, sender, topic)';

export async function consentCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { account: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  const [sub, file] = positionals;
  if (sub !== 'import' || !file) { console.error(USAGE); return 2; }
  const { rows, problems } = readConsentCsv(readFileSync(file, 'utf8'));
  for (const p of problems) console.error(`! ${p}`);
  if (problems.length > 0) { console.error(`nothing written: fix the ${problems.length} problem(s) above`); return 1; }
  const account = values.account ?? DEFAULT_ACCOUNT;
  if (values['dry-run']) { console.log(`${rows.length} records for account ${account} (dry run: nothing written)`); return 0; }
  const store = await openStore(loadConfig());
  try {
    let changed = 0;
    for (const r of rows) changed += (await changeConsent(store, account, r.action, r.input, 'import')).changed;
    console.log(`${rows.length} records for account ${account} written; ${changed} opt-outs added or removed`);
    return 0;
  } finally {
    await store.close();
  }
}
