// switchboard audit verify|list — reads the audit log straight from the database.
// `verify` walks the chain (services/audit.ts) and exits 1 when it is broken; the head
// hash it prints is worth keeping elsewhere: a chain rewritten whole ends in another one.
import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { auditChainOf, verifyAudit } from '../services/audit.ts';
import { AUDIT_OBJECTS, presentAudit, type AuditActor, type AuditObject } from '../domain/audit.ts';

class UsageError extends Error { override name = 'UsageError'; }
const USAGE = 'usage: switchboard audit verify [--json] [--region NAME] | switchboard audit list [--object KIND] [--id ID] [--account ID] [--limit N] [--region NAME]';

/** The CLI's actor: the OS user who ran the command (`apply` for switchboard apply). */
export function cliActor(command: string): AuditActor {
  let user: string;
  try { user = userInfo().username; } catch { user = process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`; }
  return { kind: command === 'apply' ? 'apply' : 'cli', id: user, name: `switchboard ${command}`, requestId: null };
}

export async function auditCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, object: { type: 'string' }, id: { type: 'string' }, account: { type: 'string' }, limit: { type: 'string' }, region: { type: 'string' } } });
  if (sub !== 'verify' && sub !== 'list') throw new UsageError(USAGE);
  if (values.object !== undefined && !AUDIT_OBJECTS.includes(values.object as AuditObject)) throw new UsageError(`--object is one of ${AUDIT_OBJECTS.join(', ')}`);
  const store = await openStore(loadConfig());
  try {
    if (sub === 'list') {
      const rows = await auditChainOf(store, values.region).listAudit({ object: values.object as AuditObject | undefined, objectId: values.id, accountId: values.account, limit: Number(values.limit ?? 50) || 50 });
      for (const e of rows.map(presentAudit)) console.log(JSON.stringify(e));
      return 0;
    }
    // Every chain: the home store's, and with regions each region's (or the one named).
    const chains = values.region !== undefined || !store.regions ? [values.region] : [undefined, ...store.regions.all.map((r) => r.name)];
    let ok = true;
    for (const region of chains) {
      const v = await verifyAudit(auditChainOf(store, region));
      ok &&= v.ok;
      const label = store.regions ? `${region ?? 'home'}: ` : '';
      if (values.json) console.log(JSON.stringify(store.regions ? { chain: region ?? 'home', ...v } : v));
      else {
        console.log(`${label}${v.ok ? 'ok' : 'BROKEN'}: ${v.entries} entries after checkpoint ${v.checkpoint_seq}, head ${v.head_seq} ${v.head_hash}`);
        for (const p of v.problems) console.log(`${label}entry ${p.seq}: ${p.problem}`);
      }
    }
    return ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
