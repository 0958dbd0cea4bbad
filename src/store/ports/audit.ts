// The audit log of configuration changes (domain/audit.ts has the terms: entry, actor,
// chain, checkpoint). Entries are written by the RecordStore's own writes, in the same
// transaction as the change (the author is the one under way, domain/audit.ts
// auditActor); this port reads them, walks the chain for `audit verify`, and cuts it by
// age for retention.
import type { AuditHead, AuditObject, AuditRow } from '../../domain/audit.ts';

export interface AuditFilter {
  /** one account's entries; undefined: every account's and the shared ones */
  accountId?: string;
  object?: AuditObject;
  objectId?: string;
  /** the actor's id (key id, or the OS user of the CLI and apply) */
  actorId?: string;
  since?: number;
  until?: number;
  /** entries before this seq (the page cursor) */
  beforeSeq?: number;
  limit: number;
}

export interface AuditLog {
  /** newest first */
  listAudit(filter: AuditFilter): Promise<AuditRow[]>;
  /** the chain's head: its last entry, and the checkpoint retention left */
  auditHead(): Promise<AuditHead>;
  /** entries after `afterSeq`, oldest first (a page of the chain, for verify) */
  auditChain(afterSeq: number, limit: number): Promise<AuditRow[]>;
  /** Removes up to `limit` of the oldest entries made before `before`, moving the checkpoint to the last one removed; returns how many. */
  purgeAudit(before: number, limit: number): Promise<number>;
}
