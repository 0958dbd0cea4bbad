// The dashboard and the tracking page in a real browser: Debian's Chromium driven by
// playwright-core (no browser is downloaded; .ci/run installs `chromium`). Screenshots of
// each page go to test-artifacts/screenshots/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_KEY, eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { createTrackingLink } from '../../src/services/tracking.ts';
import { conversationId } from '../../src/domain/conversations.ts';
import { newId } from '../../src/domain/ids.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skip = CHROMIUM ? false : 'Chromium is not installed (apt-get install chromium; .ci/run does it)';
if (process.env.CI === 'true' && !CHROMIUM) throw new Error('CI must have Chromium (see .ci/run)');
const SHOTS = join(import.meta.dirname, '../../test-artifacts/screenshots');

describe('dashboard in a browser', { skip }, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, healthMinSamples: 100 });
    // The cheaper provider always fails: the first send of every message fails over.
    for (const r of [
      { id: 'sim-primary', kind: 'simulator', priority: 1, prices: { US: '0.0040' }, config: { failure_rate: 1, latency_ms: 5 } },
      { id: 'sim-backup', kind: 'simulator', priority: 2, prices: { US: '0.0090' }, config: { latency_ms: 5 } },
    ]) assert.equal((await t.call('POST', '/v1/providers', r)).status, 201);
    assert.equal((await t.call('POST', '/v1/numbers', { number: '+14155550155', provider_id: 'sim-backup', rate_per_second: 100 })).status, 201);
    for (const to of ['+14155550100', '+14155550101']) {
      const r = await t.call('POST', '/v1/messages', { to, body: 'Your order is ready', metadata: { job_id: 'job-7' } });
      assert.equal(r.status, 202);
    }
    await eventually(async () => (await t.call('GET', '/v1/messages?metadata.job_id=job-7')).body.data.every((m: { status: string }) => m.status === 'delivered'), 15_000, 'the job delivered');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => { await browser?.close(); await t?.stop(); });

  it('signs in with an API key into an HttpOnly, SameSite=Strict session and shows the overview chart with data', async () => {
    await page.goto(`${t.url}/dashboard`);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /invalid|API key/i }).waitFor();
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const [c] = (await context.cookies()).filter((x) => x.name === 'sb_session');
    assert.deepEqual([c.httpOnly, c.sameSite], [true, 'Strict']);
    assert.ok(!c.value.includes(ADMIN_KEY), 'the cookie does not carry the key');
    const accepted = page.locator('#activity path[data-series="accepted"]');
    await accepted.waitFor();
    assert.match(await page.locator('#activity desc').textContent() ?? '', /accepted: [1-9]/);
    assert.match(await page.locator('#provider-health').textContent() ?? '', /sim-primary/);
    await page.getByRole('heading', { name: 'Queue by account and priority' }).waitFor();
    assert.match(await page.locator('#queue-lanes').textContent() ?? '', /Nothing queued|default/);
    await shot('overview');
    await page.getByLabel('period').selectOption('1440');
    await eventually(async () => /10 minutes over the last day/.test((await page.locator('#activity svg').getAttribute('aria-label')) ?? ''), 10_000, 'the day view');
    assert.match(await page.locator('#activity desc').textContent() ?? '', /delivered: [1-9]/);
  });

  it('shows the delivery report as a chart and a table', async () => {
    await page.goto(`${t.url}/dashboard#/reports`);
    await page.locator('#report svg rect').first().waitFor();
    const text = (await page.locator('#report').textContent()) ?? '';
    assert.match(text, /sim-backup/);
    assert.match(text, /100\.0 %/);
    await shot('reports');
  });

  it('finds a message by metadata and shows its timeline: the failed attempt, the failover, the receipt', async () => {
    await page.goto(`${t.url}/dashboard#/messages`);
    await page.getByLabel('Metadata key').fill('job_id');
    await page.getByLabel('value').fill('job-7');
    await page.getByRole('button', { name: 'Search' }).click();
    const links = page.locator('#message-results a[href^="#/message/"]');
    await eventually(async () => (await links.count()) === 2, 10_000, 'two results');
    await shot('messages');
    await links.first().click();
    const timeline = page.locator('#timeline');
    await timeline.waitFor();
    await eventually(async () => /Receipt: delivered/.test((await timeline.textContent()) ?? ''), 10_000, 'the receipt in the timeline');
    const text = (await timeline.textContent()) ?? '';
    assert.match(text, /Attempt via sim-primary .*transient.*failed over/);
    assert.match(text, /Attempt via sim-backup .*sent/);
    assert.match((await page.locator('#turn').textContent()) ?? '', /Priority normal, waited \d+\.\d s for its turn/);
    // Why: the routing explanation, candidate by candidate.
    assert.match((await page.locator('#routing').textContent()) ?? '', /sim-primary.*failed: provider_error.*sim-backup.*sent from/s);
    // The receipt's raw webhook, as stored.
    await page.locator('#timeline details summary').first().click();
    await eventually(async () => /"status":"delivered"/.test((await page.locator('#timeline details pre').first().textContent()) ?? ''), 10_000, 'the raw receipt');
    await shot('message');
  });

  it('opens a view by its own address, with its filters: a link that can be shared', async () => {
    await page.goto(`${t.url}/dashboard/messages?status=delivered&provider=sim-backup`);
    assert.equal(await page.getByLabel('Status').inputValue(), 'delivered');
    assert.equal(await page.getByLabel('Provider').inputValue(), 'sim-backup');
    const links = page.locator('#message-results a[href^="#/message/"]');
    await eventually(async () => (await links.count()) > 0, 10_000, 'the filtered results');
    const id = (await links.first().textContent())!;
    await page.goto(`${t.url}/dashboard/message/${id}`);
    await page.locator('#timeline').waitFor();
    assert.match(page.url(), new RegExp(`/dashboard#/message/${id}$`));
  });

  it('edits a relay rule with the same validation as the API', async () => {
    await page.goto(`${t.url}/dashboard#/relay-rules`);
    await page.getByLabel('Inbound number').fill('+14155550155');
    await page.getByLabel('Destinations, in order').fill('+14155550155');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('alert').filter({ hasText: /own numbers/ }).waitFor();
    await page.getByLabel('Destinations, in order').fill('+14155550111, +14155550112');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('cell', { name: '+14155550111 → +14155550112' }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Destinations, in order').fill('+14155550113');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('cell', { name: '+14155550113', exact: true }).waitFor();
    assert.deepEqual((await t.call('GET', '/v1/relay-rules/%2B14155550155')).body.destinations, ['+14155550113']);
    await shot('relay-rules');
  });

  it('adds and removes an opt-out', async () => {
    await page.goto(`${t.url}/dashboard#/opt-outs`);
    await page.getByLabel('Opt out a number').fill('+14155550177');
    await page.getByRole('button', { name: 'Add opt-out' }).click();
    await page.getByRole('cell', { name: '+14155550177' }).waitFor();
    assert.equal((await t.call('GET', '/v1/opt-outs?number=%2B14155550177')).body.data.length, 1);
    await shot('opt-outs');
    await page.getByRole('button', { name: 'Remove' }).click();
    await eventually(async () => (await page.getByRole('cell', { name: '+14155550177' }).count()) === 0, 10_000, 'the row gone');
    assert.equal((await t.call('GET', '/v1/opt-outs?number=%2B14155550177')).body.data.length, 0);
  });

  it('shows the audit log: the opt-out just changed, by the dashboard, field by field; the chain verifies', async () => {
    await page.goto(`${t.url}/dashboard#/audit?object=opt_out`);
    const rows = page.locator('#audit-results tbody tr');
    await eventually(async () => (await rows.count()) >= 2, 10_000, 'the opt-out\'s two entries');
    const text = (await page.locator('#audit-results').textContent()) ?? '';
    assert.match(text, /dashboard: bootstrap operator/);
    assert.match(text, /opt_out \+14155550177/);
    assert.match(text, /delete/);
    await rows.first().locator('summary').click();
    assert.match((await rows.first().locator('table.diff').textContent()) ?? '', /opt_outs/);
    await shot('audit');
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.locator('#audit-verify').filter({ hasText: /Chain intact: \d+ entries/ }).waitFor();
  });

  it('shows a bulk send\'s progress', async () => {
    const made = await t.call('POST', '/v1/batches', { body: 'Road closed today', recipients: [{ to: '+14155550171' }, { to: '+14155550172' }] });
    assert.equal(made.status, 202);
    await page.goto(`${t.url}/dashboard/batches`);
    const row = page.locator('#batch-results tbody tr').filter({ hasText: made.body.id });
    await eventually(async () => /2 \/ 2/.test((await row.textContent()) ?? ''), 15_000, 'the batch done');
    assert.match((await row.textContent()) ?? '', /delivered 2/);
    await shot('batches');
  });

  it('shows raw webhooks and replays one', async () => {
    const hooks = await t.app.ctx.store.listWebhooks({ newest: 1 });
    await page.goto(`${t.url}/dashboard#/webhooks`);
    const button = page.locator(`button[data-webhook="${hooks[0].id}"]`);
    await button.waitFor();
    await shot('webhooks');
    await button.click();
    await page.getByRole('alert').filter({ hasText: 'replayed' }).waitFor();
    await eventually(async () => ((await t.app.ctx.store.getWebhook(hooks[0].id))?.processed_at ?? 0) > (hooks[0].processed_at ?? 0), 10_000, 'the webhook processed again');
  });

  it('refuses a change without the session\'s CSRF token', async () => {
    const res = await page.evaluate(async () => {
      const r = await fetch('/v1/opt-outs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number: '+14155550188' }) });
      return { status: r.status, body: await r.json() as { error: { code: string } } };
    });
    assert.deepEqual([res.status, res.body.error.code], [403, 'csrf_failed']);
    assert.equal((await t.call('GET', '/v1/opt-outs?number=%2B14155550188')).body.data.length, 0);
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await context.cookies());
    await phone.goto(`${t.url}/dashboard#/overview`);
    await phone.getByRole('heading', { name: 'Overview' }).waitFor();
    const overflow = await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
    assert.ok(overflow <= 1, `no sideways scrolling: ${overflow}px`);
    await phone.screenshot({ path: join(SHOTS, 'overview-phone.png'), fullPage: true });
    await phone.close();
  });

  it('tracking page: the job\'s messages, recipients masked, the failover shown; expired and revoked links are a plain 404', async () => {
    const link = await t.call('POST', '/v1/tracking-links', { job_id: 'job-7', ttl: 600 });
    assert.equal(link.status, 201);
    const anon = await browser.newPage();
    await anon.goto(link.body.url);
    await anon.getByRole('heading', { name: 'Notifications for job-7' }).waitFor();
    const text = (await anon.locator('#messages').textContent()) ?? '';
    assert.match(text, /\+1 415 •••• 0100/);
    assert.match(text, /\+1 415 •••• 0101/);
    assert.ok(!text.includes('14155550100'), 'no full number on the page');
    assert.match(text, /moved to the backup/);
    assert.match(text, /Delivered/);
    await anon.screenshot({ path: join(SHOTS, 'tracking.png'), fullPage: true });
    const { token } = await createTrackingLink(t.app.ctx.store, 'default', 'job-7', 60, Date.now() - 120_000);
    const expired = await anon.goto(`${t.url}/track/${token}`);
    assert.equal(expired?.status(), 404);
    assert.match((await anon.textContent('body')) ?? '', /does not exist or has expired/);
    await anon.screenshot({ path: join(SHOTS, 'tracking-expired.png') });
    assert.equal((await t.call('DELETE', `/v1/tracking-links/${link.body.id}`)).status, 200);
    assert.equal((await anon.goto(link.body.url))?.status(), 404, 'revoked');
    await anon.close();
  });

  it('shows a conversation both ways, oldest first, each sent text linked to its message', async () => {
    const store = t.ctx().store;
    const [business, customer] = ['+14155550155', '+14155550166'];
    const sent = await t.call('POST', '/v1/messages?wait=10', { to: customer, from: business, body: 'Your table is ready' });
    const id = conversationId('default', business, customer);
    const now = Date.now();
    await store.upsertConversation({ id, account_id: 'default', business_number: business, customer_number: customer, created_at: now });
    await store.insertInbound([{ id: newId('inb'), account_id: 'default', provider_id: 'sim-backup', provider_message_id: 'conv-ui-1', from_number: customer, to_number: business,
      body: 'On my way', webhook_id: 'whk_ui', received_at: now + 1, created_at: now + 1, conversation_id: id, in_reply_to: sent.body.id }]);
    await page.goto(`${t.url}/dashboard#/conversation/${id}`);
    const list = page.locator('#conversation');
    await list.waitFor();
    assert.match((await list.textContent()) ?? '', /You: Your table is ready.*\+14155550166: On my way/s);
    await list.getByRole('link', { name: 'You' }).click();
    await page.locator('#timeline').waitFor();
  });

  it('signs out', async () => {
    await page.goto(`${t.url}/dashboard`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    const status = await page.evaluate(async () => (await fetch('/dashboard/session')).status);
    assert.equal(status, 401);
  });
});

describe('dashboard with regions in a browser', { skip }, () => {
  let t: TestApp;
  let browser: Browser;

  before(async () => {
    t = await startApp({ regions: 'eu,us', regionCountries: 'eu=DE;us=*' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  after(async () => { await browser?.close(); await t?.stop(); });

  it('lists each region on the overview and shows which one stores a message', async () => {
    const sent = await t.call('POST', '/v1/messages', { to: '+4915123456789', body: 'Hallo' });
    assert.equal(sent.status, 202);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${t.url}/dashboard`);
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Regions' }).waitFor();
    assert.deepEqual(await page.locator('#regions tbody tr td:first-child').allTextContents(), ['eu', 'us']);
    assert.match(await page.locator('#regions tbody').innerText(), /available/);
    await page.goto(`${t.url}/dashboard#/message/${sent.body.id}`);
    await page.locator('#region').waitFor();
    assert.match(await page.locator('#region').innerText(), /Stored in region\s+eu/);
    await page.screenshot({ path: join(SHOTS, 'message-region.png'), fullPage: true });
  });
});
