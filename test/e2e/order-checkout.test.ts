import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendRecords, call } from '../support/http';
import { orderBody } from '../support/orders';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

describe('order checkout through the API', () => {
  it('completes an order and holds exactly one of each effect', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), prefer: 'wait=30' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const view = answer.body;
    assert.equal(view.status, 'COMPLETED');
    assert.equal(answer.headers.get('location'), `/v1/sagas/${view.id}`);
    // 2 x 12.50 + 40.00 + 5.00 shipping
    assert.deepEqual(view.result.total, { amountMinor: 7000, currency: 'EUR' });
    assert.deepEqual(
      view.steps.map((s: any) => `${s.name}:${s.status}`),
      ['priceOrder:SUCCEEDED', 'reserveInventory:SUCCEEDED', 'quoteShipping:SUCCEEDED', 'authorizePayment:SUCCEEDED', 'createShipment:SUCCEEDED', 'capturePayment:SUCCEEDED', 'commitInventory:SUCCEEDED', 'notifyCustomer:SUCCEEDED'],
    );
    const payments = await backendRecords(stack.backendsUrl, 'payments', view.id);
    assert.deepEqual(payments.map((r) => r.status), ['CAPTURED']);
    const reservations = await backendRecords(stack.backendsUrl, 'inventory', view.id);
    assert.deepEqual(reservations.map((r) => r.status), ['COMMITTED']);
    const shipments = await backendRecords(stack.backendsUrl, 'shipping', view.id);
    assert.deepEqual(shipments.map((r) => r.status), ['CREATED']);
  });

  it('compensates a declined payment in reverse order and leaves nothing held', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ paymentToken: 'tok_declined' }), prefer: 'wait=30' });
    assert.equal(answer.status, 200);
    const view = answer.body;
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error.type, 'PaymentDeclined');
    assert.equal(view.error.step, 'authorizePayment');
    const byName = Object.fromEntries(view.steps.map((s: any) => [s.name, s.status]));
    assert.equal(byName.reserveInventory, 'COMPENSATED');
    assert.equal(byName.authorizePayment, 'FAILED');
    const reservations = await backendRecords(stack.backendsUrl, 'inventory', view.id);
    assert.deepEqual(reservations.map((r) => r.status), ['RELEASED']);
    assert.deepEqual(await backendRecords(stack.backendsUrl, 'payments', view.id), []);
  });
});
