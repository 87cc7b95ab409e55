/**
 * `npx tsx scripts/ui-screenshots.ts`: the README's Temporal UI screenshots (docs/screens/temporal-ui-*.png)
 * of a compensated and a stuck order, taken in Debian's headless Chromium (scripts/ensure-chromium.sh)
 * against a stack launched for the purpose, with the backends' fault injection making the two outcomes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { launchStack, type LaunchedStack } from '../src/dev/stack';

const out = join(__dirname, '..', 'docs', 'screens');

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

async function order(stack: LaunchedStack, customerId: string): Promise<string> {
  const headers = { authorization: `Bearer ${stack.apiKey}`, 'idempotency-key': `shot-${customerId}-${Date.now()}` };
  const body = {
    customerId,
    currency: 'EUR',
    items: [{ sku: 'book-001', quantity: 2 }, { sku: 'lamp-002', quantity: 1 }],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
  };
  return (await post(`${stack.apiUrl}/v1/orders`, body, headers)).id as string;
}

async function waitFor(stack: LaunchedStack, id: string, done: (view: any) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const view = await (await fetch(`${stack.apiUrl}/v1/sagas/${id}`, { headers: { authorization: `Bearer ${stack.apiKey}` } })).json();
    if (done(view)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`saga ${id} did not get there in time`);
}

async function main(): Promise<void> {
  const stack = await launchStack({
    label: 'shots',
    start: ['temporal', 'backends', 'worker', 'api'],
    env: { SAGAWAY_LOCAL_STEPS: 'false', SAGAWAY_STUCK_AFTER_ATTEMPTS: '3', SAGAWAY_COMPENSATION_BACKOFF_MS: '500,5000' },
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await post(`${stack.backendsUrl}/shipping/_admin/faults`, { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const compensated = await order(stack, 'c-41');
    await waitFor(stack, compensated, (v) => v.status === 'COMPENSATED');
    await post(`${stack.backendsUrl}/payments/_admin/faults`, { op: 'void', mode: 'error', status: 409, count: 1_000 });
    const stuck = await order(stack, 'c-42');
    await waitFor(stack, stuck, (v) => v.steps?.some((s: any) => s.status === 'STUCK'));
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    const ui = `http://127.0.0.1:${stack.env.SAGAWAY_TEMPORAL_UI_PORT}`;
    mkdirSync(out, { recursive: true });
    for (const [name, id] of [['compensated', compensated], ['stuck', stuck]] as const) {
      await page.goto(`${ui}/namespaces/default/workflows/${id}`, { waitUntil: 'networkidle', timeout: 60_000 });
      await page.waitForTimeout(1_500); // the UI renders the event history after its last request
      await page.screenshot({ path: join(out, `temporal-ui-${name}.png`), fullPage: false });
      process.stdout.write(`docs/screens/temporal-ui-${name}.png (${id})\n`);
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
