import { call } from './http';
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

/** The runs whose histories are committed and replayed on every test run. */
export const HISTORY_SCENARIOS: HistoryScenario[] = [
  { name: 'order-completed', run: (stack) => finishedOrder(stack, {}) },
  { name: 'order-compensated', run: (stack) => finishedOrder(stack, { paymentToken: 'tok_declined' }) },
];
