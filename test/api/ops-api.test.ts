import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Messages } from '../../src/domain/messages';
import { backendRecords, call, clearFaults, injectFault, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { keys } from '../../src/api/visibility';
import { CLIENT_ID, OPERATOR_KEY, startStack, type Stack, stuckUndoLog, afterPivotLog } from '../support/stack';
import { startReceiver } from '../support/webhook';

let stack: Stack;
let alerts: Awaited<ReturnType<typeof startReceiver>>;
const ALERT_SECRET = 'ops-test-alert-secret-0001';
/** The engine's side of CONTRACTS.md item 1; the action tests run once the workflows take the update. */
const workflowsTakeActions = 'operatorActionUpdate' in Messages;

before(async () => {
  alerts = await startReceiver(ALERT_SECRET);
  stack = await startStack({
    env: { SAGAWAY_LOCAL_STEPS: 'false', SAGAWAY_ALERT_WEBHOOK_URL: alerts.url, SAGAWAY_ALERT_WEBHOOK_SECRET: ALERT_SECRET },
    tuning: { stuckAfterAttempts: 2 },
    // The tests refuse voids (409: an undo STUCK at once) and commits after the pivot, for the operator routes.
    expectErrorLogs: [stuckUndoLog('authorizePayment', 'payments: injected 409 for void'), afterPivotLog('orderCheckout', 'commitInventory')],
  });
});

after(async () => {
  await stack?.stop();
  await alerts?.close();
});

afterEach(async () => {
  for (const service of ['inventory', 'payments', 'shipping']) await clearFaults(stack.backendsUrl, service);
});

const ops = (method: string, path: string, body?: unknown, key: string | null = OPERATOR_KEY) => call(stack.apiUrl, method, path, { body, key });

/** An order whose payment void keeps being refused, so its compensation is STUCK. */
async function stuckOrder(customerId: string): Promise<string> {
  await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 409, count: 1_000 });
  await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
  const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ customerId }) });
  assert.equal(started.status, 202);
  await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.status === 'STUCK'));
  return started.body.id;
}

/** Ends a stuck saga the way an operator would: the void was done by hand. */
async function resolved(id: string): Promise<void> {
  await clearFaults(stack.backendsUrl, 'payments');
  const answer = await ops('POST', `/v1/ops/sagas/${id}/steps/authorizePayment/resolve`, { reason: 'voided by hand' });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPENSATED', 20_000);
}

