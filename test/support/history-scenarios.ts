import { addKiosk, bikeBody, senseBike, VISITOR } from './bikes';
import { allocateNow, createSection, createSectionToAllocate, register, stageOf } from './classes';
import { allocatorId, claimId, type AllocatorState } from '../../src/domain/allocation';
import type { OperatorAction } from '../../src/domain/operator';
import { allocationQuery, operatorActionUpdate, seatAllocatorV2 } from '../../src/workflows';
import { fileRequestSignal } from '../../src/workflows/messages';
import { call, clearFaults, injectFault, sagaKey, waitFor, waitForView } from './http';
import { orderBody } from './orders';
import { OPERATOR_KEY, type Stack, type StackOptions } from './stack';
import { returnWhilePosting } from './transfers';
import { confirmPrice, steerSupplier, tripAwaitingConfirmation, tripBody } from './trips';

/** The stack most scenarios share; a scenario with `env` runs on a stack of its own kind (see STACKS). */
export type StackKind = 'shared' | 'short';

export interface HistoryScenario {
  name: string;
  stack?: StackKind;
  /** `runId`: one run of a workflow that continued as new (the latest run otherwise). */
  run(stack: Stack): Promise<{ sagaId: string; outcome: string; runId?: string }>;
}

export const SECOND_OFFICER_KEY = 'test-operator-key-0004';

/**
 * The environment of each stack kind. `short`: an order deadline that passes, the capture local, and an
 * allocator that continues as new after 20 events.
 */
export const STACKS: Record<StackKind, StackOptions> = {
  shared: {
    // The stuck steps the scenarios provoke on purpose (a refused void, a commit that keeps failing, an unreadable capture).
    expectErrorLogs: [/compensation stuck; waiting for an operator/, /STUCK, still retried, open to an operator/],
    env: {
      SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '2',
      SAGAWAY_VISITOR_MAX_BIKES: '2',
      SAGAWAY_OPERATOR_KEYS: `alice:${OPERATOR_KEY},bob:${SECOND_OFFICER_KEY}`,
      SAGAWAY_STUCK_AFTER_ATTEMPTS: '3',
      SAGAWAY_STEP_RETRY_INITIAL_MS: '20',
    },
  },
  short: { env: { SAGAWAY_ORDER_DEADLINE_SECONDS: '4', SAGAWAY_LOCAL_PIVOT: 'true', SAGAWAY_ALLOCATOR_MAX_HISTORY: '20' } },
};

async function finishedOrder(stack: Stack, overrides: Record<string, unknown>) {
  return endedFrom(stack, await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(overrides), prefer: 'wait=30' }), 'order');
}

/** The saga a start answered, once it has ended: on a loaded machine the wait can run out just before its final audit write. */
async function endedFrom(stack: Stack, answer: { status: number; body: any }, what: string) {
  if (answer.status === 202) return ended(stack, answer.body.id as string);
  if (answer.status !== 200) throw new Error(`${what} not started: ${JSON.stringify(answer.body)}`);
  return { sagaId: answer.body.id as string, outcome: `${answer.body.status}${answer.body.error ? ` (${answer.body.error.type})` : ''}` };
}

async function bikeCheckout(stack: Stack, sense: number) {
  await addKiosk(stack.backendsUrl, 'kiosk-history', 10);
  const started = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-history', bikes: 2, credentials: VISITOR, paymentToken: 'tok_visa' }) });
  for (let n = 1; n <= sense; n += 1) await senseBike(stack.apiUrl, started.body.id, n);
  return ended(stack, started.body.id as string);
}

async function ended(stack: Stack, sagaId: string) {
  const view = await waitForView(stack.apiUrl, sagaId, (v) => v.status === 'COMPLETED' || v.status === 'COMPENSATED', 60_000);
  const partial = view.result?.partial ? `, partial (${view.result.stopped?.type})` : '';
  return { sagaId, outcome: `${view.status}${view.error ? ` (${view.error.type})` : ''}${partial}` };
}

