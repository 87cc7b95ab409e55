/**
 * While the STUCK alert cannot be delivered (the alerting webhook down), the operator desk is open all the
 * same: a decision about a step refused after the pivot, or about a refused undo, is carried out at once
 * instead of waiting for the alert.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { operatorActionUpdate, orderCheckout } from '../../src/workflows';
import { waitFor } from '../support/http';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const alertsDown = { sendAlert: async () => { throw new Error('alerts webhook: HTTP 503'); } };

/** Waits for `step` to be STUCK, resolves it as an operator, and gives the saga 20 s to end. */
async function resolveWhenStuck(handle: WorkflowHandle<typeof orderCheckout>, step: string, reason: string) {
  await waitFor(`${step} STUCK`, async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === step && s.status === 'STUCK'));
  await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step, operator: 'ops', reason }] });
  // Unref'd: once the saga has ended, the timer must not hold the test process for the rest of the 20 s.
  const ended = await Promise.race([handle.result(), new Promise<null>((r) => setTimeout(r, 20_000, null).unref())]);
  if (!ended) await handle.terminate('the decision waited for the alert');
  return ended;
}

const start = (activities: Parameters<WorkflowEnv['start']>[2]) =>
  env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], activities);

describe('an operator while the alerting webhook is down', { concurrency: true }, () => {
  it('can still resolve a STUCK step after the pivot', async () => {
    const { activities } = mockOrderActivities({
      ...alertsDown,
      commitInventory: async () => {
        throw ApplicationFailure.nonRetryable('inventory: reservation is RELEASED, cannot become COMMITTED', 'BackendRejected');
      },
    });
    const view = await resolveWhenStuck(await start(activities), 'commitInventory', 'committed by hand');
    assert.equal(view?.status, 'COMPLETED', 'the operator decision was carried out within 20 s');
  });

  it('resolves a refused undo and the saga ends COMPENSATED', async () => {
    const { activities } = mockOrderActivities({
      ...alertsDown,
      createShipment: async () => {
        throw ApplicationFailure.nonRetryable('the carrier refuses the address', 'AddressRejected');
      },
      voidPayment: async () => {
        throw ApplicationFailure.nonRetryable('payments: authorization is CAPTURED, cannot become VOIDED', 'BackendRejected');
      },
    });
    const view = await resolveWhenStuck(await start(activities), 'authorizePayment', 'voided at the processor');
    assert.equal(view?.status, 'COMPENSATED', 'the operator decision was carried out within 20 s');
  });
});
