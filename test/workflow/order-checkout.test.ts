import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orderCheckout } from '../../src/workflows/order-checkout';
import { input, orderBackends } from '../support/order-saga';
import { businessRejection, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

const undos = new Set(['releaseInventory', 'voidPayment', 'cancelShipment']);

describe('order checkout saga (mocked activities)', { concurrency: true }, () => {
  let env: WorkflowEnv;
  before(async () => {
    env = await startWorkflowEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  for (const localSteps of [true, false]) {
    it(`completes with every backend saying yes (local steps ${localSteps ? 'on' : 'off'})`, async () => {
      const { activities, calls } = orderBackends();
      const view = await env.execute(orderCheckout, [input({ localSteps })], activities);
      assert.equal(view.status, 'COMPLETED');
      assert.deepEqual(view.result?.total, { amountMinor: 1_500, currency: 'EUR' });
      assert.equal(view.result?.shipmentId, 'shp-1');
      assert.ok(view.steps.every((s) => s.status === 'SUCCEEDED'), JSON.stringify(view.steps));
      // Side by side steps may be called in either order; everything else is a sequence, each call once.
      assert.deepEqual(
        [calls[0], calls.slice(1, 3).sort(), calls.slice(3, 6), calls.slice(6).sort()],
        ['priceOrder', ['quoteShipping', 'reserveInventory'], ['authorizePayment', 'createShipment', 'capturePayment'], ['commitInventory', 'notifyCustomer']],
      );
    });
  }

  it('releases the reservation, and voids nothing, when the card is declined', async () => {
    const { activities, calls } = orderBackends({
      authorizePayment: async () => {
        throw businessRejection('PaymentDeclined', 'card declined');
      },
    });
    const view = await env.execute(orderCheckout, [input()], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'PaymentDeclined');
    assert.equal(view.error?.step, 'authorizePayment');
    const sent = calls.filter((c) => !c.startsWith('lookup'));
    assert.deepEqual(sent.slice(sent.indexOf('authorizePayment')), ['authorizePayment', 'releaseInventory']);
    const status = Object.fromEntries(view.steps.map((s) => [s.name, s.status]));
    assert.equal(status.reserveInventory, 'COMPENSATED');
    assert.equal(status.authorizePayment, 'FAILED');
    assert.ok(!calls.includes('createShipment') && !calls.includes('capturePayment'));
  });

  it('undoes in reverse order when the shipment is refused: void the payment, then release the stock', async () => {
    const { activities, calls } = orderBackends({
      createShipment: async () => {
        throw businessRejection('AddressRejected', 'no such street');
      },
    });
    const view = await env.execute(orderCheckout, [input()], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'AddressRejected');
    assert.deepEqual(calls.filter((c) => undos.has(c)), ['voidPayment', 'releaseInventory']);
    assert.ok(!calls.includes('cancelShipment'), 'a refused shipment was never created, so there is nothing to cancel');
    assert.ok(!calls.includes('capturePayment'));
  });

  it('compensates everything, the timed-out shipment included, when the pivot is not reached by the deadline', async () => {
    const { activities, calls } = orderBackends({
      createShipment: () => new Promise((resolve) => setTimeout(() => resolve({ shipmentId: 'shp-late' }), 2_000)),
    });
    const view = await env.execute(orderCheckout, [input({ deadlineMs: 1_500 })], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.deepEqual({ type: view.error?.type, step: view.error?.step }, { type: 'DeadlineExceeded', step: 'createShipment' });
    // The shipment may have been made even though its answer never came, so it is cancelled too.
    assert.deepEqual(calls.filter((c) => undos.has(c)), ['cancelShipment', 'voidPayment', 'releaseInventory']);
    assert.ok(!calls.includes('capturePayment'));
  });
});