/** Starts a saga whose faults are scoped to it (its X-Saga-Id), so no other scenario meets them. */
async function startWith(stack: Stack, path: string, body: unknown, faults: Array<[service: string, fault: Record<string, unknown>]>): Promise<string> {
  const { idempotencyKey, sagaId } = sagaKey();
  for (const [service, fault] of faults) await injectFault(stack.backendsUrl, service, { ...fault, sagaId });
  const answer = await call(stack.apiUrl, 'POST', path, { body, idempotencyKey });
  if (answer.status >= 300) throw new Error(`${path} refused: ${JSON.stringify(answer.body)}`);
  return answer.body.id as string;
}

const stepIs = (name: string, status: string) => (v: Record<string, any>) => v.steps.some((s: any) => s.name === name && s.status === status);

async function operator(stack: Stack, sagaId: string, action: OperatorAction['action'], step: string) {
  const request: OperatorAction = { action, step, operator: 'alice', reason: `${action}: checked with the backend's owner` };
  await stack.client.workflow.getHandle(sagaId).executeUpdate(operatorActionUpdate, { args: [request] });
}

/** A cancel while the authorization is slow (before the pivot): everything held is given back. */
async function cancelledOrder(stack: Stack) {
  const id = await startWith(stack, '/v1/orders', orderBody(), [['payments', { op: 'authorize', mode: 'latency', latencyMs: 1_500, count: 1 }]]);
  await waitForView(stack.apiUrl, id, (v) => v.steps.some((s: any) => s.name === 'authorizePayment'));
  const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${id}/cancel`, { body: { reason: 'changed my mind' } });
  if (cancel.status >= 300) throw new Error(`cancel refused: ${JSON.stringify(cancel.body)}`);
  return ended(stack, id);
}

/** An authorization that never answers: the order's deadline passes before the pivot, and it compensates. */
async function deadlineOrder(stack: Stack) {
  const id = await startWith(stack, '/v1/orders', orderBody(), [['payments', { op: 'authorize', mode: 'hang', count: 20 }]]);
  return ended(stack, id);
}

/** A step after the pivot that keeps failing is STUCK; an operator resolves it by hand and the order completes. */
async function stuckAfterPivotResolved(stack: Stack) {
  const id = await startWith(stack, '/v1/orders', orderBody(), [['inventory', { op: 'commit', mode: 'error', status: 503 }]]);
  await waitForView(stack.apiUrl, id, stepIs('commitInventory', 'STUCK'), 60_000);
  await operator(stack, id, 'resolve', 'commitInventory');
  try {
    return await ended(stack, id);
  } finally {
    await clearFaults(stack.backendsUrl, 'inventory');
  }
}

/** A door the kiosk never answers (503): STUCK past the attempts bound; an operator finds the bay shut and gives the bike back. */
async function doorGivenBack(stack: Stack) {
  await addKiosk(stack.backendsUrl, 'kiosk-history-door', 10);
  const id = await startWith(stack, '/v1/bike-checkouts', bikeBody({ kioskId: 'kiosk-history-door', bikes: 1, credentials: VISITOR, paymentToken: 'tok_visa' }), [['kiosk', { op: 'open-door', mode: 'error', status: 503 }]]);
  await senseBike(stack.apiUrl, id, 1);
  await waitForView(stack.apiUrl, id, stepIs('openDoor#1', 'STUCK'), 60_000);
  await clearFaults(stack.backendsUrl, 'kiosk');
  await operator(stack, id, 'giveBack', 'openDoor#1');
  return ended(stack, id);
}

/** A capture answered unreadably and not applied, past the attempts bound: STUCK at the pivot; an operator resends it. */
async function unreadablePivotRetried(stack: Stack) {
  const id = await startWith(stack, '/v1/orders', orderBody(), [['payments', { op: 'capture', mode: 'malformed', applied: false }]]);
  await waitForView(stack.apiUrl, id, stepIs('capturePayment', 'STUCK'), 60_000);
  await clearFaults(stack.backendsUrl, 'payments');
  await operator(stack, id, 'retry', 'capturePayment');
  return ended(stack, id);
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

/** A section's allocation moved to now by a registrar: the two filed requests are seated by priority. */
async function allocatorMoved(stack: Stack) {
  const sectionId = await createSectionToAllocate(stack.backendsUrl, 1, 15_000);
  const first = await register(stack.apiUrl, 's-1004', sectionId);
  const second = await register(stack.apiUrl, 's-1001', sectionId);
  const filed = async () => {
    const view = await stack.client.workflow.getHandle(allocatorId(sectionId)).query(allocationQuery).catch(() => null);
    return view && view.granted.length + view.waitlist.length >= 2;
  };
  await waitFor('both requests filed', filed);
  await allocateNow(stack.client, sectionId);
  await stageOf(stack.apiUrl, first, 'ENROLLED');
  await stageOf(stack.apiUrl, second, 'WAITLISTED');
  return { sagaId: allocatorId(sectionId), outcome: 'collected, allocation moved to now, seated by priority' };
}

/** An allocator whose history passes its bound (20 events here) continues as new: its first run is recorded. */
async function allocatorContinuedAsNew(stack: Stack) {
  const sectionId = await createSection(stack.backendsUrl, 2, 0, 20_000);
  const sagas: string[] = [];
  for (const student of ['s-1001', 's-1002', 's-1003', 's-1004', 's-1005']) sagas.push(await register(stack.apiUrl, student, sectionId));
  for (const saga of sagas) await waitForView(stack.apiUrl, saga, (v) => ['ENROLLED', 'WAITLISTED'].includes(v.stage) || v.status !== 'RUNNING');
  const id = allocatorId(sectionId);
  const first = await waitFor('the allocator to continue as new', async () => {
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${id}'` })) if (run.status.name === 'CONTINUED_AS_NEW') return run.runId;
    return undefined;
  });
  return { sagaId: id, runId: first, outcome: 'five requests filed and answered, then continued as new' };
}

