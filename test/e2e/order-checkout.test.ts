import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendRecords, call, callsInFlight, injectFault, sagaKey, unfiredFaults, waitFor, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { afterPivotLog, startStack, type Stack } from '../support/stack';

let stack: Stack;

before(async () => {
  // Steps retried 20 ms after a failure, doubling: the tests count attempts, and the pivot's seven take 1.3 s, not 13.
  stack = await startStack({ tuning: { stepRetryInitialMs: 20 }, expectErrorLogs: [afterPivotLog('orderCheckout', 'capturePayment'), afterPivotLog('orderCheckout', 'notifyCustomer')] });
});

after(async () => {
  await stack?.stop();
});

type ScopedFault = [service: string, fault: Record<string, unknown>];

/**
 * Places an order and waits for its end. Its faults are scoped to its saga, so the tests that place orders
 * this way run side by side; the backends are shared, so each test reads only its own saga's records.
 */
async function placeOrder(overrides: Record<string, unknown> = {}, faults: ScopedFault[] = []) {
  const { idempotencyKey, sagaId } = sagaKey();
  for (const [service, fault] of faults) await injectFault(stack.backendsUrl, service, { ...fault, sagaId });
  const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(overrides), prefer: 'wait=40', idempotencyKey });
  assert.equal(answer.status, 200, `expected the saga to end within the wait: ${JSON.stringify(answer.body)}`);
  assert.deepEqual(await unfiredFaults(stack.backendsUrl, faults.map(([service]) => service), sagaId), [], 'every fault injected for the saga hit it');
  return answer.body;
}

/** What each backend holds for the saga, in the order the changes happened. */
async function effects(sagaId: string): Promise<string[]> {
  const records = [];
  for (const service of ['inventory', 'payments', 'shipping']) records.push(...(await backendRecords(stack.backendsUrl, service, sagaId)));
  return records.sort((a, b) => a.seq - b.seq).map((r) => `${r.kind}:${r.status}`);
}

const stepStatus = (view: any) => Object.fromEntries(view.steps.map((s: any) => [s.name, s.status]));

