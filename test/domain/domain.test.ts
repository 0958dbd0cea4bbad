import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePhone, isAlphanumericSender } from '../../src/domain/phone.ts';
import { idAt, idFloor, newId, ulid } from '../../src/domain/ids.ts';
import { canTransition, STATUSES } from '../../src/domain/status.ts';
import { priceFor } from '../../src/domain/money.ts';
import { backoffMs } from '../../src/loop/backoff.ts';
import { loadConfig, ConfigError, describeConfig } from '../../src/config.ts';

describe('phone numbers (domain.md §7)', () => {
  it('normalizes to E.164 and detects the country', () => {
    assert.deepEqual(parsePhone('+1 (415) 555-0100'), { ok: true, e164: '+14155550100', country: 'US' });
    assert.deepEqual(parsePhone('020 7183 8750', 'GB'), { ok: true, e164: '+442071838750', country: 'GB' });
    assert.deepEqual(parsePhone(' 8 (800) 555-35-35 ', 'RU'), { ok: true, e164: '+78005553535', country: 'RU' });
  });
  it('refuses numbers that are not valid', () => {
    for (const bad of ['', '12', '+1234', 'hello', '+999123456789', '+1415555010012345', '4155550100']) {
      assert.equal(parsePhone(bad).ok, false, bad);
    }
  });
  it('recognizes alphanumeric sender ids', () => {
    assert.equal(isAlphanumericSender('Acme'), true);
    assert.equal(isAlphanumericSender('12345'), false);
    assert.equal(isAlphanumericSender('ThisIsTooLong'), false);
  });
});

describe('ids', () => {
  it('are prefixed and sort by creation time', () => {
    const ids = Array.from({ length: 2000 }, () => newId('msg'));
    assert.match(ids[0], /^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });
  it('encode the time in the first ten characters', () => {
    assert.ok(ulid(1_000_000).slice(0, 10) < ulid(2_000_000_000_000).slice(0, 10));
  });
  it('of a past time fall in that time\'s id range, whatever ids were made since', () => {
    newId('msg');
    const t = Date.now() - 86_400_000;
    const ids = [idAt('msg', t), idAt('msg', t)];
    for (const id of ids) assert.ok(id >= idFloor('msg', t) && id < idFloor('msg', t + 1), id);
    assert.notEqual(ids[0], ids[1]);
  });
});

describe('status machine', () => {
  it('moves forward only and never leaves a final status', () => {
    assert.equal(canTransition('queued', 'sending'), true);
    assert.equal(canTransition('sent', 'delivered'), true);
    assert.equal(canTransition('delivered', 'sent'), false);
    assert.equal(canTransition('delivered', 'undelivered'), false);
    assert.equal(canTransition('sent', 'queued'), false);
    assert.equal(canTransition('sending', 'queued'), true, 'the worker retry');
    for (const s of STATUSES) assert.equal(canTransition('failed', s), false);
  });
});

describe('prices', () => {
  it('multiply the per-segment price for the country exactly', () => {
    assert.equal(priceFor({ US: '0.0079', '*': '0.0500' }, 'US', 3), '0.0237');
    assert.equal(priceFor({ US: '0.0079', '*': '0.0500' }, 'DE', 2), '0.1000');
    assert.equal(priceFor({ US: '0.0079' }, 'DE', 2), null);
  });
});

describe('backoff', () => {
  it('grows exponentially, is capped, and jitters within [½, 1)', () => {
    assert.equal(backoffMs(1, 1000, 60_000, () => 0), 500);
    assert.equal(backoffMs(3, 1000, 60_000, () => 0.999999), 4000);
    assert.equal(backoffMs(20, 1000, 60_000, () => 0.999999), 60_000);
  });
});

describe('config', () => {
  it('has working defaults and coerces the environment', () => {
    const c = loadConfig({ PORT: '9000', SWITCHBOARD_SIMULATOR_FAILURE_RATE: '0.25', SWITCHBOARD_CORS_ORIGINS: 'https://a.example, https://b.example' });
    assert.equal(c.port, 9000);
    assert.equal(c.simulatorFailureRate, 0.25);
    assert.deepEqual(c.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(c.publicUrl, 'http://localhost:9000');
    assert.ok(Object.isFrozen(c));
  });
  it('names the key and the env var in its errors', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), (e: Error) => e instanceof ConfigError && /port \(env PORT\)/.test(e.message));
    assert.throws(() => loadConfig({ SWITCHBOARD_SIMULATOR_FAILURE_RATE: '2' }), /<= 1/);
    assert.throws(() => loadConfig({ SWITCHBOARD_SQLITE_WRITER_THREAD: 'yes' }), /sqliteWriterThread \(env SWITCHBOARD_SQLITE_WRITER_THREAD\) must be auto, on or off/);
    assert.throws(() => loadConfig({ SWITCHBOARD_PG_LEDGER_BY_MONTH: 'monthly' }), /pgLedgerByMonth \(env SWITCHBOARD_PG_LEDGER_BY_MONTH\) must be new, true or false, got "monthly"/);
    assert.deepEqual(['new', 'true', 'false'].map((v) => loadConfig({ SWITCHBOARD_PG_LEDGER_BY_MONTH: v }).pgLedgerByMonth), ['new', 'true', 'false']);
    assert.equal(loadConfig({}).pgLedgerByMonth, 'new', 'by default a new PostgreSQL ledger is made by month');
  });
  it('never shows secrets', () => {
    const shown = JSON.stringify(describeConfig(loadConfig({ SWITCHBOARD_ADMIN_KEY: 'super-secret-admin', DATABASE_URL: 'postgres://u:pw123@db/x' })));
    assert.ok(!shown.includes('super-secret-admin'));
    assert.ok(!shown.includes('pw123'));
  });
});
