// One client's bind on the SMPP server, and the command_status codes the server answers with.
import type { Session } from 'smpp';
import type { Principal } from '../auth/auth.ts';
import { storeFailure } from '../store/failures.ts';
import { AppError } from '../domain/errors.ts';

export const ESME = {
  ROK: 0x00, RINVMSGLEN: 0x01, RINVBNDSTS: 0x04, RALYBND: 0x05, RSYSERR: 0x08, RINVSRCADR: 0x0a, RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d, RMSGQFUL: 0x14, RSUBMITFAIL: 0x45, RTHROTTLED: 0x58, RX_P_APPN: 0x65, RINVCMDLEN: 0x02,
  RINVMSGID: 0x0c, RCANCELFAIL: 0x11, RQUERYFAIL: 0x67,
} as const;

/** Intake's refusals → command_status. */
export function statusFor(err: unknown): number {
  // The database away or full: a temporary refusal (message queue full), which ESMEs retry.
  if (storeFailure(err)) return ESME.RMSGQFUL;
  if (!(err instanceof AppError)) return ESME.RSYSERR;
  switch (err.code) {
    case 'invalid_phone_number': return ESME.RINVDSTADR;
    case 'invalid_sender': case 'unknown_sender': case 'sender_not_allowed': return ESME.RINVSRCADR;
    case 'body_empty': case 'body_too_long': case 'invalid_body': return ESME.RINVMSGLEN;
    case 'recipient_opted_out': return ESME.RX_P_APPN;
    case 'rate_limited': return ESME.RTHROTTLED;
    default: return ESME.RSUBMITFAIL;
  }
}

export interface Bind { id: string; session: Session; principal: Principal; systemId: string; transmit: boolean; receive: boolean; inflight: number; windowStart: number; windowCount: number; awaitingLink: boolean }
