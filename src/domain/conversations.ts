// Conversations: the texts between one business number and one customer, in both
// directions, within one account. Its id is derived from the three, so the same pair
// always lands in the same conversation, whichever process sees it first.
import { createHash } from 'node:crypto';

export function conversationId(accountId: string, businessNumber: string, customerNumber: string): string {
  return `cnv_${createHash('sha256').update(`${accountId}\u0000${businessNumber}\u0000${customerNumber}`).digest('base64url').slice(0, 22)}`;
}