/**
 * An allocator whose operations fill ledger pages (five to a page here, a thousand in production): it
 * writes them to allocatorLedger children as it continues as new; the history recorded is the first page's.
 */
async function allocatorLedgerPage(stack: Stack) {
  const sectionId = `ledger-${Date.now().toString(36)}`;
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const state: AllocatorState = { section: { sectionId, capacity: 2, allocationAt: inHours(1), windowClosesAt: inHours(2) }, granted: [], queue: [], allocated: false, closed: false, maxHistory: 20, generation: 0, pageOps: 5 };
  const handle = await stack.client.workflow.start(seatAllocatorV2, { args: [state], taskQueue: stack.config.taskQueue, workflowId: allocatorId(sectionId) });
  for (let n = 1; n <= 30; n += 1) {
    await handle.signal(fileRequestSignal, { sagaId: `saga-ledger-${n}`, studentId: `s-${2000 + n}`, registeredAt: '2026-01-01T00:00:00.000Z', submittedAt: Date.now() });
  }
  const page = `${allocatorId(sectionId)}-page-`;
  const pageId = await waitFor('a ledger page', async () => {
    for await (const run of stack.client.workflow.list({ query: `WorkflowType = 'allocatorLedger'` })) if (run.workflowId.startsWith(page)) return run.workflowId;
    return undefined;
  });
  return { sagaId: pageId, outcome: 'a page of five operations, written by its allocator as it continued as new' };
}

/**
 * An allocator run that read its ledger pages back, a window at a time (patch allocator-page-window), and
 * continued as new in its turn.
 */
async function allocatorPagesReadBack(stack: Stack) {
  const sectionId = `pages-${Date.now().toString(36)}`;
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const state: AllocatorState = { section: { sectionId, capacity: 2, allocationAt: inHours(1), windowClosesAt: inHours(2) }, granted: [], queue: [], allocated: false, closed: false, maxHistory: 20, generation: 0, pageOps: 2 };
  const handle = await stack.client.workflow.start(seatAllocatorV2, { args: [state], taskQueue: stack.config.taskQueue, workflowId: allocatorId(sectionId) });
  const readBack = async () => {
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      if (run.status.name === 'CONTINUED_AS_NEW' && run.runId !== handle.firstExecutionRunId) return run.runId;
    }
    return undefined;
  };
  const file = (n: number) => handle.signal(fileRequestSignal, { sagaId: `saga-pages-${n}`, studentId: `s-${3000 + n}`, registeredAt: '2026-01-01T00:00:00.000Z', submittedAt: Date.now() });
  for (let n = 1; n <= 30; n += 1) await file(n);
  // The first run takes them all (it writes pages between them); the next reads them back, then more filings end it.
  await waitFor('a second run', async () => (await handle.describe()).runId !== handle.firstExecutionRunId);
  await waitFor('its pages read back', async () => handle.query(allocationQuery).catch(() => undefined));
  for (let n = 31; n <= 130 && !(await readBack()); n += 1) await file(n);
  const runId = await waitFor('a run that read its pages back and continued as new', readBack);
  return { sagaId: handle.workflowId, runId, outcome: 'a run that read its ledger pages back, eight at a time, then continued as new' };
}

