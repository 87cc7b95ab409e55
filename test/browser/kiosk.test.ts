import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addKiosk, LOCAL_HOUSEHOLD_3, REJECTED, VISITOR } from '../support/bikes';
import { browserMissing, launchBrowser, screenshot } from '../support/browser';
import { backendRecords, call } from '../support/http';
import { API_KEY, OTHER_API_KEY, startStack, type Stack } from '../support/stack';

const KIOSK_KEY = 'kiosk-test-key-0003';
const EMPTY_KIOSK_KEY = 'kiosk-empty-key-0004';
const skip = browserMissing() ?? false;

let stack: Stack;
let browser: Browser;

before(async () => {
  stack = await startStack({
    env: {
      SAGAWAY_ENV: 'development',
      // Long enough for the screen's button to beat it, short enough to watch a timeout.
      SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '10',
      SAGAWAY_API_KEYS: `test:${API_KEY},other:${OTHER_API_KEY},kiosk.kiosk-test:${KIOSK_KEY},kiosk.kiosk-empty:${EMPTY_KIOSK_KEY}`,
    },
  });
  await addKiosk(stack.backendsUrl, 'kiosk-test', 20);
  if (!skip) browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The kiosk's screen, provisioned with its key the way a technician does it: once, in the fragment. */
async function openKiosk(kioskId: string, key: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${stack.apiUrl}/kiosk/${kioskId}#key=${key}`);
  return page;
}

async function scan(page: Page, credentials: { documentNumber: string; issuingRegion: string; dateOfBirth: string }): Promise<void> {
  await page.getByLabel('Document number').fill(credentials.documentNumber);
  await page.getByLabel('Issuing region').fill(credentials.issuingRegion);
  await page.getByLabel('Date of birth').fill(credentials.dateOfBirth);
}

const heading = (page: Page, name: string) => page.getByRole('heading', { name }).waitFor({ timeout: 30_000 });

/** Plays the door sensor from the screen's development button, for the next bike on its way. */
async function senseNextBike(page: Page): Promise<void> {
  const button = page.locator('li.bay.on_its_way button.dev').first();
  await button.waitFor({ timeout: 30_000 });
  await button.click();
}

const sagaIdOf = async (page: Page) => (await page.locator('#status').getAttribute('data-saga-id'))!;

describe('the kiosk screen', { skip }, () => {
  it('lets a local rider take two bikes with two prompts, each bike shown on its way, in its bay, door open', async () => {
    const page = await openKiosk('kiosk-test', KIOSK_KEY);
    assert.equal(new URL(page.url()).hash, '', 'the key is wiped from the address bar');
    await scan(page, LOCAL_HOUSEHOLD_3);
    await screenshot(page, 'kiosk-1-scan');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'More bikes' }).click();
    await page.locator('#count').filter({ hasText: '2' }).waitFor();
    await screenshot(page, 'kiosk-2-bikes');
    await page.getByRole('button', { name: 'Request bikes' }).click();

    await senseNextBike(page);
    await page.locator('li.bay.door_open').waitFor({ timeout: 30_000 });
    await page.locator('li.bay.on_its_way').waitFor({ timeout: 30_000 });
    await page.getByText('Welcome, local rider: your bikes are free.', { exact: false }).waitFor();
    await screenshot(page, 'kiosk-3-status');
    await senseNextBike(page);
    await heading(page, 'Enjoy your ride!');
    assert.equal(await page.locator('li.bay.door_open').count(), 2);
    await screenshot(page, 'kiosk-4-done');

    const id = await sagaIdOf(page);
    const doors = (await backendRecords(stack.backendsUrl, 'kiosk', id)).filter((r) => r.kind === 'door');
    assert.equal(doors.length, 2, 'two bay doors opened');
    const checkouts = (await backendRecords(stack.backendsUrl, 'bikes', id)).filter((r) => r.kind === 'checkout');
    assert.deepEqual(checkouts.map((r) => r.status), ['CHECKED_OUT', 'CHECKED_OUT']);
    assert.deepEqual(await backendRecords(stack.backendsUrl, 'payments', id), [], 'a local pays nothing');
  });

  it('waits out a busy API (429 with Retry-After) with the same Idempotency-Key, so the rider gets a bike from one checkout', async () => {
    const page = await openKiosk('kiosk-test', KIOSK_KEY);
    // The API's limiter turns the first request away, as it would under a burst of riders.
    const keys: string[] = [];
    await page.route('**/v1/bike-checkouts', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length > 1) return route.continue();
      await route.fulfill({ status: 429, headers: { 'retry-after': '1', 'content-type': 'application/problem+json' }, body: JSON.stringify({ type: 'https://sagaway.dev/problems/rate-limited', title: 'Too many requests', status: 429, detail: 'slow down' }) });
    });
    await scan(page, LOCAL_HOUSEHOLD_3);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Request bikes' }).click();
    await page.getByRole('heading', { name: /Your bikes|The bike system is busy/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('heading', { name: 'The bike system is busy' }).isVisible(), false, 'the rider was not sent away');
    await senseNextBike(page);
    await heading(page, 'Enjoy your ride!');
    assert.equal(keys.length, 2, 'asked again once');
    assert.ok(keys[0], 'with an Idempotency-Key');
    assert.equal(keys[1], keys[0], 'the same Idempotency-Key');
    const checkouts = (await backendRecords(stack.backendsUrl, 'bikes', await sagaIdOf(page))).filter((r) => r.kind === 'checkout');
    assert.deepEqual(checkouts.map((r) => r.status), ['CHECKED_OUT']);
  });

  it('reads a visitor\'s card from one swipe, tells them the limit in a plain sentence, then takes their payment for one bike', async () => {
    const page = await openKiosk('kiosk-test', KIOSK_KEY);
    // The stripe reader types the card's track into the focused field; one swipe is the whole first prompt.
    await page.getByLabel('Document number').pressSequentially(`%${VISITOR.issuingRegion}^${VISITOR.documentNumber}^${VISITOR.dateOfBirth.replaceAll('-', '')}?`);
    await heading(page, 'How many bikes?');
    await page.getByText('Up to 1 bike at once, 3.50 EUR each.').waitFor();
    await page.getByRole('button', { name: 'More bikes' }).click();
    await page.getByLabel('Visitors: payment card token').fill('tok_visa');
    await page.getByRole('button', { name: 'Request bikes' }).click();
    await heading(page, 'Too many bikes');
    await page.getByText('Visitors may take up to 1 bike at once, and you asked for 2. Please ask for fewer.').waitFor();
    await screenshot(page, 'kiosk-limit');
    const refused = await sagaIdOf(page);
    assert.deepEqual(await backendRecords(stack.backendsUrl, 'payments', refused), [], 'nothing was authorized for the refused request');

    await page.getByRole('button', { name: 'Choose again' }).click();
    await page.getByRole('button', { name: 'Fewer bikes' }).click();
    await page.getByRole('button', { name: 'Request bikes' }).click();
    await senseNextBike(page);
    await heading(page, 'Enjoy your ride!');
    await page.getByText('3.50 EUR charged.', { exact: false }).waitFor();
    const payments = await backendRecords(stack.backendsUrl, 'payments', await sagaIdOf(page));
    assert.deepEqual(payments.map((r) => [r.status, r.amountMinor]), [['CAPTURED', 350]]);
  });

  it('says at once that an empty kiosk is empty, and starts nothing', async () => {
    const page = await openKiosk('kiosk-empty', EMPTY_KIOSK_KEY);
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.url());
    });
    await heading(page, 'No bikes here right now');
    await page.getByText('Kiosk kiosk-empty is empty. Please try another kiosk nearby', { exact: false }).waitFor();
    assert.equal(await page.getByLabel('Document number').isVisible(), false, 'the rider is not asked to scan');
    await screenshot(page, 'kiosk-empty');
    await page.getByRole('button', { name: 'Check again' }).click();
    await heading(page, 'No bikes here right now');
    assert.deepEqual(posts, []);
  });

  it('reads a rejected ID as a plain sentence, with nothing moved', async () => {
    const page = await openKiosk('kiosk-test', KIOSK_KEY);
    await scan(page, REJECTED);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Request bikes' }).click();
    await heading(page, 'We could not accept this ID');
    await page.getByText('The ID service did not accept this card.', { exact: false }).waitFor();
    await screenshot(page, 'kiosk-rejected');
    assert.deepEqual(await backendRecords(stack.backendsUrl, 'storage', await sagaIdOf(page)), []);
    await page.getByRole('button', { name: 'Start again' }).click();
    assert.equal(await page.getByLabel('Document number').inputValue(), '', 'the next rider does not see this one\'s ID');
  });

  it('reads a bike that never reached its bay as a plain sentence, with the bike back in storage', async () => {
    const page = await openKiosk('kiosk-test', KIOSK_KEY);
    await scan(page, LOCAL_HOUSEHOLD_3);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Request bikes' }).click();
    await page.locator('li.bay.on_its_way').waitFor({ timeout: 30_000 });
    await heading(page, 'A bike did not arrive');
    await page.getByText('A bike did not reach its bay in time, so we stopped.', { exact: false }).waitFor();
    await screenshot(page, 'kiosk-timeout');
    const id = await sagaIdOf(page);
    const moved = [...await backendRecords(stack.backendsUrl, 'storage', id), ...await backendRecords(stack.backendsUrl, 'bikes', id)];
    assert.deepEqual(moved.filter((r) => r.kind !== 'condition').map((r) => `${r.kind}:${r.status}`).sort(), ['bike-reservation:RETURNED', 'checkout:CHECKED_IN']);
  });

  it('offers Cancel only until a door opens, and ends a household checkout whose second bike never came as partial, the first bike out', async () => {
    const page = await openKiosk('kiosk-test', KIOSK_KEY);
    await scan(page, LOCAL_HOUSEHOLD_3);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'More bikes' }).click();
    await page.locator('#count').filter({ hasText: '2' }).waitFor();
    await page.getByRole('button', { name: 'Request bikes' }).click();
    await page.locator('li.bay.on_its_way').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#cancel').isVisible(), true, 'Cancel is offered while no door is open');
    await senseNextBike(page);
    await page.locator('li.bay.door_open').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#cancel').isVisible(), false, 'no Cancel once a bike is with its rider');
    await heading(page, '1 bike of 2 ready');
    await page.getByText('1 bike did not reach its bay and went back into storage.', { exact: false }).waitFor();
    assert.deepEqual(await page.locator('li.bay .bike-status').allTextContents(), ['Door open', 'Back in storage']);
    await screenshot(page, 'kiosk-partial');
    const id = await sagaIdOf(page);
    const checkouts = (await backendRecords(stack.backendsUrl, 'bikes', id)).filter((r) => r.kind === 'checkout');
    assert.deepEqual(checkouts.map((r) => r.status), ['CHECKED_OUT', 'CHECKED_IN']);
  });

  it('shows a helpful page, not an error, when the kiosk has no key yet', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    await page.goto(`${stack.apiUrl}/kiosk/kiosk-test`);
    await heading(page, 'This kiosk is not set up');
  });
});

