// Checking the audit log's chain (domain/audit.ts): every entry from the checkpoint on,
// page by page, then the head. Used by `switchboard audit verify` and GET /v1/audit/verify.
import type { AuditLog, Store } from '../store/store.ts';
import { verifyChain, type ChainProblem } from '../domain/audit.ts';
import { AppError } from '../domain/errors.ts';

export interface AuditVerdict { ok: boolean; entries: number; checkpoint_seq: number; head_seq: number; head_hash: string; problems: ChainProblem[] }

const PAGE = 1_000;

export async function verifyAudit(store: AuditLog): Promise<AuditVerdict> {
  const head = await store.auditHead();
  let at = { seq: head.checkpoint_seq, hash: head.checkpoint_hash };
  const problems: ChainProblem[] = [];
  let entries = 0;
  for (;;) {
    const rows = await store.auditChain(at.seq, PAGE);
    if (rows.length === 0) break;
    const page = verifyChain(rows, at);
    problems.push(...page.problems);
    entries += rows.length;
    at = page.end;
  }
  if (at.seq !== head.n) problems.push({ seq: at.seq, problem: `the chain ends at entry ${at.seq}, its head says ${head.n} (entries removed from the end)` });
  else if (at.hash !== head.hash) problems.push({ seq: at.seq, problem: 'the last entry does not match the hash the head keeps' });
  return { ok: problems.length === 0, entries, checkpoint_seq: head.checkpoint_seq, head_seq: head.n, head_hash: head.hash, problems: problems.slice(0, 100) };
}

/**
 * Whose chain: the home store's (configuration), or with regions one region's — changes to
 * records holding phone numbers (staff opt-outs and consent) are audited in their region,
 * a chain per store (DESIGN §6).
 */
export function auditChainOf(store: Store, region: string | undefined): AuditLog {
  if (region === undefined) return store;
  const found = store.regions?.all.find((r) => r.name === region);
  if (!found) throw new AppError('validation_error', store.regions ? `region is one of ${store.regions.all.map((r) => r.name).join(', ')}` : 'this server has no regions (SWITCHBOARD_REGIONS)', { field: 'region' });
  return found.store;
}
