// How a message's parts roll up into its status.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rollUp } from '../../src/receipts/plan.ts';
import type { MessageStatus } from '../../src/domain/status.ts';

const of = (...s: MessageStatus[]) => rollUp(s.map((status) => ({ status })));

describe('message status from its parts', () => {
  it('follows a single part as it is', () => {
    assert.equal(of('delivered'), 'delivered');
    assert.equal(of('expired'), 'expired');
    assert.equal(of(), null);
  });
  it('is delivered only when every part is, undelivered once one fails, expired when the rest had no report', () => {
    assert.equal(of('delivered', 'sent', 'delivered'), 'sent');
    assert.equal(of('delivered', 'delivered', 'delivered'), 'delivered');
    assert.equal(of('delivered', 'undelivered', 'sent'), 'undelivered');
    assert.equal(of('failed', 'expired'), 'undelivered');
    assert.equal(of('delivered', 'expired'), 'expired');
    assert.equal(of('expired', 'sent'), 'sent', 'not final while a part may still report');
  });
});
