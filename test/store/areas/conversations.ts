// Contract cases for the ConversationStore port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { InboundRow, Outcome, Store } from '../../../src/store/store.ts';
import { newMessage } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { conversationId } from '../../../src/domain/conversations.ts';

export function conversationsCases(get: () => Store): void {
  describe('ConversationStore', () => {
    let store: Store;
    before(() => { store = get(); });

    it('keeps a pair\'s conversation once, lists both sides of it for its account only, and finds the message a reply answers', async () => {
      const acct = `acc_${newId('msg')}`;
      const [business, customer] = ['+14155550301', '+14155550302'];
      const now = Date.now();
      const c = { id: conversationId(acct, business, customer), account_id: acct, business_number: business, customer_number: customer, created_at: now };
      await store.upsertConversation(c);
      await store.upsertConversation({ ...c, created_at: now + 1 });
      assert.deepEqual(await store.getConversation(acct, c.id), c);
      assert.equal(await store.getConversation('someone-else', c.id), undefined);
      assert.equal((await store.getConversation(null, c.id))?.id, c.id);
      // One message sent on the pair (and one to another customer), then the customer's reply.
      const sent = newMessage({ account_id: acct, to_number: customer, from_number: business, next_attempt_at: now - 1 });
      await store.insertMessages([sent, newMessage({ account_id: acct, to_number: '+14155550303', from_number: business })]);
      const [claimed] = (await store.claimDue('w-conv', now + 40_000_000_000, 30_000, 10_000)).filter((m) => m.id === sent.row.id);
      const outcome: Outcome = { messageId: claimed.id, leaseOwner: 'w-conv', now, attempts: [], parts: [], event: null, callback: null,
        set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, sent_at: now } };
      await store.recordOutcomes([outcome]);
      assert.equal(await store.lastSentOnPair(acct, business, customer, now - 1_000), sent.row.id);
      assert.equal(await store.lastSentOnPair(acct, business, customer, now + 1), undefined, 'only within the window');
      assert.equal(await store.lastSentOnPair(acct, '+14155550399', customer, now - 1_000), undefined, 'only from the number texted');
      const reply: InboundRow = { id: newId('inb'), account_id: acct, provider_id: 'p', provider_message_id: `conv-${newId('inb')}`, from_number: customer, to_number: business,
        body: 'yes', webhook_id: 'whk_c', received_at: now, created_at: now, conversation_id: c.id, in_reply_to: sent.row.id };
      await store.insertInbound([reply]);
      const texts = await store.conversationTexts(c, 10);
      assert.deepEqual(texts.sent.map((m) => m.id), [sent.row.id]);
      assert.deepEqual(texts.received.map((m) => [m.id, m.in_reply_to]), [[reply.id, sent.row.id]]);
    });
  });
}
