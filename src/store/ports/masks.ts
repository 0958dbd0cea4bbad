// Masking sessions: two participants, each texting its own proxy. A leg (participant →
// proxy) is unique while active, which is what keeps two sessions from sharing a proxy
// for the same participant.
import type { MaskLegRow, MaskRow } from '../rows.ts';

export interface MaskStore {
  /** false when the participant already has an active, unexpired leg on that proxy */
  insertMaskLeg(row: MaskLegRow, now: number): Promise<boolean>;
  /** frees a session's legs (a session that could not be completed) */
  deleteMaskLegs(maskId: string): Promise<void>;
  insertMask(row: MaskRow): Promise<void>;
  /** proxies the participants hold in active, unexpired sessions */
  activeMaskLegs(participants: string[], now: number): Promise<MaskLegRow[]>;
  /** the active session in which `participant` texts `proxy` */
  findMask(proxy: string, participant: string, now: number): Promise<MaskRow | undefined>;
  getMask(accountId: string, id: string): Promise<MaskRow | undefined>;
  listMasks(f: { accountId: string; contextId?: string; before?: string; limit: number }): Promise<MaskRow[]>;
  /** ends a session (its legs are freed); false if it had already ended */
  endMask(accountId: string | null, id: string, reason: string, now: number): Promise<boolean>;
  /** ends every session past its expiry; returns how many */
  expireMasks(now: number): Promise<number>;
  countMaskMessage(id: string, fromA: boolean, now: number): Promise<void>;
}
