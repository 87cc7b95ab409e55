import { addKiosk, bikeBody, senseBike, VISITOR } from './bikes';
import { call, waitForView } from './http';
import { orderBody } from './orders';
import type { Stack } from './stack';

export interface HistoryScenario {
  name: string;
  run(stack: Stack): Promise<{ sagaId: string; outcome: string }>;
}

async function finishedOrder(stack: Stack, overrides: Record<string, unknown>) {
  const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(overrides), prefer: 'wait=30' });
  if (answer.status !== 200) throw new Error(`order did not finish: ${JSON.stringify(answer.body)}`);
  return { sagaId: answer.body.id as string, outcome: `${answer.body.status}${answer.body.error ? ` (${answer.body.error.type})` : ''}` };
}

async function bikeCheckout(stack: Stack, sense: number) {
  await addKiosk(stack.backendsUrl, 'kiosk-history', 10);
  const started = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-history', bikes: 2, credentials: VISITOR, paymentToken: 'tok_visa' }) });
  for (let n = 1; n <= sense; n += 1) await senseBike(stack.apiUrl, started.body.id, n);
  const view = await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPLETED' || v.status === 'COMPENSATED', 60_000);
  return { sagaId: view.id as string, outcome: `${view.status}${view.error ? ` (${view.error.type})` : ''}` };
}

/** The runs whose histories are committed and replayed on every test run. */
export const HISTORY_SCENARIOS: HistoryScenario[] = [
  { name: 'order-completed', run: (stack) => finishedOrder(stack, {}) },
  { name: 'order-compensated', run: (stack) => finishedOrder(stack, { paymentToken: 'tok_declined' }) },
  { name: 'bike-checkout-completed', run: (stack) => bikeCheckout(stack, 2) },
  { name: 'bike-checkout-compensated', run: (stack) => bikeCheckout(stack, 1) },
];
