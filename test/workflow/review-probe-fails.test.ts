import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { orderCheckout } from '../../src/workflows';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('a reconcile probe that itself fails', () => {
  it('does not abandon the other undos: every hold is still released and the saga ends COMPENSATED', async () => {
    const { activities, seen } = mockOrderActivities({
      // The carrier's answer is lost on every attempt: the shipment's outcome is unknown.
      createShipment: async () => {
        throw new Error('shipping POST /shipments: timed out');
      },
      // Asking the carrier what became of it answers something nobody can read.
      lookupShipment: async () => {
        throw ApplicationFailure.nonRetryable('shipping /references answered something malformed: the body is not JSON', 'MalformedResponse');
      },
    });
    const view = await (async () => {
      const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 60_000, localSteps: false, tuning: FAST_TUNING }], activities);
      return handle.result();
    })();
    const called = seen.map((c) => c.activity);
    assert.ok(called.includes('voidPayment'), `the authorization is voided: ${called.join(',')}`);
    assert.ok(called.includes('releaseInventory'), `the stock is released: ${called.join(',')}`);
    assert.ok(called.includes('cancelShipment'), `the unknown shipment is cancelled by reference: ${called.join(',')}`);
    assert.equal(view.status, 'COMPENSATED');
  });
});
