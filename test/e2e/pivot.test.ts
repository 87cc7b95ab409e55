import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { operatorActionUpdate } from '../../src/workflows';
import { backendRecords, call, clearFaults, injectFault, sagaKey, unfiredFaults, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { afterPivotLog, startStack, type Stack, stuckUndoLog } from '../support/stack';

/** The order saga's point of no return, with a deadline short enough to pass while the capture is in flight. */
let stack: Stack;

before(async () => {
  // Steps retried 20 ms after a failure, doubling: eight tries of the capture take 2.5 s, not 25.
  stack = await startStack({ env: { SAGAWAY_ORDER_DEADLINE_SECONDS: '6' }, tuning: { stuckAfterAttempts: 3, stepRetryInitialMs: 20 }, expectErrorLogs: [stuckUndoLog('authorizePayment', 'payments: injected 409 for void'), afterPivotLog('orderCheckout', 'capturePayment')] });
  // A first order warms the worker up, so the deadline is not spent on a cold start.
  await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), prefer: 'wait=30' });
});

after(async () => {
  await stack?.stop();
});

const refusedWith = (type: string) => (err: any) => err.cause?.type === type;

/** Starts an order whose faults are scoped to its saga, so the tests that use this run side by side. */
async function orderWith(faults: Array<[service: string, fault: Record<string, unknown>]>, prefer?: string) {
  const { idempotencyKey, sagaId } = sagaKey();
  for (const [service, fault] of faults) await injectFault(stack.backendsUrl, service, { ...fault, sagaId });
  return call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), prefer, idempotencyKey });
}

async function statuses(sagaId: string, service: string): Promise<string[]> {
  return (await backendRecords(stack.backendsUrl, service, sagaId)).map((r) => `${r.kind}:${r.status}`);
}

describe('the pivot is a point of no return from the moment it is sent', { concurrency: true }, () => {
  it('a capture whose answer is lost, then 503s, ends COMPLETED with the stock committed', async () => {
    const started = await orderWith([
      ['payments', { op: 'capture', mode: 'drop', count: 1 }],
      ['payments', { op: 'capture', mode: 'error', status: 503, count: 6 }],
    ]);
    const view = await waitForView(stack.apiUrl, started.body.id, (v) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(v.status), 60_000);
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.deepEqual(await unfiredFaults(stack.backendsUrl, ['payments'], view.id), [], 'the lost answer and the 503s happened');
    assert.deepEqual(await statuses(view.id, 'payments'), ['authorization:CAPTURED']);
    assert.deepEqual(await statuses(view.id, 'inventory'), ['reservation:COMMITTED']);
    assert.deepEqual(await statuses(view.id, 'shipping'), ['shipment:CREATED']);
  });

  it('a cancel during a slow capture is a 409, the deadline passes, and the order completes', async () => {
    // Four tries that hang past the client's 2 s timeout, then one that lands: the capture is in flight for 10 s.
    const started = await orderWith([['payments', { op: 'capture', mode: 'hang', latencyMs: 2_500, count: 4 }]]);
    await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.name === 'capturePayment'), 20_000);
    const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${started.body.id}/cancel`, { body: { reason: 'too slow' } });
    assert.equal(cancel.status, 409, JSON.stringify(cancel.body));
    const view = await waitForView(stack.apiUrl, started.body.id, (v) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(v.status), 60_000);
    assert.equal(view.status, 'COMPLETED', 'the 6 s deadline passed during the capture and did not undo it');
    assert.ok(Date.parse(view.updatedAt) - Date.parse(view.createdAt) > 6_000, 'the capture outlasted the deadline');
    assert.deepEqual(await statuses(view.id, 'payments'), ['authorization:CAPTURED']);
    assert.deepEqual(await statuses(view.id, 'inventory'), ['reservation:COMMITTED']);
  });

  it('a definite refusal of the capture compensates once the backend confirms nothing was captured', async () => {
    // Refused more than once: a loaded machine's client may give up on the first refusal (an unknown answer).
    const answer = await orderWith([['payments', { op: 'capture', mode: 'error', status: 402, count: 5 }]], 'wait=30');
    assert.equal(answer.body.status, 'COMPENSATED');
    assert.equal(answer.body.error.step, 'capturePayment');
    assert.deepEqual(await statuses(answer.body.id, 'payments'), ['authorization:VOIDED']);
    assert.deepEqual(await statuses(answer.body.id, 'inventory'), ['reservation:RELEASED']);
  });
});

describe('a refused undo', () => {
  afterEach(async () => {
    for (const service of ['inventory', 'payments', 'shipping']) await clearFaults(stack.backendsUrl, service);
  });

  it('is STUCK at once with the backend\'s answer, does not loop, and is retried with a fresh key after an operator\'s decision', async () => {
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 5 });
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 409, count: 1 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const stuck = await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.status === 'STUCK'), 20_000);
    const step = stuck.steps.find((s: any) => s.name === 'authorizePayment');
    assert.equal(step.status, 'STUCK');
    assert.equal(step.compensation.attempts, 1, 'stuck at the first refusal');
    assert.match(step.compensation.lastError, /injected 409/);
    // A loop would have sent the void again by now, and the fault (one refusal) would let it through.
    const handle = stack.client.workflow.getHandle(started.body.id);
    const later = await handle.query<any>('sagaState');
    assert.equal(later.steps.find((s: any) => s.name === 'authorizePayment').status, 'STUCK');
    assert.deepEqual(await statuses(started.body.id, 'payments'), ['authorization:AUTHORIZED']);
    await assert.rejects(
      handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'reserveInventory', operator: 'ops', reason: 'x' }] }),
      refusedWith('ActionNotAllowed'),
    );
    await assert.rejects(handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'nope', operator: 'ops', reason: 'x' }] }), refusedWith('UnknownStep'));
    const result = await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'authorizePayment', operator: 'ops', reason: 'processor fixed' }] });
    assert.equal(result.step.name, 'authorizePayment');
    const done = await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPENSATED', 20_000);
    assert.deepEqual(await statuses(done.id, 'payments'), ['authorization:VOIDED']);
    const final = await handle.query<any>('sagaState');
    assert.deepEqual(final.audit.map((a: any) => `${a.operator}:${a.action}:${a.step}`), ['ops:retry:authorizePayment']);
  });
});
