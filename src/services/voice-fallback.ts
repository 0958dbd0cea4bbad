// A call that ended busy, no-answer or failed, when it asked to (`fallback_sms`), is sent
// again as an SMS — once (the idempotency key is the call's id), through SMS routing.
import type { MessageRow } from '../store/store.ts';
import type { MessageStatus } from '../domain/status.ts';
import type { SendInput, Caller } from '../intake/accept-message.ts';

/** The SMS to accept after this status change of a call, or null. */
export function smsFallback(message: MessageRow, previous: MessageStatus | null | undefined): { input: SendInput; caller: Caller; idempotencyKey: string } | null {
  if (message.channel !== 'voice' || message.status !== 'undelivered' || previous === 'undelivered') return null;
  let asked = false;
  try { asked = (JSON.parse(message.voice_options ?? '{}') as { fallback_sms?: boolean }).fallback_sms === true; } catch { /* none */ }
  if (!asked) return null;
  return {
    input: { to: message.to_number, body: message.body, metadata: { fallback_for: message.id } },
    caller: { accountId: message.account_id, keyId: message.api_key_id, callbackUrl: message.callback_url, signsCallbacks: true },
    idempotencyKey: `voice-fallback:${message.id}`,
  };
}
