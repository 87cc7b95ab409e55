import { addKiosk, bikeBody, senseBike, VISITOR } from './bikes';
import { createSection, register, stageOf } from './classes';
import { operatorActionUpdate } from '../../src/workflows';
import { call, clearFaults, injectFault, waitForView } from './http';
import { orderBody } from './orders';
import type { Stack } from './stack';
import { confirmPrice, tripAwaitingConfirmation, tripBody } from './trips';

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

async function ended(stack: Stack, sagaId: string) {
  const view = await waitForView(stack.apiUrl, sagaId, (v) => v.status === 'COMPLETED' || v.status === 'COMPENSATED', 60_000);
  return { sagaId, outcome: `${view.status}${view.error ? ` (${view.error.type})` : ''}` };
}

async function waitlistedThenGranted(stack: Stack) {
  const sectionId = await createSection(stack.backendsUrl, 1, 2_000, 10_000);
  const first = await register(stack.apiUrl, 's-1004', sectionId);
  const second = await register(stack.apiUrl, 's-1001', sectionId);
  await stageOf(stack.apiUrl, first, 'ENROLLED');
  await stageOf(stack.apiUrl, second, 'WAITLISTED');
  await call(stack.apiUrl, 'POST', `/v1/sagas/${first}/cancel`, { body: { reason: 'dropped' } });
  return ended(stack, second);
}

async function allocatorLifecycle(stack: Stack) {
  const sectionId = await createSection(stack.backendsUrl, 1, 1_500, 8_000);
  const [first, second, third] = [await register(stack.apiUrl, 's-1004', sectionId), await register(stack.apiUrl, 's-1001', sectionId), await register(stack.apiUrl, 's-1003', sectionId)];
  await stageOf(stack.apiUrl, first!, 'ENROLLED');
  await call(stack.apiUrl, 'POST', `/v1/sagas/${first}/cancel`, { body: { reason: 'dropped' } });
  await stageOf(stack.apiUrl, second!, 'ENROLLED');
  await ended(stack, third!);
  return { sagaId: `allocator-${sectionId}`, outcome: 'collected, allocated, released to the waitlist, window closed' };
}

const TRANSFER_BENEFICIARIES = {
  yen: { name: 'Sato Hanako', accountNumber: '1234567', bic: 'MHCBJPJT', country: 'JP', address: { line: '1-1 Marunouchi', city: 'Tokyo' }, currency: 'JPY' },
  closed: { name: 'Old Account Ltd', iban: 'GB29NWBK60161331926819', bic: 'NWBKGB2L', country: 'GB', address: { line: '1 Lombard St', city: 'London' }, currency: 'GBP' },
  returns: { name: 'Javier Ruiz', iban: 'ES9121000418450200051332', bic: 'CAIXESBB', country: 'ES', address: { line: 'Gran Via 1', city: 'Madrid' }, currency: 'EUR' },
};

async function finishedTransfer(stack: Stack, beneficiary: Record<string, unknown>) {
  const body = { debtor: { iban: 'DE89370400440532013000', currency: 'EUR' }, beneficiary, amount: { value: '1000.00', currency: 'EUR' } };
  const started = await call(stack.apiUrl, 'POST', '/v1/transfers', { body, prefer: 'wait=30' });
  return ended(stack, started.body.id as string);
}

async function returnedTransfer(stack: Stack) {
  const transfer = await finishedTransfer(stack, TRANSFER_BENEFICIARIES.returns);
  return ended(stack, `${transfer.sagaId}-return`);
}

async function finishedTrip(stack: Stack, overrides: Record<string, unknown>) {
  const answer = await call(stack.apiUrl, 'POST', '/v1/trips', { body: tripBody(overrides), prefer: 'wait=30' });
  if (answer.status !== 200) throw new Error(`trip did not finish: ${JSON.stringify(answer.body)}`);
  return { sagaId: answer.body.id as string, outcome: `${answer.body.status}${answer.body.error ? ` (${answer.body.error.type})` : ''}` };
}

async function tripPriceAccepted(stack: Stack) {
  const waiting = await tripAwaitingConfirmation(stack.apiUrl);
  const answer = await confirmPrice(stack.apiUrl, waiting.id, true);
  return { sagaId: waiting.id as string, outcome: `${answer.body.status}, price ${answer.body.priceConfirmation}` };
}

/** A capture that lands with its answer lost, then 503s: retried until it answers, the order completes. */
async function lostCapture(stack: Stack) {
  await injectFault(stack.backendsUrl, 'payments', { op: 'capture', mode: 'drop', count: 1 });
  await injectFault(stack.backendsUrl, 'payments', { op: 'capture', mode: 'error', status: 503, count: 2 });
  try {
    return await finishedOrder(stack, {});
  } finally {
    await clearFaults(stack.backendsUrl, 'payments');
  }
}

/** A void refused with 409 is STUCK at once; an operator's retry sends it again under a fresh key. */
async function refusedVoidRetried(stack: Stack) {
  await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1 });
  await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 409, count: 1 });
  const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
  await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.status === 'STUCK'), 30_000);
  const action = { action: 'retry' as const, step: 'authorizePayment', operator: 'ops', reason: 'processor fixed' };
  await stack.client.workflow.getHandle(started.body.id).executeUpdate(operatorActionUpdate, { args: [action] });
  return ended(stack, started.body.id);
}

/** The runs whose histories are committed and replayed on every test run. */
export const HISTORY_SCENARIOS: HistoryScenario[] = [
  { name: 'order-completed', run: (stack) => finishedOrder(stack, {}) },
  { name: 'order-compensated', run: (stack) => finishedOrder(stack, { paymentToken: 'tok_declined' }) },
  { name: 'bike-checkout-completed', run: (stack) => bikeCheckout(stack, 2) },
  { name: 'bike-checkout-compensated', run: (stack) => bikeCheckout(stack, 1) },
  {
    name: 'class-registration-completed',
    run: async (stack) => ended(stack, await register(stack.apiUrl, 's-1004', await createSection(stack.backendsUrl, 1, 0, 5_000))),
  },
  { name: 'class-registration-waitlisted-completed', run: waitlistedThenGranted },
  { name: 'seat-allocator', run: allocatorLifecycle },
  { name: 'order-lost-capture-completed', run: lostCapture },
  { name: 'order-refused-void-operator-retry', run: refusedVoidRetried },
  {
    name: 'class-registration-compensated',
    run: async (stack) => ended(stack, await register(stack.apiUrl, 's-1099', await createSection(stack.backendsUrl, 1, 0, 30_000))),
  },
  { name: 'trip-completed', run: (stack) => finishedTrip(stack, {}) },
  { name: 'trip-compensated', run: (stack) => finishedTrip(stack, { hotel: { hotelCode: 'PAR-OPERA', checkIn: '2027-05-01', nights: 2, rooms: 1 } }) },
  { name: 'trip-price-accepted', run: tripPriceAccepted },
  { name: 'transfer-completed', run: (stack) => finishedTransfer(stack, TRANSFER_BENEFICIARIES.yen) },
  { name: 'transfer-network-rejected', run: (stack) => finishedTransfer(stack, TRANSFER_BENEFICIARIES.closed) },
  { name: 'transfer-return-completed', run: returnedTransfer },
];
