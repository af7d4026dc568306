import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { orderRequest, type TestApp, startTestApp, waitFor } from '../support/test-app';
import { databaseKinds } from '../support/test-database';
import { launchChromium } from './chromium';

const TOKEN = 'inspector-e2e-token';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const DOCS_SCREENSHOT = join(process.cwd(), 'docs', 'inspector.png');

interface PlacedOrder {
  id: string;
  sagaId: string;
  status: string;
}

describe.each(databaseKinds())('inspector page in Chromium, on %s', (kind) => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  const foreign: string[] = [];
  const consoleErrors: string[] = [];

  const place = async (paymentToken: string, wait: boolean): Promise<PlacedOrder> => {
    const req = t.http().post('/orders').send(orderRequest({ paymentToken }));
    return (await (wait ? req.set('Prefer', 'wait=20') : req)).body as PlacedOrder;
  };
  const sagaOf = async (id: string) =>
    (await t.http().get(`/sagas/${id}`).set('Authorization', `Bearer ${TOKEN}`).expect(200)).body as {
      status: string;
      version: number;
      history: { reason?: string }[];
    };

  beforeAll(async () => {
    // deadlines far away: the tok_timeout saga stays RUNNING until the test aborts it
    t = await startTestApp(kind, { config: { adminToken: TOKEN }, saga: { stepTimeoutMs: 120_000 } });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('console', (m) => {
      // the 401 and 404 the test provokes on purpose are logged by the browser too
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a declined order compensated: the list, its saga, the diagram and the timeline', async () => {
    const declined = await place('tok_declined', true);
    expect(declined.status).toBe('CANCELLED');
    await waitFor(
      () => sagaOf(declined.sagaId),
      (s) => s.status === 'COMPENSATED',
    );

    // a token is configured, so the pages need it: the first visit gets the token form, and entering the token
    // (kept as the sw_read cookie for the pages) loads the page
    expect((await page.goto(`${base}/ui`))?.status()).toBe(401);
    expect(await page.locator('[data-token-required]').count()).toBe(1);
    await page.fill('#token-form input[name=token]', TOKEN);
    await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/ui` && r.status() === 200),
      page.click('#token-form button[type=submit]'),
    ]);
    await page.waitForSelector('[data-count="COMPENSATED"]');
    expect((await page.context().cookies(base)).find((c) => c.name === 'sw_read')).toMatchObject({
      value: TOKEN,
      sameSite: 'Strict',
      path: '/',
    });
    expect(await page.title()).toContain('Sagaworks inspector');
    expect(Number(await page.locator('[data-count="COMPENSATED"] b').textContent())).toBeGreaterThanOrEqual(1);

    // filter by status and type, as an operator would
    await page.selectOption('form.filters select[name=status]', 'COMPENSATED');
    await page.selectOption('form.filters select[name=type]', 'order-fulfillment');
    await Promise.all([page.waitForURL(/status=COMPENSATED/), page.click('form.filters button[type=submit]')]);
    const statuses = await page.locator('table.sagas tbody tr td:nth-child(4)').allTextContents();
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    expect(new Set(statuses.map((s) => s.trim()))).toEqual(new Set(['COMPENSATED']));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `inspector-list-${kind}.png`), fullPage: true });

    await Promise.all([page.waitForURL(`**/ui/sagas/${declined.sagaId}`), page.click(`tr[data-saga-id="${declined.sagaId}"] a`)]);
    await expect(page.locator('[data-saga-status]').getAttribute('data-saga-status')).resolves.toBe('COMPENSATED');
    await expect(page.locator('tr[data-step="reserveInventory"]').getAttribute('data-status')).resolves.toBe('COMPENSATED');
    await expect(page.locator('tr[data-step="processPayment"]').getAttribute('data-status')).resolves.toBe('FAILED');
    expect(await page.locator('tr[data-step="processPayment"]').textContent()).toContain('card declined');
    // the definition as SVG, coloured by this instance
    // one box per step of the definition (the saga's steps table has a row for each; the order saga gains steps)
    expect(await page.locator('svg.flow g[data-step]').count()).toBe(await page.locator('table.steps tr[data-step]').count());
    expect(await page.locator('svg.flow g[data-step]').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('svg.flow g.st-FAILED[data-step="processPayment"]').count()).toBe(1);
    expect(await page.locator('svg.flow g.undo-done[data-undo="reserveInventory"]').count()).toBe(1);
    expect(await page.locator('svg.flow line.dashed').count()).toBeGreaterThan(0);
    expect(await page.locator('ol.timeline li').count()).toBe((await t.orchestrator.store.history(declined.sagaId)).length);
    expect(await page.locator('ol.timeline').textContent()).toContain('processPayment failed: card declined');

    const shot = join(ARTIFACTS, `inspector-${kind}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, join(ARTIFACTS, 'inspector.png'));
    // the README's screenshot: written when missing, refreshed on demand
    if (kind === 'pglite' && (!existsSync(DOCS_SCREENSHOT) || process.env.UPDATE_SCREENSHOTS === '1')) {
      mkdirSync(join(process.cwd(), 'docs'), { recursive: true });
      copyFileSync(shot, DOCS_SCREENSHOT);
    }
  });

  it('previews and then performs an abort with the admin token kept in the session', async () => {
    const running = await place('tok_timeout', false);
    await waitFor(
      async () => (await t.orchestrator.store.load(running.sagaId))?.steps.find((s) => s.name === 'processPayment')?.status,
      (s) => s === 'EXECUTING',
    );
    // as in a new tab: the sw_read cookie of the first test loads the pages, the tab holds no admin token yet
    await page.evaluate(() => sessionStorage.removeItem('sagaworks.adminToken'));
    await page.goto(`${base}/ui/sagas/${running.sagaId}`);
    await expect(page.locator('[data-saga-status]').getAttribute('data-saga-status')).resolves.toBe('RUNNING');

    // without a token the page says so and sends nothing
    await page.click('button[data-action="plan"]');
    await expect(page.locator('#action-result').textContent()).resolves.toContain('Enter the admin token first');

    // a wrong token is refused by the server, and forgotten
    await page.fill('#token-form input[name=token]', 'wrong');
    await page.click('#token-form button[type=submit]');
    await page.click('button[data-action="plan"]');
    await page.waitForFunction(() => document.getElementById('action-result')?.textContent?.includes('refused (403)'));
    expect(await page.evaluate(() => sessionStorage.getItem('sagaworks.adminToken'))).toBeNull();

    await page.fill('#token-form input[name=token]', TOKEN);
    await page.fill('#token-form input[name=operator]', 'e2e-operator');
    await page.click('#token-form button[type=submit]');
    expect(await page.evaluate(() => sessionStorage.getItem('sagaworks.adminToken'))).toBe(TOKEN);

    // the token survives navigation within the tab
    await page.reload();
    await expect(page.locator('#token-form [data-operator-name]').textContent()).resolves.toBe('e2e-operator');

    const version = (await sagaOf(running.sagaId)).version;
    await page.click('button[data-action="plan"]');
    await page.waitForFunction(() => document.getElementById('action-result')?.textContent?.includes('Dry run'));
    const plan = (await page.locator('#action-result').textContent()) ?? '';
    expect(plan).toContain('1. undo processPayment (RefundPaymentCommand)');
    expect(plan).toContain('2. undo reserveInventory (ReleaseInventoryCommand)');
    expect((await sagaOf(running.sagaId)).version).toBe(version);

    await page.fill('[data-saga] textarea[name=reason]', 'payment provider is down');
    await page.click('button[data-action="abort"]');
    await page.waitForFunction(() => document.getElementById('action-result')?.textContent?.includes('Abort done'));
    const ended = await waitFor(
      () => sagaOf(running.sagaId),
      (s) => s.status === 'COMPENSATED',
    );
    expect(ended.history.some((h) => h.reason === 'processPayment failed: aborted by e2e-operator: payment provider is down')).toBe(true);
    // the page follows without a reload: it refreshes its live region after an action and every few seconds
    await page.waitForFunction(
      () => document.querySelector('[data-saga-status]')?.getAttribute('data-saga-status') === 'COMPENSATED',
      undefined,
      { timeout: 15_000 },
    );
    await page.reload();
    await expect(page.locator('[data-saga-status]').getAttribute('data-saga-status')).resolves.toBe('COMPENSATED');
    await expect(page.locator('button[data-action="abort"]').isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, `inspector-aborted-${kind}.png`), fullPage: true });
  });

  it('pages the list: "Older →" follows the cursor, "← Newest" goes back, the filters kept', async () => {
    await t.dataSource.query(
      `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, version, history_seq,
         definition_hash, created_at, updated_at)
       SELECT gen_random_uuid(), 'ui-paging', 'paging-' || g, 'COMPLETED', 0, 'one', '[]', '{}', 1, 0, 'h',
         now() - g * interval '1 second', now()
       FROM generate_series(1, 30) AS g`,
    );
    await page.goto(`${base}/ui?type=ui-paging&limit=25`);
    const first = await page.locator('table.sagas tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-saga-id')));
    expect(first).toHaveLength(25);
    expect(await page.locator('a.pager-newest').count()).toBe(0);
    await Promise.all([page.waitForURL(/cursor=/), page.click('a.pager-older')]);
    expect(page.url()).toMatch(/type=ui-paging/);
    const older = await page.locator('table.sagas tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-saga-id')));
    expect(older).toHaveLength(5);
    expect(older.filter((id) => first.includes(id))).toEqual([]);
    expect(await page.locator('a.pager-older').count()).toBe(0);
    await Promise.all([page.waitForURL((url) => !url.search.includes('cursor')), page.click('a.pager-newest')]);
    expect(await page.locator('table.sagas tbody tr').count()).toBe(25);
  });

  it('draws every registered definition and loads nothing from elsewhere', async () => {
    await page.goto(`${base}/ui/definitions`);
    expect(await page.locator('[data-definition="order-fulfillment"] svg.flow').count()).toBe(1);
    expect((await page.goto(`${base}/ui/sagas/00000000-0000-4000-8000-000000000000`))?.status()).toBe(404);
    expect(foreign).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
