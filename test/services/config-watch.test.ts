import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ConfigWatch, QUIET } from '../../src/services/config-watch.ts';
import { makeSqliteStore } from '../helpers/stores.ts';
import { eventually } from '../helpers/app.ts';

const rule = (country: string) => ({ country, require_local: 0, allow_alphanumeric: 1, providers: null, created_at: 1, updated_at: 1 });

describe('configuration watch (every process sees a change)', () => {
  it('polls the version every interval while no notifications reach the process, and re-reads what moved', async () => {
    const t = await makeSqliteStore();
    let reads = 0;
    const watch = new ConfigWatch({ store: t.store, everyMs: 20, logger: pino({ level: 'silent' }), onChange: async () => { reads++; }, listening: () => false });
    try {
      await watch.start();
      await t.store.upsertCountryRule(rule('FR'));
      await eventually(async () => reads === 1, 10_000, 'the change seen by the poll');
    } finally {
      await watch.stop();
      await t.dispose();
    }
  });

  it('while notifications reach it, a change is seen on the notification (poke), the poll being only a slow safety net', async () => {
    const t = await makeSqliteStore();
    let reads = 0;
    let listening = true;
    // The quiet poll comes every 20 * QUIET ms; the assertions below run well within it.
    const watch = new ConfigWatch({ store: t.store, everyMs: 20, logger: pino({ level: 'silent' }), onChange: async () => { reads++; }, listening: () => listening });
    try {
      await watch.start();
      await t.store.upsertCountryRule(rule('FR'));
      watch.poke();
      await eventually(async () => reads === 1, 10_000, 'the change seen on the notification');
      await t.store.upsertCountryRule(rule('DE'));
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 60));
      if (Date.now() - started < 20 * QUIET) assert.equal(reads, 1, 'not polled at the short interval while listening');
      watch.poke();
      await eventually(async () => reads === 2, 10_000, 'the next change too');
      listening = false; // the connection is lost: the poll is back to its interval after its next run
      watch.poke();
      await t.store.upsertCountryRule(rule('ES'));
      await eventually(async () => reads === 3, 10_000, 'the change seen by the poll again');
    } finally {
      await watch.stop();
      await t.dispose();
    }
  });
});
