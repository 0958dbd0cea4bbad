// Message templates: versioned per account; a send names the template and its variables,
// the body is rendered at intake (encoding and segments counted on the result), and the
// message records the version it used. Missing or extra variables are refused by name.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';

describe('templates', () => {
  let t: TestApp;
  before(async () => { t = await startApp(); });
  after(async () => { await t.stop(); });

  it('renders a send from the latest version, records the version, and versions edits', async () => {
    const v1 = await t.call('POST', '/v1/templates', { id: 'job_ready', body: 'Job {job_id} is ready, ETA {eta}.' });
    assert.equal(v1.status, 201, JSON.stringify(v1.body));
    assert.deepEqual([v1.body.version, v1.body.variables], [1, ['job_id', 'eta']]);
    const again = await t.call('POST', '/v1/templates', { id: 'job_ready', body: 'Job {job_id} is ready, ETA {eta}.' });
    assert.equal(again.body.version, 1, 'saving it unchanged makes no new version');
    const sent = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550100', template: 'job_ready', variables: { job_id: 'J-7', eta: '5 min' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.deepEqual([sent.body.body, sent.body.template, sent.body.encoding, sent.body.segments], ['Job J-7 is ready, ETA 5 min.', { id: 'job_ready', version: 1 }, 'GSM-7', 1]);
    const v2 = await t.call('POST', '/v1/templates', { id: 'job_ready', body: 'Ваш заказ {job_id} готов через {eta}.' });
    assert.equal(v2.body.version, 2);
    const second = await t.call('POST', '/v1/messages', { to: '+14155550100', template: 'job_ready', variables: { job_id: 'J-8', eta: '2 min' } });
    assert.deepEqual([second.body.template, second.body.encoding], [{ id: 'job_ready', version: 2 }, 'UCS-2'], 'counted on the rendered text');
    const first = await eventually(async () => (await t.call('GET', `/v1/messages/${sent.body.id}`)).body, 5_000, 'the first message');
    assert.deepEqual(first.template, { id: 'job_ready', version: 1 }, 'an earlier message keeps the version it used');
    const one = await t.call('GET', '/v1/templates/job_ready');
    assert.deepEqual([one.body.version, one.body.versions.map((v: { version: number }) => v.version)], [2, [2, 1]]);
    assert.deepEqual((await t.call('GET', '/v1/templates')).body.data.map((x: { id: string; version: number }) => [x.id, x.version]), [['job_ready', 2]]);
  });

  it('refuses missing and extra variables by name, unknown templates, and a body with a template', async () => {
    await t.call('POST', '/v1/templates', { id: 'code', body: 'Your code is {code}', variables: ['code'] });
    const missing = await t.call('POST', '/v1/messages', { to: '+14155550100', template: 'code', variables: {} });
    assert.deepEqual([missing.status, missing.body.error.code, missing.body.error.field], [422, 'template_variables', 'variables']);
    assert.match(missing.body.error.message, /missing: code/);
    const extra = await t.call('POST', '/v1/messages', { to: '+14155550100', template: 'code', variables: { code: '1', name: 'x' } });
    assert.match(extra.body.error.message, /not in the template: name/);
    assert.equal((await t.call('POST', '/v1/messages', { to: '+14155550100', template: 'nope', variables: {} })).body.error.code, 'unknown_template');
    assert.equal((await t.call('POST', '/v1/messages', { to: '+14155550100', template: 'code', body: 'x', variables: { code: '1' } })).status, 400);
    assert.equal((await t.call('POST', '/v1/messages', { to: '+14155550100' })).body.error.field, 'body');
    const bad = await t.call('POST', '/v1/templates', { id: 'bad', body: 'Hi {name}', variables: ['other'] });
    assert.deepEqual([bad.status, bad.body.error.field], [400, 'variables']);
    assert.match(bad.body.error.message, /not declared in variables: name; variables not used in the body: other/);
    // The preview renders too.
    const p = await t.call('POST', '/v1/messages/preview', { to: '+14155550100', template: 'code', variables: { code: '“42”' } });
    assert.deepEqual([p.body.encoding, p.body.gsm7_alternative.body], ['UCS-2', 'Your code is "42"']);
  });
});
