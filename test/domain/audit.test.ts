// The audit chain's rules on their own: what verify catches (an entry edited, removed,
// inserted, or the chain cut short), and what an entry holds of a secret.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditEntry, GENESIS_HASH, verifyChain, type AuditRow } from '../../src/domain/audit.ts';

const actor = { kind: 'key' as const, id: 'key_1', name: 'ops', requestId: 'req_1' };

function chainOf(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  for (let i = 1; i <= n; i++) {
    const e = auditEntry({ seq: i, prev: rows.at(-1)?.hash ?? GENESIS_HASH, at: 1_700_000_000_000 + i, actor, object: 'provider', objectId: 'sim', accountId: null, before: i === 1 ? undefined : { priority: i - 1 }, after: { priority: i } });
    rows.push(e!);
  }
  return rows;
}

const start = { seq: 0, hash: GENESIS_HASH };

describe('audit chain', () => {
  it('verifies an untouched chain and ends at its last entry', () => {
    const rows = chainOf(5);
    const { problems, end } = verifyChain(rows, start);
    assert.deepEqual(problems, []);
    assert.deepEqual(end, { seq: 5, hash: rows[4].hash });
  });

  it('names an edited entry, a removed one, and one inserted by hand', () => {
    const edited = chainOf(4);
    edited[1] = { ...edited[1], after: '{"priority":99}' };
    assert.deepEqual(verifyChain(edited, start).problems.map((p) => p.seq), [2]);

    const removed = chainOf(4);
    removed.splice(2, 1);
    assert.deepEqual(verifyChain(removed, start).problems.map((p) => [p.seq, p.problem.split(' ')[0]]), [[4, 'entries'], [4, 'does']]);

    const rows = chainOf(3);
    const forged = { ...rows[1], seq: 3, id: 'aud_3' };
    const inserted = [rows[0], rows[1], forged, { ...rows[2], seq: 4 }];
    assert.ok(verifyChain(inserted, start).problems.length >= 2);
  });

  it('never writes a secret field, but says it changed', () => {
    const e = auditEntry({ seq: 1, prev: GENESIS_HASH, at: 1, actor, object: 'api_key', objectId: 'key_2', accountId: 'acme', before: { hash: 'aaa', webhook_secret: 'whsec_old', name: 'k' }, after: { hash: 'aaa', webhook_secret: 'whsec_new', name: 'k' } })!;
    assert.deepEqual(JSON.parse(e.changed), ['webhook_secret']);
    assert.ok(!JSON.stringify(e).includes('whsec_'), 'neither value');
    assert.equal(auditEntry({ seq: 1, prev: GENESIS_HASH, at: 1, actor, object: 'provider', objectId: 'p', accountId: null, before: { a: 1 }, after: { a: 1 } }), null, 'no change, no entry');
  });
});
