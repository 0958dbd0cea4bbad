// SMPP 3.4 command_status values → retry class and catalog code (domain.md §6.5), and
// receipt stat values → our statuses (§6.4). Statuses not listed are transient
// `provider_error` when they are SMSC-side faults and `rejected` otherwise.
// Source: SMPP v3.4 specification, §5.1.3 command_status (names and values).
import type { FailureKind, MessageErrorCode } from '../provider.ts';
import type { MessageStatus } from '../../domain/status.ts';
import { lookup } from '../../domain/lookup.ts';

export const SMPP_STATUS: Record<number, [name: string, kind: FailureKind, code: MessageErrorCode]> = {
  0x01: ['ESME_RINVMSGLEN', 'permanent', 'rejected'],
  0x02: ['ESME_RINVCMDLEN', 'permanent', 'rejected'],
  0x03: ['ESME_RINVCMDID', 'permanent', 'rejected'],
  0x04: ['ESME_RINVBNDSTS', 'transient', 'provider_error'], // not bound (yet): rebind, send again
  0x05: ['ESME_RALYBND', 'transient', 'provider_error'],
  0x08: ['ESME_RSYSERR', 'transient', 'provider_error'],
  0x0a: ['ESME_RINVSRCADR', 'permanent', 'invalid_sender'],
  0x0b: ['ESME_RINVDSTADR', 'permanent', 'invalid_number'],
  0x0d: ['ESME_RBINDFAIL', 'permanent', 'auth_failed'],
  0x0e: ['ESME_RINVPASWD', 'permanent', 'auth_failed'],
  0x0f: ['ESME_RINVSYSID', 'permanent', 'auth_failed'],
  0x14: ['ESME_RMSGQFUL', 'throttled', 'throttled'], // back off and resubmit
  0x45: ['ESME_RSUBMITFAIL', 'transient', 'provider_error'],
  0x50: ['ESME_RINVDSTTON', 'permanent', 'invalid_number'],
  0x51: ['ESME_RINVDSTNPI', 'permanent', 'invalid_number'],
  0x58: ['ESME_RTHROTTLED', 'throttled', 'throttled'], // back off and resubmit
  0x62: ['ESME_RINVEXPIRY', 'permanent', 'rejected'],
  0x64: ['ESME_RX_T_APPN', 'transient', 'provider_error'],
  0x65: ['ESME_RX_P_APPN', 'permanent', 'rejected'],
  0xff: ['ESME_RUNKNOWNERR', 'transient', 'unknown'],
};

export function classifySmpp(status: number): { kind: FailureKind; code: MessageErrorCode; name: string; known: boolean } {
  const known = lookup(SMPP_STATUS, status);
  if (known) return { name: known[0], kind: known[1], code: known[2], known: true };
  return { name: `0x${status.toString(16).padStart(8, '0')}`, kind: 'transient', code: 'unknown', known: false };
}

/** Receipt `stat:` values (and message_state numbers) → our status; ENROUTE/ACCEPTD move nothing. */
export const SMPP_STATES: Record<string, { state: number; status: MessageStatus | null; errorCode?: MessageErrorCode }> = {
  ENROUTE: { state: 1, status: null },
  DELIVRD: { state: 2, status: 'delivered' },
  EXPIRED: { state: 3, status: 'undelivered', errorCode: 'unreachable' },
  DELETED: { state: 4, status: 'undelivered', errorCode: 'undelivered' },
  UNDELIV: { state: 5, status: 'undelivered', errorCode: 'undelivered' },
  ACCEPTD: { state: 6, status: null },
  UNKNOWN: { state: 7, status: 'undelivered', errorCode: 'undelivered' },
  REJECTD: { state: 8, status: 'undelivered', errorCode: 'blocked' },
};

export function stateName(messageState: number): string | undefined {
  return Object.keys(SMPP_STATES).find((k) => SMPP_STATES[k].state === messageState);
}
