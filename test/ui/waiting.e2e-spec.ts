import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { type TestApp, startTestApp, waitFor } from '../support/test-app';
import { databaseKinds } from '../support/test-database';
import { launchChromium } from './chromium';
import { payoutSaga, WaitingSagaModule } from './waiting-saga.module';

const TOKEN = 'waiting-e2e-token';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

describe.each(databaseKinds())('the Waiting page in Chromium, on %s', (kind) => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];

  const load = async (id: string) => (await t.orchestrator.store.load(id))!;
  /** A payout saga waiting at its approval. */
  const waitingPayout = async (key: string): Promise<string> => {
    const { id } = await t.orchestrator.start(payoutSaga, { correlationId: key, data: { amountCents: 12_000 } });
    await waitFor(
      async () => (await load(id)).steps[1].status,
      (s) => s === 'WAITING',
    );
    return id;
  };
  const resultOf = (id: string) => page.locator(`tr[data-saga-id="${id}"] .action-result`);

  beforeAll(async () => {
    t = await startTestApp(kind, { config: { adminToken: TOKEN }, imports: [WaitingSagaModule] });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      // the 401 of the first visit and the 409 the test provokes are logged by the browser too
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists a waiting saga with its deadline; Approve moves it on, a second click shows the 409 reason', async () => {
    const id = await waitingPayout('payout-1');
    const deadline = (await load(id)).steps[1].waitDeadline!;

    expect((await page.goto(`${base}/ui/waiting`))?.status()).toBe(401);
    await page.fill('#token-form input[name=token]', TOKEN);
    await page.fill('#token-form input[name=operator]', 'e2e-approver');
    await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/ui/waiting` && r.status() === 200),
      page.click('#token-form button[type=submit]'),
    ]);
    const row = page.locator(`tr[data-saga-id="${id}"]`);
    await row.waitFor();
    expect(await page.locator('header nav a.active').textContent()).toBe('Waiting');
    await expect(row.getAttribute('data-signal')).resolves.toBe('approval');
    await expect(row.locator('td[data-deadline]').getAttribute('data-deadline')).resolves.toBe(deadline);
    const deadlineText = (await row.locator('td[data-deadline]').textContent()) ?? '';
    expect(deadlineText).toContain(`${deadline.slice(0, 10)} ${deadline.slice(11, 19)}`);
    expect(deadlineText).toMatch(/\(in 4[78] h \d+ min\)/);
    expect(await row.textContent()).toContain('payout-1');

    await row.locator('input[name=reason]').fill('checked the account');
    await row.locator('button[data-action="approve"]').click();
    await waitFor(
      async () => (await resultOf(id).textContent()) ?? '',
      (text) => text.startsWith('approved'),
    );
    const done = await waitFor(
      () => load(id),
      (s) => s.status === 'COMPLETED',
    );
    expect(done.data).toMatchObject({ approvedBy: 'e2e-approver' });

    await row.locator('button[data-action="approve"]').click();
    await waitFor(
      async () => (await resultOf(id).textContent()) ?? '',
      (text) => text.includes('refused (409)'),
    );
    expect(await resultOf(id).textContent()).toBe(
      'Approve refused (409): signal "approval" duplicate: the wait already has its signal; nothing changed',
    );
    // a refused signal is only recorded in the history
    const after = await load(id);
    expect({ status: after.status, steps: after.steps, data: after.data }).toEqual({
      status: done.status,
      steps: done.steps,
      data: done.data,
    });

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `inspector-waiting-${kind}.png`), fullPage: true });
    await page.reload();
    expect(await page.locator(`tr[data-saga-id="${id}"]`).count()).toBe(0);
  });

  it('the saga page shows the wait and rejects it from its own panel; the saga compensates', async () => {
    const id = await waitingPayout('payout-2');
    await page.goto(`${base}/ui/sagas/${id}`);
    await expect(page.locator('tr[data-step="approval"]').getAttribute('data-status')).resolves.toBe('WAITING');
    expect(await page.locator('tr[data-step="approval"]').textContent()).toContain('waiting for signal approval');
    expect(await page.locator('svg.flow g.wait.st-WAITING[data-step="approval"] text.wait-line').textContent()).toMatch(/^until /);

    const panel = page.locator('[data-saga][data-signal="approval"]');
    await panel.locator('input[name=reason]').fill('duplicate request');
    await panel.locator('button[data-action="reject"]').click();
    await waitFor(
      async () => (await panel.locator('.action-result').textContent()) ?? '',
      (text) => text.startsWith('rejected'),
    );
    const ended = await waitFor(
      () => load(id),
      (s) => s.status === 'COMPENSATED',
    );
    expect(ended.failureReason).toBe('approval failed: rejected by e2e-approver: duplicate request');
    await page.waitForFunction(
      () => document.querySelector('[data-saga-status]')?.getAttribute('data-saga-status') === 'COMPENSATED',
      undefined,
      { timeout: 15_000 },
    );
    expect(consoleErrors).toEqual([]);
  });
});