// Every test here places its own order, with its faults scoped to it: they run side by side.
describe('order checkout', { concurrency: true }, () => {
  describe('order checkout, happy path', { concurrency: true }, () => {
    it('completes an order and holds exactly one of each effect', async () => {
      const view = await placeOrder();
      assert.equal(view.status, 'COMPLETED');
      assert.deepEqual(view.result.total, { amountMinor: 7000, currency: 'EUR' }, '2 x 12.50 + 40.00 + 5.00 shipping');
      assert.match(view.result.shipmentId, /^shp_/);
      assert.deepEqual(
        view.steps.map((s: any) => `${s.name}:${s.status}`),
        ['priceOrder:SUCCEEDED', 'reserveInventory:SUCCEEDED', 'quoteShipping:SUCCEEDED', 'authorizePayment:SUCCEEDED', 'createShipment:SUCCEEDED', 'capturePayment:SUCCEEDED', 'commitInventory:SUCCEEDED', 'notifyCustomer:SUCCEEDED'],
      );
      const final = await effects(view.id);
      assert.deepEqual(final.filter((e) => e.startsWith('authorization')), ['authorization:CAPTURED']);
      assert.deepEqual(final.filter((e) => e.startsWith('reservation')), ['reservation:COMMITTED']);
      assert.deepEqual(final.filter((e) => e.startsWith('shipment')), ['shipment:CREATED']);
      const messages = await backendRecords(stack.backendsUrl, 'notifications', view.id);
      assert.equal(messages.length, 1);
    });

    it('prices in the requested currency', async () => {
      const view = await placeOrder({ currency: 'USD', items: [{ sku: 'lamp-002', quantity: 1 }] });
      assert.deepEqual(view.result.total, { amountMinor: 4320 + 540, currency: 'USD' });
    });
  });

  describe('order checkout, each forward step failing for good', { concurrency: true }, () => {
    it('priceOrder: an unknown SKU ends the saga with nothing to undo', async () => {
      const view = await placeOrder({ items: [{ sku: 'nope-999', quantity: 1 }] });
      assert.equal(view.status, 'COMPENSATED');
      assert.deepEqual(view.error, { type: 'UnknownSku', message: 'pricing: sku nope-999 is not in the catalog', step: 'priceOrder' });
      assert.deepEqual(await effects(view.id), []);
    });

    it('reserveInventory: out of stock, nothing held', async () => {
      const view = await placeOrder({ items: [{ sku: 'sold-out-003', quantity: 1 }] });
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.error.type, 'OutOfStock');
      assert.equal(view.error.step, 'reserveInventory');
      assert.deepEqual(await effects(view.id), []);
    });

    it('quoteShipping: an address the carrier refuses releases the reservation made beside it', async () => {
      const view = await placeOrder({ shippingAddress: { ...orderBody().shippingAddress, country: 'AQ' } });
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.error.type, 'AddressRejected');
      assert.equal(stepStatus(view).reserveInventory, 'COMPENSATED');
      assert.deepEqual(await effects(view.id), ['reservation:RELEASED']);
    });

    it('authorizePayment: declined, the reservation is released', async () => {
      const view = await placeOrder({ paymentToken: 'tok_declined' });
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.error.type, 'PaymentDeclined');
      assert.equal(view.error.step, 'authorizePayment');
      assert.equal(stepStatus(view).authorizePayment, 'FAILED');
      assert.deepEqual(await effects(view.id), ['reservation:RELEASED']);
    });

    it('createShipment: a backend that keeps failing is given up on and everything before it undone, newest first', async () => {
      const view = await placeOrder({}, [['shipping', { op: 'create', mode: 'error', status: 500, count: 100 }]]);
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.error.type, 'RetriesExhausted');
      assert.equal(view.error.step, 'createShipment');
      const byName = Object.fromEntries(view.steps.map((s: any) => [s.name, s]));
      assert.equal(byName.createShipment.attempts, 5);
      assert.equal(byName.createShipment.status, 'COMPENSATED', 'a step that may have landed is undone too');
      const voidSeq = (await backendRecords(stack.backendsUrl, 'payments', view.id))[0]!.seq;
      const releaseSeq = (await backendRecords(stack.backendsUrl, 'inventory', view.id))[0]!.seq;
      assert.ok(voidSeq < releaseSeq, 'the payment is voided before the reservation is released');
      assert.deepEqual(await effects(view.id), ['authorization:VOIDED', 'reservation:RELEASED']);
    });

    it('capturePayment (the pivot): 5xx answers never give up on it; the order completes once it lands', async () => {
      const view = await placeOrder({}, [['payments', { op: 'capture', mode: 'error', status: 503, count: 6 }]]);
      assert.equal(view.status, 'COMPLETED');
      assert.equal(view.steps.find((s: any) => s.name === 'capturePayment').attempts, 7, 'more attempts than a step before the pivot gets');
      assert.deepEqual((await effects(view.id)).sort(), ['authorization:CAPTURED', 'reservation:COMMITTED', 'shipment:CREATED']);
    });
  });

  describe('order checkout, transient failures', { concurrency: true }, () => {
    it('retries a 5xx until it succeeds and shows the attempts', async () => {
      const view = await placeOrder({}, [['payments', { op: 'authorize', mode: 'error', status: 503, count: 2 }]]);
      assert.equal(view.status, 'COMPLETED');
      const authorize = view.steps.find((s: any) => s.name === 'authorizePayment');
      assert.equal(authorize.attempts, 3);
      const auths = await backendRecords(stack.backendsUrl, 'payments', view.id);
      assert.deepEqual(auths.map((r) => r.status), ['CAPTURED'], 'exactly one authorization despite the retries');
    });

    // Five failures are the attempts bound: the notice is STUCK (logged, alerted) for a moment, still
    // retried, and the sixth attempt ends it.
    it('after the pivot, keeps retrying a failing step until it succeeds', async () => {
      const view = await placeOrder({}, [['notifications', { op: 'send', mode: 'error', status: 500, count: 5 }]]);
      assert.equal(view.status, 'COMPLETED');
      assert.equal(view.steps.find((s: any) => s.name === 'notifyCustomer').attempts, 6, 'more attempts than a step before the pivot gets');
    });

    it('absorbs a lost response: the backend applied the write, the retry gets the stored answer', async () => {
      const view = await placeOrder({}, [['inventory', { op: 'reserve', mode: 'drop', count: 1 }]]);
      assert.equal(view.status, 'COMPLETED');
      const reservations = await backendRecords(stack.backendsUrl, 'inventory', view.id);
      assert.deepEqual(reservations.map((r) => r.status), ['COMMITTED'], 'one reservation, not two');
    });
  });
});

// Alone: it waits for any call in flight at the inventory.
describe('order checkout, cancel after the pivot (the default mode: short steps as local activities)', () => {
  it('refuses a cancel sent while a local step after the pivot runs (409), and the order completes, nothing undone', async () => {
    const { idempotencyKey, sagaId } = sagaKey();
    await injectFault(stack.backendsUrl, 'inventory', { op: 'commit', mode: 'latency', latencyMs: 1_500, sagaId });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey });
    await waitFor('the slow commit (a local step after the pivot) to reach the inventory', async () => (await callsInFlight(stack.backendsUrl, 'inventory')) > 0);
    const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${started.body.id}/cancel`, { body: {} });
    assert.equal(cancel.status, 409, JSON.stringify(cancel.body));
    // A local step holds the workflow task, so the cancel is only looked at once the steps after the
    // pivot are done: it is refused either for the pivot or because the saga has ended by then.
    assert.match(cancel.body.detail, /pivot|already ended/);
    const view = await waitForView(stack.apiUrl, started.body.id, (v) => v.status !== 'RUNNING');
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual((await effects(started.body.id)).sort(), ['authorization:CAPTURED', 'reservation:COMMITTED', 'shipment:CREATED']);
  });
});
