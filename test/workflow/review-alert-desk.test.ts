/**
 * A step after the pivot that is refused for good is STUCK; while the STUCK alert cannot be delivered
 * (the alerting webhook down), the operator desk is open all the same and a resolve moves the saga on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { operatorActionUpdate, orderCheckout } from '../../src/workflows';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('an operator while the alerting webhook is down', () => {
  it('can still resolve a STUCK step after the pivot', async () => {
    const { activities } = mockOrderActivities({
      commitInventory: async () => {
        throw ApplicationFailure.nonRetryable('inventory: reservation is RELEASED, cannot become COMMITTED', 'BackendRejected');
      },
      sendAlert: async () => {
        throw new Error('alerts webhook: HTTP 503');
      },
    });
    const view = await (async () => {
      const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], activities);
      for (let i = 0; i < 300; i += 1) {
        const state = await handle.query<any>('sagaState');
        if (state.steps.some((s: any) => s.name === 'commitInventory' && s.status === 'STUCK')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      try {
        await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'commitInventory', operator: 'ops', reason: 'committed by hand' }] });
      } catch (err) {
        await handle.terminate('review test done');
        throw err;
      }
      return handle.result();
    })();
    assert.equal(view.status, 'COMPLETED');
  });
});