/**
 * An allocator run that continued as new while filings kept arriving, four at a time (patch
 * allocator-folds-inbox): what came in while it wrote its pages went into the tail it carried.
 */
async function allocatorStreamFolded(stack: Stack) {
  const sectionId = `stream-${Date.now().toString(36)}`;
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const state: AllocatorState = { section: { sectionId, capacity: 2, allocationAt: inHours(1), windowClosesAt: inHours(2) }, granted: [], queue: [], allocated: false, closed: false, maxHistory: 20, generation: 0, pageOps: 5 };
  const handle = await stack.client.workflow.start(seatAllocatorV2, { args: [state], taskQueue: stack.config.taskQueue, workflowId: allocatorId(sectionId) });
  let next = 1;
  const filer = async () => {
    for (let n = next++; n <= 120; n = next++) await handle.signal(fileRequestSignal, { sagaId: `saga-stream-${n}`, studentId: `s-${4000 + n}`, registeredAt: '2026-01-01T00:00:00.000Z', submittedAt: n });
  };
  await Promise.all([filer(), filer(), filer(), filer()]);
  const runId = await waitFor('a run that continued as new', async () => {
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) if (run.status.name === 'CONTINUED_AS_NEW' && run.runId === handle.firstExecutionRunId) return run.runId;
    return undefined;
  });
  return { sagaId: handle.workflowId, runId, outcome: 'a first run that continued as new while filings kept coming, four at a time' };
}

