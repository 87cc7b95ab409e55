/**
 * The order's holds as local activities (SAGAWAY_LOCAL_HOLDS) when they fail without a definite answer:
 * a local activity's failure reaches the workflow in another shape than an activity's, and the engine
 * must still send the undo of a hold that may have landed and name the saga's deadline as its reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { operatorActionUpdate, orderCheckout } from '../../src/workflows';
import { sagaStateQuery } from '../../src/workflows/saga';
import { waitFor } from '../support/http';
import { input, orderBackends } from '../support/order-saga';
import { businessRejection, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

const UNDOS = new Set(['releaseInventory', 'voidPayment', 'cancelShipment']);

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

// One mode after the other, each mode's tests side by side: see the note on authorizePayment's answer.
for (const localHolds of [false, true]) {
  describe(`a hold with no definite answer (holds ${localHolds ? 'local' : 'activities'})`, { concurrency: true }, () => {
    it(`authorizePayment outlives the saga's deadline (holds ${localHolds ? 'local' : 'activities'}): DeadlineExceeded, COMPENSATED, its void sent`, async () => {
      const { activities, calls } = orderBackends({
        // It may have authorized at the processor before the deadline cut it off. It answers in the end
        // (a mock that never did would hold the worker's shutdown, and the file, until run-tests kills it).
        // As an activity it answers soon after the deadline: an activity still running in this worker after
        // the server timed it out held the next test's local activity timeout for 8 s (the SDK's workflow
        // task heartbeat), measured here with the 1.24 SDK.
        authorizePayment: () => new Promise((resolve) => setTimeout(() => resolve({ authorizationId: 'a-late' }), localHolds ? 4_000 : 2_150)),
      });
      const view = await env.execute(orderCheckout, [input({ localHolds, deadlineMs: 2_000 })], activities);
      assert.equal(view.status, 'COMPENSATED');
      assert.deepEqual({ type: view.error?.type, step: view.error?.step }, { type: 'DeadlineExceeded', step: 'authorizePayment' });
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['voidPayment', 'releaseInventory']);
      assert.ok(!calls.includes('createShipment'), 'no step after the deadline');
    });

    it(`reserveInventory fails on every attempt with a 5xx (holds ${localHolds ? 'local' : 'activities'}): RetriesExhausted, its release sent`, async () => {
      const { activities, calls } = orderBackends({
        reserveInventory: async () => {
          throw new Error('inventory answered 503');
        },
      });
      const view = await env.execute(orderCheckout, [input({ localHolds })], activities);
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.error?.type, 'RetriesExhausted');
      assert.match(view.error?.message ?? '', /gave up after retries: inventory answered 503/);
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['releaseInventory']);
    });
  });
}

describe('an alert refused for good when the pivot cannot be decided', () => {
  it('the capture and its look-up refused, the STUCK alert refused too: the capture is STUCK for an operator, nothing undone', async () => {
    const { activities, calls } = orderBackends({
      capturePayment: async () => {
        throw businessRejection('BackendRejected', 'capture refused');
      },
      // Nobody can say whether the capture landed: STUCK, for an operator, never compensated.
      lookupPayment: async () => {
        throw businessRejection('BackendRejected', 'payments: no such reference');
      },
      sendAlert: async () => {
        throw businessRejection('AlertRefused', 'alert webhook answered 401');
      },
    });
    const handle = await env.start(orderCheckout, [input()], activities);
    const view = await waitFor('the capture to be STUCK', async () => {
      const v = await handle.query(sagaStateQuery);
      return v.steps.some((s) => s.name === 'capturePayment' && s.status === 'STUCK') && calls.includes('sendAlert') ? v : null;
    });
    assert.equal(view.status, 'RUNNING');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'capturePayment', operator: 'ops', reason: 'captured, seen at the processor' }] });
    assert.equal((await handle.result()).status, 'COMPLETED');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
  });
});
