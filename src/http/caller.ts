// Who is sending, as intake needs it: from the request's principal (its key's defaults).
import type { Principal } from '../auth/auth.ts';
import type { Caller } from '../intake/accept-message.ts';

export function callerOf(p: Principal): Caller {
  return { accountId: p.accountId, keyId: p.keyId, callbackUrl: p.callbackUrl, signsCallbacks: p.signsCallbacks, priority: p.priority };
}