/** The claim of a completed registration: it lasts until the section's window closes. */
async function claimOfRegistration(stack: Stack) {
  const sectionId = await createSection(stack.backendsUrl, 1, 0, 4_000);
  await ended(stack, await register(stack.apiUrl, 's-1004', sectionId));
  const id = claimId(sectionId, 's-1004');
  await stack.client.workflow.getHandle(id).result();
  return { sagaId: id, outcome: 'held until the window closed' };
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

/** A potential sanctions match: two different officers approve it, and it settles. */
async function reviewedTransfer(stack: Stack) {
  const listed = { name: 'Viktor Sanctionov', iban: 'NL20INGB0001234567', bic: 'INGBNL2A', country: 'NL', address: { line: 'Damrak 1', city: 'Amsterdam' }, currency: 'EUR' };
  const body = { debtor: { iban: 'DE89370400440532013000', currency: 'EUR' }, beneficiary: listed, amount: { value: '1000.00', currency: 'EUR' } };
  const id = await startWith(stack, '/v1/transfers', body, []);
  await waitForView(stack.apiUrl, id, (v) => v.awaiting?.for === 'complianceReview');
  for (const key of [OPERATOR_KEY, SECOND_OFFICER_KEY]) {
    const answer = await call(stack.apiUrl, 'POST', `/v1/ops/transfers/${id}/review`, { key, body: { decision: 'approve', reason: 'another person (date of birth checked)' } });
    if (answer.status !== 200) throw new Error(`review refused: ${JSON.stringify(answer.body)}`);
  }
  return ended(stack, id);
}

async function returnedTransfer(stack: Stack) {
  const transfer = await finishedTransfer(stack, TRANSFER_BENEFICIARIES.returns);
  return ended(stack, `${transfer.sagaId}-return`);
}

/** A pacs.004 taken while the transfer still posts: the return waits for the transfer to complete, then credits. */
async function returnWaitedForTransfer(stack: Stack) {
  const { id, status } = await returnWhilePosting(stack);
  if (status !== 202) throw new Error(`the pacs.004 delivered while posting was answered ${status}`);
  return ended(stack, `${id}-return`);
}

async function finishedTrip(stack: Stack, overrides: Record<string, unknown>) {
  return endedFrom(stack, await call(stack.apiUrl, 'POST', '/v1/trips', { body: tripBody(overrides), prefer: 'wait=30' }), 'trip');
}

async function tripPriceAccepted(stack: Stack) {
  const waiting = await tripAwaitingConfirmation(stack.apiUrl);
  const answer = await confirmPrice(stack.apiUrl, waiting.id, true);
  return { sagaId: waiting.id as string, outcome: `${answer.body.status}, price ${answer.body.priceConfirmation}` };
}

/** The hotel hold lapses and is taken again 3% dearer, within the tolerance of the total the traveller accepted. */
async function tripReheld(stack: Stack) {
  const waiting = await tripAwaitingConfirmation(stack.apiUrl);
  await steerSupplier(stack.backendsUrl, 'hotels', '/price-moves', 'POST', { sagaId: waiting.id, percent: 3 });
  await steerSupplier(stack.backendsUrl, 'hotels', '/expire-holds', 'POST', { sagaId: waiting.id });
  await confirmPrice(stack.apiUrl, waiting.id, true);
  return ended(stack, waiting.id as string);
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
  { name: 'order-cancelled', run: cancelledOrder },
  { name: 'order-lost-capture-completed', run: lostCapture },
  { name: 'order-refused-void-operator-retry', run: refusedVoidRetried },
  { name: 'order-stuck-after-pivot-operator-resolve', run: stuckAfterPivotResolved },
  { name: 'order-unreadable-capture-operator-retry', run: unreadablePivotRetried },
  { name: 'bike-checkout-completed', run: (stack) => bikeCheckout(stack, 2) },
  { name: 'bike-checkout-partial', run: (stack) => bikeCheckout(stack, 1) },
  { name: 'bike-checkout-compensated', run: (stack) => bikeCheckout(stack, 0) },
  { name: 'bike-checkout-door-given-back', run: doorGivenBack },
  {
    name: 'class-registration-completed',
    run: async (stack) => ended(stack, await register(stack.apiUrl, 's-1004', await createSection(stack.backendsUrl, 1, 0, 5_000))),
  },
  { name: 'class-registration-waitlisted-completed', run: waitlistedThenGranted },
  {
    name: 'class-registration-compensated',
    run: async (stack) => ended(stack, await register(stack.apiUrl, 's-1099', await createSection(stack.backendsUrl, 1, 0, 30_000))),
  },
  { name: 'registration-claim', run: claimOfRegistration },
  { name: 'seat-allocator', run: allocatorLifecycle },
  { name: 'seat-allocator-moved', run: allocatorMoved },
  { name: 'trip-completed', run: (stack) => finishedTrip(stack, {}) },
  { name: 'trip-compensated', run: (stack) => finishedTrip(stack, { hotel: { hotelCode: 'PAR-OPERA', checkIn: '2027-05-01', nights: 2, rooms: 1 } }) },
  { name: 'trip-price-accepted', run: tripPriceAccepted },
  { name: 'trip-reheld', run: tripReheld },
  { name: 'transfer-completed', run: (stack) => finishedTransfer(stack, TRANSFER_BENEFICIARIES.yen) },
  { name: 'transfer-network-rejected', run: (stack) => finishedTransfer(stack, TRANSFER_BENEFICIARIES.closed) },
  { name: 'transfer-reviewed-completed', run: reviewedTransfer },
  { name: 'transfer-return-completed', run: returnedTransfer },
  { name: 'transfer-return-waited-completed', run: returnWaitedForTransfer },
  // On a stack of their own: a short order deadline, the capture local, a small allocator history bound.
  { name: 'seat-allocator-continued-as-new', stack: 'short', run: allocatorContinuedAsNew },
  { name: 'allocator-ledger-page', run: allocatorLedgerPage },
  { name: 'seat-allocator-pages-read-back', run: allocatorPagesReadBack },
  { name: 'seat-allocator-stream-folded', run: allocatorStreamFolded },
  { name: 'order-local-pivot-completed', stack: 'short', run: (stack) => finishedOrder(stack, {}) },
  { name: 'order-deadline-compensated', stack: 'short', run: deadlineOrder },
];
