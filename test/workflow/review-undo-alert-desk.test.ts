/**
 * A refused undo is STUCK and its desk is open; while the STUCK alert cannot be delivered (the alerting
 * webhook down), an operator's decision must still be carried out, not wait for the alert.
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
  it('resolves a refused undo and the saga ends COMPENSATED', async () => {
    const { activities } = mockOrderActivities({
      createShipment: async () => {
        throw ApplicationFailure.nonRetryable('the carrier refuses the address', 'AddressRejected');
      },
      voidPayment: async () => {
        throw ApplicationFailure.nonRetryable('payments: authorization is CAPTURED, cannot become VOIDED', 'BackendRejected');
      },
      sendAlert: async () => {
        throw new Error('alerts webhook: HTTP 503');
      },
    });
    const view = await (async () => {
      const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], activities);
      for (let i = 0; i < 300; i += 1) {
        const state = await handle.query<any>('sagaState');
        if (state.steps.some((s: any) => s.name === 'authorizePayment' && s.status === 'STUCK')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'authorizePayment', operator: 'ops', reason: 'voided at the processor' }] });
      const ended = await Promise.race([handle.result(), new Promise<null>((r) => setTimeout(r, 20_000, null))]);
      if (!ended) await handle.terminate('review test: the decision waits for the alert');
      return ended;
    })();
    assert.equal(view?.status, 'COMPENSATED', 'the operator decision was carried out within 20 s');
  });
});
