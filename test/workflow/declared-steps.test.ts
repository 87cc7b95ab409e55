import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OrderActivities } from '../../src/activities/order-activities';
import { executeUpdateOnce } from '../../src/api/temporal-unavailable';
import { ApplicationFailure } from '@temporalio/activity';
import { operatorActionUpdate, orderCheckout } from '../../src/workflows';
import { declareSteps } from '../../src/workflows/steps';
import { logLines, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('declared steps', () => {
  it('gives every call, local or not, its step name in its key and in its log lines', async () => {
    const { activities, seen } = mockOrderActivities();
    const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: true, tuning: FAST_TUNING }], activities);
    const [view, sagaId, runId] = [await handle.result(), handle.workflowId, handle.firstExecutionRunId];
    assert.equal(view.status, 'COMPLETED');
    const local = ['priceOrder', 'quoteShipping', 'commitInventory', 'notifyCustomer'];
    for (const step of [...local, 'reserveInventory', 'authorizePayment', 'createShipment', 'capturePayment']) {
      const call = seen.find((c) => c.activity === step);
      assert.ok(call, `${step} was called`);
      assert.equal(call.step, step);
      assert.equal(call.key, `${sagaId}:${step}@${runId}`, `${step}'s key names the step and the run`);
      const logged = logLines.filter((l) => l.meta?.workflowId === sagaId && l.message === 'step done').map((l) => l.meta?.step);
      assert.ok(logged.includes(step), `a log line names ${step}: ${JSON.stringify(logged)}`);
    }
    const capture = seen.find((c) => c.activity === 'capturePayment')!;
    assert.deepEqual(capture.input, { reference: `${sagaId}:authorizePayment@${runId}` }, 'the engine passes the forward call\'s reference');
  });

  it('refuses a misspelled undo, probe or step at compile time', () => {
    const steps = declareSteps<OrderActivities>();
    // @ts-expect-error 'relaseInventory' is no activity
    steps({ reserveInventory: { undo: 'relaseInventory' } });
    // @ts-expect-error a forward step cannot undo: it does not take a reference
    steps({ reserveInventory: { undo: 'priceOrder' } });
    // @ts-expect-error 'lookupInventry' is no probe
    steps({ reserveInventory: { probe: 'lookupInventry' } });
    // @ts-expect-error 'reserveInventry' is no activity
    steps({ reserveInventry: {} });
    assert.ok(steps({ reserveInventory: { undo: 'releaseInventory', probe: 'lookupInventory' } }));
  });
});

describe('the engine at its edges, with mocked activities', { concurrency: true }, () => {
  const start = (activities: Parameters<WorkflowEnv['start']>[2]) =>
    env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], activities);

  it('takes a refused capture that the payments service shows as CAPTURED for a success', async () => {
    const { activities, seen } = mockOrderActivities({
      capturePayment: async () => {
        throw ApplicationFailure.nonRetryable('payments: authorization is CAPTURED, cannot become CAPTURED', 'BackendRejected');
      },
      lookupPayment: async () => ({ found: true, status: 'CAPTURED' }),
    });
    const view = await (await start(activities)).result();
    assert.equal(view.status, 'COMPLETED');
    assert.equal(view.steps.find((s) => s.name === 'capturePayment')?.error, 'reconciled: CAPTURED');
    assert.ok(!seen.some((c) => c.activity === 'voidPayment'), 'nothing undone');
  });

  it('waits for an operator when a step after the pivot is refused for good, and goes on once resolved', async () => {
    const { activities, seen } = mockOrderActivities({
      commitInventory: async () => {
        throw ApplicationFailure.nonRetryable('inventory: reservation is RELEASED, cannot become COMMITTED', 'BackendRejected');
      },
    });
    const view = await (async () => {
      const handle = await start(activities);
      for (let i = 0; i < 100; i += 1) {
        const state = await handle.query<any>('sagaState');
        if (state.steps.some((s: any) => s.name === 'commitInventory' && s.status === 'STUCK')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // As the API sends it: again, under the same id, if the workflow task under it failed (seen in CI).
      const answer = await executeUpdateOnce<any>(handle, operatorActionUpdate.name, { action: 'resolve', step: 'commitInventory', operator: 'ops', reason: 'committed by hand' });
      assert.equal(answer.step.name, 'commitInventory');
      return handle.result();
    })();
    assert.equal(view.status, 'COMPLETED');
    assert.equal(view.steps.find((s) => s.name === 'commitInventory')?.status, 'SUCCEEDED');
    assert.deepEqual(view.audit?.map((a) => `${a.action}:${a.step}:${a.reason}`), ['resolve:commitInventory:committed by hand']);
    assert.ok(seen.some((c) => c.activity === 'sendAlert' && (c.input as any).kind === 'STUCK'), 'an alert went out');
  });
});