async function listed(query: string, until: (items: any[]) => boolean, timeoutMs = 15_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ops('GET', `/v1/ops/sagas?${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    if (until(answer.body.items) || Date.now() > deadline) return answer.body.items;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('operator routes are closed to clients', () => {
  it('answers a client key 403, no key or a wrong key 401, and is not in the public OpenAPI document', async () => {
    for (const [key, status] of [['test-client-key-0001', 403], [null, 401], ['not-an-operator-key-at-all', 401]] as const) {
      const list = await ops('GET', '/v1/ops/sagas?stuck=true', undefined, key);
      assert.equal(list.status, status, `key ${key}`);
      const retry = await ops('POST', '/v1/ops/sagas/saga-x/steps/authorizePayment/retry', { reason: 'r' }, key);
      assert.equal(retry.status, status);
    }
    const openapi = await call(stack.apiUrl, 'GET', '/openapi.json');
    assert.equal(Object.keys(openapi.body.paths).some((p) => p.includes('/ops/')), false, 'not in the public OpenAPI document');
  });

  it('an operator action needs a reason and a known saga', async () => {
    assert.equal((await ops('POST', '/v1/ops/sagas/saga-x/steps/authorizePayment/resolve', {})).status, 400);
    assert.equal((await ops('POST', '/v1/ops/sagas/saga-x/steps/authorizePayment/resolve', { reason: '   ' })).status, 400);
    const unknown = await ops('POST', '/v1/ops/sagas/saga-nobody-has-this/steps/authorizePayment/resolve', { reason: 'fixed by hand' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.type, /saga-not-found/);
  });
});

describe('GET /v1/ops/sagas?stuck=true', () => {
  it('lists a stuck saga of any client with its step, last error and attempts, and filters by business key', async () => {
    const id = await stuckOrder('c-stuck-1');
    const items = await listed('stuck=true', (all) => all.some((i) => i.id === id));
    const item = items.find((i) => i.id === id);
    assert.ok(item, 'the stuck saga is listed');
    assert.equal(item.status, 'COMPENSATING');
    assert.equal(item.step, 'authorizePayment');
    assert.equal(item.stepStatus, 'STUCK');
    assert.equal(item.client, 'test');
    assert.deepEqual(item.keys, { customer: 'c-stuck-1' });
    assert.match(item.lastError, /409/);
    assert.ok(item.attempts >= 1, 'a refusal is STUCK at its first attempt');
    assert.equal(item.workflowTask, null, 'its workflow task is not said to fail');
    assert.deepEqual((await listed('stuck=true&customer=c-stuck-1', (all) => all.length > 0)).map((i) => i.id), [id]);
    assert.deepEqual(await listed('stuck=true&customer=c-nobody', () => true), []);
    assert.equal((await ops('GET', '/v1/ops/sagas?customer=%22%20OR%201%3D1')).status, 400, 'filter values cannot reach the query');
    if (workflowsTakeActions) {
      await resolved(id);
      assert.equal((await listed('stuck=true&customer=c-stuck-1', (all) => all.length === 0)).length, 0, 'gone once resolved');
    }
  });
});

describe('GET /v1/ops/sagas?stuck=true: a workflow task that keeps failing', () => {
  it('lists the saga with the attempts of its task and why it fails, though no step of its view is STUCK', async () => {
    // As the API starts a saga (its search attributes), with an input its code cannot read: every workflow
    // task fails, as after a deploy that breaks determinism. Its view never shows it.
    const id = `ops-task-failing-${Date.now()}`;
    const handle = await stack.client.workflow.start('orderCheckout', {
      taskQueue: stack.config.taskQueue,
      workflowId: id,
      args: [null],
      typedSearchAttributes: [
        { key: keys.type, value: 'order' },
        { key: keys.status, value: 'RUNNING' },
        { key: keys.client, value: CLIENT_ID },
      ],
    });
    try {
      // Past the attempts bound (2 here): the SDK reports the first failure, later attempts time out.
      const items = await listed('stuck=true', (all) => all.some((i) => i.id === id), 90_000);
      const item = items.find((i) => i.id === id);
      assert.ok(item, 'the saga whose task fails is listed');
      assert.equal(item.status, 'RUNNING');
      assert.ok(item.workflowTask.attempts > 2, JSON.stringify(item.workflowTask));
      assert.match(item.workflowTask.error, /null|undefined/, 'says why the task fails');
    } finally {
      await handle.terminate('the test is done with it');
    }
  });
});

describe('operator actions', { skip: !workflowsTakeActions && 'the workflows do not take operatorAction yet' }, () => {
  it('resolve marks a stuck undo COMPENSATED, the saga ends, and the audit shows who and why', async () => {
    const id = await stuckOrder('c-resolve-1');
    const resolved = await ops('POST', `/v1/ops/sagas/${id}/steps/authorizePayment/resolve`, { reason: 'voided by hand in the PSP console' });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    const done = await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPENSATED', 20_000);
    assert.equal(done.steps.find((s: any) => s.name === 'authorizePayment').status, 'COMPENSATED');
    assert.equal(done.audit.length, 1);
    assert.deepEqual({ ...done.audit[0], at: undefined }, { at: undefined, operator: 'ops', action: 'resolve', step: 'authorizePayment', reason: 'voided by hand in the PSP console' });
    const again = await ops('POST', `/v1/ops/sagas/${id}/steps/authorizePayment/resolve`, { reason: 'twice' });
    assert.equal(again.status, 409);
  });

  it('retry tries a stuck undo now, and it succeeds once the backend is fixed', async () => {
    const id = await stuckOrder('c-retry-1');
    await clearFaults(stack.backendsUrl, 'payments');
    const retried = await ops('POST', `/v1/ops/sagas/${id}/steps/authorizePayment/retry`, { reason: 'PSP fixed' });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    const done = await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPENSATED', 20_000);
    assert.deepEqual((await backendRecords(stack.backendsUrl, 'payments', done.id)).map((r) => r.status), ['VOIDED']);
    assert.deepEqual(done.audit.map((a: any) => [a.operator, a.action, a.step, a.reason]), [['ops', 'retry', 'authorizePayment', 'PSP fixed']]);
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    assert.ok(history.events!.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'operatorAction'), 'the action is an update in the history');
  });

  it('refuses an unknown step with 404 and a step that is not stuck with 409', async () => {
    const id = await stuckOrder('c-refuse-1');
    assert.equal((await ops('POST', `/v1/ops/sagas/${id}/steps/noSuchStep/retry`, { reason: 'r' })).status, 404);
    assert.equal((await ops('POST', `/v1/ops/sagas/${id}/steps/reserveInventory/resolve`, { reason: 'r' })).status, 409);
    const giveBack = await ops('POST', `/v1/ops/sagas/${id}/steps/authorizePayment/give-back`, { reason: 'r' });
    assert.equal(giveBack.status, 409, 'give-back is only for a unit\'s door');
    assert.match(JSON.stringify(giveBack.body), /only for a unit's door/);
    await resolved(id);
  });
});

describe('alerts', { skip: !workflowsTakeActions && 'the workflows do not call sendAlert yet' }, () => {
  it('a stuck saga sends one signed STUCK alert', async () => {
    const id = await stuckOrder('c-alert-1');
    const deadline = Date.now() + 15_000;
    while (!alerts.received.some((a) => a.body.sagaId === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const mine = alerts.received.filter((a) => a.body.sagaId === id);
    assert.equal(mine.length, 1, 'once per state');
    assert.equal(mine[0]!.signatureValid, true);
    assert.deepEqual({ ...mine[0]!.body, error: null }, { sagaId: id, sagaType: 'order', kind: 'STUCK', step: 'authorizePayment', error: null, source: 'sagaway' });
    await resolved(id);
  });
});

describe('operator actions after the pivot', { skip: !workflowsTakeActions && 'the workflows do not take operatorAction yet' }, () => {
  /** An order whose inventory commit, after the payment was captured, is refused for good. */
  async function failedAfterPivot(customerId: string): Promise<string> {
    await injectFault(stack.backendsUrl, 'inventory', { op: 'commit', mode: 'error', status: 422, count: 1_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ customerId }) });
    await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.name === 'commitInventory' && s.status === 'STUCK'));
    return started.body.id;
  }

  it('retry runs the failed step again once the backend is fixed, and the saga completes', async () => {
    const id = await failedAfterPivot('c-pivot-1');
    const items = await listed('stuck=true&customer=c-pivot-1', (all) => all.length > 0);
    assert.deepEqual(items.map((i) => [i.step, i.stepStatus, i.status]), [['commitInventory', 'STUCK', 'RUNNING']]);
    await clearFaults(stack.backendsUrl, 'inventory');
    const retried = await ops('POST', `/v1/ops/sagas/${id}/steps/commitInventory/retry`, { reason: 'inventory fixed' });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    const done = await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED', 20_000);
    assert.equal(done.steps.find((s: any) => s.name === 'commitInventory').status, 'SUCCEEDED');
    assert.deepEqual(done.audit.map((a: any) => a.action), ['retry']);
  });

  it('resolve marks the failed step SUCCEEDED (done by hand) and the saga goes on; a step that did not fail is a 409', async () => {
    const id = await failedAfterPivot('c-pivot-2');
    assert.equal((await ops('POST', `/v1/ops/sagas/${id}/steps/capturePayment/retry`, { reason: 'r' })).status, 409);
    const resolvedAnswer = await ops('POST', `/v1/ops/sagas/${id}/steps/commitInventory/resolve`, { reason: 'committed by hand' });
    assert.equal(resolvedAnswer.status, 200, JSON.stringify(resolvedAnswer.body));
    const done = await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED', 20_000);
    assert.equal(done.steps.find((s: any) => s.name === 'commitInventory').status, 'SUCCEEDED');
    assert.deepEqual(done.audit.map((a: any) => [a.action, a.step, a.reason]), [['resolve', 'commitInventory', 'committed by hand']]);
    await clearFaults(stack.backendsUrl, 'inventory');
  });
});
