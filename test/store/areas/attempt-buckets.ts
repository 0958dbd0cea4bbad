// Contract cases for provider windows read from attempt buckets (store/shared/attempt-buckets.ts),
// run on every store by ../store-suite.ts.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptRow, Outcome, Store } from '../../../src/store/store.ts';
import { newMessage } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { BUCKET_MS, BUCKET_SETTLE_MS } from '../../../src/store/shared/attempt-buckets.ts';

export function attemptBucketsCases(get: () => Store): void {
  describe('attempt buckets', () => {
    let store: Store;
    before(() => { store = get(); });

    it('reads a window from its settled buckets and the attempts at its edges, with the same figures as from the attempts alone', async () => {
      const t = Math.floor((Date.now() + 97_000_000_000) / BUCKET_MS) * BUCKET_MS;
      const provider = `ab-${newId('msg').slice(-8)}`;
      const [a, b] = [`acct_ab_${newId('msg')}`, `acct_ab_${newId('msg')}`];
      /** A message of `account` sent with these attempts (started_at offsets from t). */
      const sent = async (account: string, attempts: [number, AttemptRow['outcome'], number, string?][]) => {
        const m = newMessage({ account_id: account, status: 'sending', lease_owner: 'w-ab', next_attempt_at: t });
        await store.insertMessages([m]);
        const o: Outcome = {
          messageId: m.row.id, leaseOwner: 'w-ab', now: t, event: null, callback: null, parts: [],
          attempts: attempts.map(([at, outcome, failover, code], i) => ({
            id: newId('att'), message_id: m.row.id, attempt: i + 1, provider_id: provider, from_number: '+14155550199', outcome, error_code: outcome === 'sent' ? null : '503',
            error_message: null, provider_error_code: code ?? null, provider_message_id: null, started_at: t + at, finished_at: t + at, failover,
          })),
          set: { status: 'sent', attempts: attempts.length, throttled_attempts: 0, next_attempt_at: null, provider_id: provider, sent_at: t },
        };
        await store.recordOutcomes([o]);
      };
      await sent(a, [[1_000, 'transient', 1], [12_000, 'sent', 0], [25_000, 'throttled', 0], [25_500, 'transient', 0, 'drill']]);
      await sent(b, [[3_000, 'sent', 0], [31_000, 'sent', 1]]);
      const since = t - 5_000;
      const mine = async (account?: string) => (await store.providerWindows(since, account)).find((w) => w.provider_id === provider);
      const expected = {
        all: { provider_id: provider, sends: 6, errors: 2, failovers: 2 },
        a: { provider_id: provider, sends: 4, errors: 2, failovers: 1 },
        b: { provider_id: provider, sends: 2, errors: 0, failovers: 1 },
      };
      assert.deepEqual([await mine(), await mine(a), await mine(b)], [expected.all, expected.a, expected.b], 'from the attempts (nothing rolled up yet)');
      const failovers = await store.countFailovers(since);

      // Settled: the buckets at t, t+10 s and t+20 s (and the hour before); t+30 s is not.
      assert.ok(await store.rollUpAttemptBuckets(t + 3 * BUCKET_MS + BUCKET_SETTLE_MS) >= 3);
      assert.equal(await store.rollUpAttemptBuckets(t + 3 * BUCKET_MS + BUCKET_SETTLE_MS), 0, 'each bucket is rolled up once');
      assert.deepEqual([await mine(), await mine(a), await mine(b)], [expected.all, expected.a, expected.b], 'the same from the buckets and the edges');
      assert.equal(await store.countFailovers(since), failovers);

      // What the buckets hold is read from them: an attempt written after its bucket was
      // rolled up is not in it (it came a minute late), one in a bucket still open is.
      await sent(a, [[5_000, 'sent', 0], [35_000, 'sent', 0]]);
      assert.deepEqual(await mine(a), { ...expected.a, sends: 5 });
      assert.deepEqual(await store.providerWindows(t + 4 * BUCKET_MS, `${a}-other`), [], "another account's share is empty");
    });
  });
}
