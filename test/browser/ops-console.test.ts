/**
 * The operator console at /ops, in Chromium, against a running stack: an operator enters the key once
 * (#key=...), finds an order whose payment void is refused (its undo STUCK) among the sagas that need a
 * person, sees its steps and the undo's errors, and resolves it with a reason; the page follows the saga
 * to COMPENSATED live, the audit trail shows the action, and the backends hold the released stock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { backendRecords, call, clearFaults, injectFault, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { browserMissing, launchBrowser, screenshot } from '../support/browser';
import { OPERATOR_KEY, startStack, type Stack, stuckUndoLog } from '../support/stack';

const skip = browserMissing() ?? false;
let stack: Stack;
let browser: Browser;

before(async () => {
  if (skip) return;
  stack = await startStack({ env: { SAGAWAY_LOCAL_STEPS: 'false' }, tuning: { stuckAfterAttempts: 2 }, expectErrorLogs: [stuckUndoLog('authorizePayment', 'payments: injected 409 for void')] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('operator console', { skip }, () => {
  it('resolves a stuck saga: found in the list, its undo shown stuck, resolved with a reason, followed to COMPENSATED', async () => {
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 409, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ customerId: 'c-console' }) });
    await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.status === 'STUCK'), 30_000);
    await clearFaults(stack.backendsUrl, 'shipping');

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => m.type() === 'error' && refused.push(`${m.text()} ${m.location().url}`));
    await page.goto(`${stack.apiUrl}/ops#key=${OPERATOR_KEY}`);
    assert.equal(new URL(page.url()).hash, '', 'the key is wiped from the address bar');
    // Visibility is eventually consistent: filter again until the saga is listed.
    await page.selectOption('select[name=keyName]', 'customer');
    await page.fill('input[name=keyValue]', 'c-console');
    const row = page.locator(`tr[data-saga-id="${started.body.id}"]`);
    for (let tries = 0; (await row.count()) === 0 && tries < 50; tries += 1) {
      await page.click('#filters button[type=submit]');
      await page.waitForTimeout(300);
    }
    await row.click();
    const stuck = page.locator('.step[data-step="authorizePayment"]');
    await stuck.locator('.badge', { hasText: 'STUCK' }).waitFor();
    assert.match(await stuck.locator('.undo').innerText(), /undo: \d+ attempts?, stuck · last error: payments: injected 409 for void/);
    assert.equal(await page.locator('.step.pivot').count(), 0, 'the pivot was never reached, so it is not drawn');
    await screenshot(page, 'ops-1-stuck');

    // The operator voided the payment by hand and says so; a resolve without a reason is not sent.
    await stuck.locator('button[data-action=resolve]').click();
    await page.click('#action-send');
    assert.match(await page.locator('#action-problem').innerText(), /reason/);
    await page.fill('#action-form input[name=reason]', 'voided by hand in the payments console');
    await screenshot(page, 'ops-2-reason');
    await page.click('#action-send');
    await page.locator('#saga-status[data-status="COMPENSATED"]').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#audit').innerText(), /ops resolve authorizePayment: voided by hand in the payments console/);
    await screenshot(page, 'ops-3-resolved');

    const view = await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPENSATED');
    assert.equal(view.audit.length, 1);
    assert.deepEqual((await backendRecords(stack.backendsUrl, 'inventory', started.body.id)).map((r) => r.status), ['RELEASED']);
    assert.deepEqual(refused.filter((m) => !/favicon\.ico/.test(m)), [], 'no script or style refused by the CSP, no error in the page');
    await context.close();
  });
});
