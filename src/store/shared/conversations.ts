// Conversations (ConversationStore): the pair's texts are read where they live, the sent
// side from the ledger (messages_account_to), the received side from the inbound log
// (inbound_pair).
import type { ConversationRow, InboundRow, MessageRow } from '../store.ts';
import { WebhooksCallbacksBase } from './webhooks-callbacks.ts';

export abstract class ConversationsBase extends WebhooksCallbacksBase {
  async upsertConversation(row: ConversationRow): Promise<void> {
    await this.db.insertInto('conversations').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  async getConversation(accountId: string | null, id: string): Promise<ConversationRow | undefined> {
    let q = this.db.selectFrom('conversations').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    return q.executeTakeFirst();
  }

  async conversationTexts(c: ConversationRow, limit: number): Promise<{ sent: MessageRow[]; received: InboundRow[] }> {
    const [sent, received] = await Promise.all([
      this.db.selectFrom('messages').selectAll().where('account_id', '=', c.account_id).where('to_number', '=', c.customer_number)
        .where('from_number', '=', c.business_number).orderBy('id', 'desc').limit(limit).execute(),
      this.db.selectFrom('inbound_messages').selectAll().where('account_id', '=', c.account_id).where('from_number', '=', c.customer_number)
        .where('to_number', '=', c.business_number).orderBy('id', 'desc').limit(limit).execute(),
    ]);
    return { sent, received };
  }

  async lastSentOnPair(accountId: string, businessNumber: string, customerNumber: string, since: number): Promise<string | undefined> {
    // messages_to_sent: the recipient's sent messages, newest first.
    const r = await this.db.selectFrom('messages').select('id').where('to_number', '=', customerNumber).where('sent_at', 'is not', null)
      .where('sent_at', '>=', since).where('from_number', '=', businessNumber).where('account_id', '=', accountId)
      .orderBy('sent_at', 'desc').limit(1).executeTakeFirst();
    return r?.id;
  }
}
