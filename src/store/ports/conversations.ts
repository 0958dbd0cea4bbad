// Conversations (domain/conversations.ts): one business number and one customer, both
// ways. A conversation row is written the first time its pair is seen (an inbound text,
// or a send that names it); its texts are read from the ledger and the inbound log by the
// pair, not copied.
// - in reply to: the latest message sent on the pair (business → customer) within the
//   reply window, which an inbound text on the same pair answers.
import type { ConversationRow, InboundRow, MessageRow } from '../rows.ts';

export interface ConversationStore {
  /** writes the conversation unless it exists */
  upsertConversation(row: ConversationRow): Promise<void>;
  /** one conversation of this account (null: any account's) */
  getConversation(accountId: string | null, id: string): Promise<ConversationRow | undefined>;
  /** its texts, each side newest first, at most `limit` of each */
  conversationTexts(c: ConversationRow, limit: number): Promise<{ sent: MessageRow[]; received: InboundRow[] }>;
  /** the id of the latest message the business number sent the customer since `since` */
  lastSentOnPair(accountId: string, businessNumber: string, customerNumber: string, since: number): Promise<string | undefined>;
}
