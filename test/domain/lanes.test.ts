// Lanes, turn keys, weights and the bulk lane's share (domain/lanes.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accountWeights, BulkShare, laneOf, laneOfSmppPriority, nextTurnKey, priorityOf, TURN_US } from '../../src/domain/lanes.ts';
import { AppError } from '../../src/domain/errors.ts';

describe('lanes', () => {
  it('names each lane, defaults to normal, and refuses an unknown priority with the field named', () => {
    assert.deepEqual(['urgent', 'normal', 'bulk'].map((p) => priorityOf(laneOf(p))), ['urgent', 'normal', 'bulk']);
    assert.equal(priorityOf(laneOf(undefined)), 'normal');
    assert.throws(() => laneOf('high'), (e) => e instanceof AppError && e.code === 'validation_error' && e.field === 'priority');
  });

  it('maps SMPP priority_flag: 0 and 1 ordinary, 2 and 3 urgent', () => {
    assert.deepEqual([0, 1, 2, 3].map((f) => priorityOf(laneOfSmppPriority(f))), ['normal', 'normal', 'urgent', 'urgent']);
  });

  it('stamps a flow one turn (divided by its weight) behind its last waiting message, or from its due time when nothing waits', () => {
    assert.equal(nextTurnKey(1_000, null), 1_000_000 + TURN_US);
    assert.equal(nextTurnKey(1_000, 9_000_000), 9_000_000 + TURN_US);
    assert.equal(nextTurnKey(1_000, 9_000_000, 4), 9_000_000 + TURN_US / 4);
    assert.equal(nextTurnKey(20_000, 9_000_000), 20_000_000 + TURN_US, 'a backlog that is older than the due time does not hold it back');
  });

  it('reads account weights, and refuses a malformed entry naming the variable', () => {
    const w = accountWeights(['acct_a=3', ' acct_b=0.5 ']);
    assert.deepEqual([w('acct_a'), w('acct_b'), w('other')], [3, 0.5, 1]);
    for (const bad of ['acct_a', 'acct_a=0', 'acct_a=-1', '=2', 'acct_a=two']) assert.throws(() => accountWeights([bad]), /SWITCHBOARD_ACCOUNT_WEIGHTS/);
  });

  it('gives the bulk lane its share of claims over time, one claim at a time too, without banking a burst', () => {
    const share = new BulkShare(0.1);
    let asked = 0;
    for (let i = 0; i < 100; i++) { const k = share.ask(1); asked += k; share.took(k); }
    assert.ok(asked >= 9 && asked <= 11, `asked for ${asked} of 100`);
    // A long stretch with no bulk due: the credit is capped, so bulk then gets its share, not everything.
    const idle = new BulkShare(0.1);
    for (let i = 0; i < 1000; i++) idle.ask(200);
    assert.ok(idle.ask(200) <= 41);
    assert.equal(new BulkShare(0).ask(200), 0);
  });
});