// These need no browser: they run wherever the API does.
describe('a kiosk key', () => {
  const asKiosk = { key: KIOSK_KEY };
  const credentials = LOCAL_HOUSEHOLD_3;

  it('is never in the page the server sends', async () => {
    const res = await fetch(`${stack.apiUrl}/kiosk/kiosk-test`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(await res.text(), new RegExp(KIOSK_KEY));
  });

  it('checks out bikes at its own kiosk only, and cannot start anything else or list sagas', async () => {
    const elsewhere = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { ...asKiosk, body: { kioskId: 'kiosk-central', bikes: 1, credentials } });
    assert.equal(elsewhere.status, 403, JSON.stringify(elsewhere.body));
    const order = await call(stack.apiUrl, 'POST', '/v1/orders', { ...asKiosk, body: {} });
    assert.equal(order.status, 403);
    assert.equal((await call(stack.apiUrl, 'GET', '/v1/sagas', asKiosk)).status, 403);
    assert.equal((await call(stack.apiUrl, 'GET', '/v1/kiosks/kiosk-central/availability', asKiosk)).status, 403);
    const own = await call(stack.apiUrl, 'GET', '/v1/kiosks/kiosk-test/availability', asKiosk);
    assert.equal(own.status, 200);
    assert.ok(own.body.bikesAvailable > 0);
  });

  it('cannot see a saga another client started', async () => {
    const started = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: { kioskId: 'kiosk-test', bikes: 1, credentials: REJECTED } });
    assert.equal(started.status, 202);
    assert.equal((await call(stack.apiUrl, 'GET', `/v1/sagas/${started.body.id}`, asKiosk)).status, 404);
  });
});
