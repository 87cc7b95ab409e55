import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sagaIdFor } from '../../src/api/idempotency';
import { addKiosk, bikeBody, LOCAL_HOUSEHOLD_3, REJECTED, senseBike, VISITOR } from '../support/bikes';
import { backendRecords, call, clearFaults, injectFault, sagaKey, waitForView } from '../support/http';
import { decodedHistoryText } from '../support/history-text';
import { afterPivotLog, OPERATOR_KEY, startStack, type Stack } from '../support/stack';

let stack: Stack;

before(async () => {
  // Long enough that a test senses its bike in time with the file's tests side by side on a loaded
  // machine (2 s timed out once in CI); the sensor-timeout test waits it out once.
  stack = await startStack({ env: { SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '8', SAGAWAY_VISITOR_MAX_BIKES: '2', SAGAWAY_KIOSK_CACHE_SECONDS: '60' }, expectErrorLogs: [afterPivotLog('bikeCheckout', 'captureFee')] });
  await addKiosk(stack.backendsUrl, 'kiosk-test', 200);
});

after(async () => {
  await stack?.stop();
});

/** Starts a checkout whose faults are scoped to its saga, so the tests that use this run side by side. */
async function start(body: Record<string, unknown>, faults: Array<[service: string, fault: Record<string, unknown>]> = []) {
  const { idempotencyKey, sagaId } = sagaKey();
  for (const [service, fault] of faults) await injectFault(stack.backendsUrl, service, { ...fault, sagaId });
  const answer = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body, idempotencyKey });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.id as string;
}

const ended = (id: string) => waitForView(stack.apiUrl, id, (v) => v.status !== 'RUNNING' && v.status !== 'COMPENSATING');

/** What the bike backends hold for a saga, as kind:status (condition records are history, not holds). */
async function held(sagaId: string): Promise<string[]> {
  const out: string[] = [];
  for (const service of ['storage', 'bikes', 'payments']) {
    for (const r of await backendRecords(stack.backendsUrl, service, sagaId)) if (r.kind !== 'condition') out.push(`${r.kind}:${r.status}`);
  }
  return out.sort();
}

// Each test starts its own checkouts, with its faults scoped to them: they run side by side.
describe('bike checkout', { concurrency: true }, () => {
  describe('bike checkout, completed', { concurrency: true }, () => {
    it('gives a local two bikes for a household of two, free, each through its own bay door', async () => {
      const id = await start(bikeBody({ bikes: 2 }));
      await senseBike(stack.apiUrl, id, 1);
      await senseBike(stack.apiUrl, id, 2);
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
      assert.equal(view.result.residentStatus, 'LOCAL');
      assert.equal(view.result.fee.amountMinor, 0);
      assert.equal(view.result.bikes.length, 2);
      assert.notEqual(view.result.bikes[0].bikeId, view.result.bikes[1].bikeId);
      for (const bike of view.result.bikes) assert.match(bike.conditionRecordId, /^cond_/);
      assert.deepEqual(view.bikes.map((b: any) => b.status), ['DOOR_OPEN', 'DOOR_OPEN']);
      assert.deepEqual(await held(id), ['bike-reservation:RELEASED', 'bike-reservation:RELEASED', 'checkout:CHECKED_OUT', 'checkout:CHECKED_OUT']);
      const doors = await backendRecords(stack.backendsUrl, 'kiosk', id);
      assert.equal(doors.filter((r) => r.kind === 'door').length, 2);
      assert.equal(doors.filter((r) => r.kind === 'notice').length, 2, 'the rider was told each bike is on its way');
    });

    it('charges a visitor the fee, captured once every bike is out', async () => {
      const id = await start(bikeBody({ credentials: VISITOR, paymentToken: 'tok_visa' }));
      await senseBike(stack.apiUrl, id, 1);
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED');
      assert.deepEqual(view.result.fee, { amountMinor: 350, currency: 'EUR' });
      const payments = await backendRecords(stack.backendsUrl, 'payments', id);
      assert.deepEqual(payments.map((p) => `${p.status}:${p.amountMinor}`), ['CAPTURED:350']);
    });

    it('retries a storage fault and succeeds', async () => {
      const id = await start(bikeBody(), [['storage', { op: 'reserve', mode: 'error', status: 503, count: 2 }]]);
      await senseBike(stack.apiUrl, id, 1);
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED');
      assert.equal(view.steps.find((s: any) => s.name === 'reserveBike#1').attempts, 3);
    });
  });

  describe('bike checkout, refused or undone', { concurrency: true }, () => {
    it('refuses a visitor more bikes than allowed, before anything is held', async () => {
      const id = await start(bikeBody({ credentials: VISITOR, bikes: 3, paymentToken: 'tok_visa' }));
      const view = await ended(id);
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.error.type, 'TooManyBikes');
      assert.match(view.error.message, /VISITOR may take up to 2 bikes/);
      assert.deepEqual(await held(id), []);
    });

    it('ends a rejected ID with nothing to undo', async () => {
      const id = await start(bikeBody({ credentials: REJECTED }));
      const view = await ended(id);
      assert.equal(view.status, 'COMPENSATED');
      assert.deepEqual({ type: view.error.type, step: view.error.step }, { type: 'IdRejected', step: 'verifyRider' });
      assert.deepEqual(await held(id), []);
    });

    it('a sensor timeout on the second bike gives back only that bike: the first left with its rider, and its fee alone is charged', async () => {
      const id = await start(bikeBody({ credentials: VISITOR, bikes: 2, paymentToken: 'tok_visa' }));
      await senseBike(stack.apiUrl, id, 1);
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED');
      assert.equal(view.result.partial, true);
      assert.equal(view.result.stopped.type, 'SensorTimeout');
      assert.deepEqual(view.bikes.map((b: any) => b.status), ['DOOR_OPEN', 'RETURNED']);
      assert.deepEqual(view.result.returned, [view.bikes[1].bikeId]);
      assert.deepEqual(view.result.fee, { amountMinor: 350, currency: 'EUR' });
      assert.deepEqual(await held(id), ['authorization:CAPTURED', 'bike-reservation:RELEASED', 'bike-reservation:RETURNED', 'checkout:CHECKED_IN', 'checkout:CHECKED_OUT']);
      const [payment] = await backendRecords(stack.backendsUrl, 'payments', id);
      assert.deepEqual({ authorized: payment!.amountMinor, captured: payment!.capturedMinor }, { authorized: 700, captured: 350 }, 'the fee of the bike that left, the rest released');
    });

    it('a fee that cannot be captured for a bike that left is an operator\'s case, not a bike "back"', async () => {
      const id = await start(bikeBody({ credentials: VISITOR, paymentToken: 'tok_visa' }), [['payments', { op: 'capture', mode: 'error', status: 422 }]]);
      await senseBike(stack.apiUrl, id, 1);
      // STUCK for an operator, with the bike out and nothing given back; listed for operators.
      const stuck = await waitForView(stack.apiUrl, id, (v) => v.steps.some((s: any) => s.name === 'captureFee' && s.status === 'STUCK'));
      assert.equal(stuck.status, 'RUNNING');
      assert.deepEqual(stuck.bikes.map((b: any) => b.status), ['DOOR_OPEN']);
      assert.deepEqual(await held(id), ['authorization:AUTHORIZED', 'bike-reservation:RELEASED', 'checkout:CHECKED_OUT']);
      const listed = await call(stack.apiUrl, 'GET', '/v1/ops/sagas?stuck=true', { key: OPERATOR_KEY });
      assert.ok(JSON.stringify(listed.body).includes(id), 'listed for operators');
      // The processor fixed, an operator's retry captures the fee and the checkout completes.
      await clearFaults(stack.backendsUrl, 'payments');
      const retried = await call(stack.apiUrl, 'POST', `/v1/ops/sagas/${id}/steps/captureFee/retry`, { body: { reason: 'processor fixed' }, key: OPERATOR_KEY });
      assert.ok(retried.status < 300, JSON.stringify(retried.body));
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
      assert.deepEqual(await held(id), ['authorization:CAPTURED', 'bike-reservation:RELEASED', 'checkout:CHECKED_OUT']);
    });

    it('once a door opened, a cancel is a 409 that says why, and the household gets every bike', async () => {
      const id = await start(bikeBody({ bikes: 2 }));
      await senseBike(stack.apiUrl, id, 1);
      await waitForView(stack.apiUrl, id, (v) => v.bikes?.[0]?.status === 'DOOR_OPEN');
      const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${id}/cancel`, { body: { reason: 'changed my mind' } });
      assert.equal(cancel.status, 409, JSON.stringify(cancel.body));
      assert.match(JSON.stringify(cancel.body), /door of bay \d+ opened/);
      await senseBike(stack.apiUrl, id, 2);
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED');
      assert.equal(view.result.partial, false);
      assert.deepEqual(await held(id), ['bike-reservation:RELEASED', 'bike-reservation:RELEASED', 'checkout:CHECKED_OUT', 'checkout:CHECKED_OUT']);
    });

    it('takes malformed XML from storage as no answer: the retry under the same key reads the stored one, and one bike moves', async () => {
      const id = await start(bikeBody(), [['storage', { op: 'reserve', mode: 'malformed', count: 1 }]]);
      await senseBike(stack.apiUrl, id, 1);
      const view = await ended(id);
      assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
      // Two attempts at least: the malformed answer and the retry that reads the stored one (a loaded machine
      // may time one more out); whatever the count, one bike moves.
      assert.ok(view.steps.find((s: any) => s.name === 'reserveBike#1').attempts >= 2);
      assert.deepEqual(await held(id), ['bike-reservation:RELEASED', 'checkout:CHECKED_OUT']);
    });

    it('cancel before the pivot returns the bike and voids the fee; after it, 409', async () => {
      const id = await start(bikeBody({ credentials: VISITOR, paymentToken: 'tok_visa' }));
      await waitForView(stack.apiUrl, id, (v) => v.bikes?.[0]?.status === 'ON_ITS_WAY');
      const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${id}/cancel`, { body: { reason: 'rider walked away' }, prefer: 'wait=20' });
      assert.equal(cancel.body.status, 'COMPENSATED');
      assert.deepEqual(await held(id), ['authorization:VOIDED', 'bike-reservation:RETURNED', 'checkout:CHECKED_IN']);
      const done = await start(bikeBody({ credentials: VISITOR, paymentToken: 'tok_visa' }));
      await senseBike(stack.apiUrl, done, 1);
      await ended(done);
      assert.equal((await call(stack.apiUrl, 'POST', `/v1/sagas/${done}/cancel`, { body: {} })).status, 409);
    });

    it('gives a rider a bay nobody else\'s bike is in, after another rider\'s bike was given back', async () => {
      await addKiosk(stack.backendsUrl, 'kiosk-bays', 10);
      const onItsWay = async () => {
        const id = await start(bikeBody({ kioskId: 'kiosk-bays' }));
        return { id, bay: (await waitForView(stack.apiUrl, id, (v) => v.bikes?.[0]?.status === 'ON_ITS_WAY')).bikes[0].bay as number };
      };
      const first = await onItsWay();
      const second = await onItsWay();
      const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${first.id}/cancel`, { body: { reason: 'rider walked away' }, prefer: 'wait=20' });
      assert.equal(cancel.body.status, 'COMPENSATED');
      const third = await onItsWay();
      assert.notEqual(third.bay, second.bay, `bay ${second.bay} still holds the second rider's bike`);
      await senseBike(stack.apiUrl, third.id, 1);
      // The second rider's bike waited through the cancel and the third start: on a loaded machine its
      // sensor timeout (8 s in this file) can pass first, and the saga gives the bike back by itself.
      const secondNow = await call(stack.apiUrl, 'GET', `/v1/sagas/${second.id}`);
      if (secondNow.body.status === 'RUNNING') await senseBike(stack.apiUrl, second.id, 1);
      else assert.equal(secondNow.body.error?.type, 'SensorTimeout', JSON.stringify(secondNow.body));
    });

    it('a wrong bike from the sensor is a clear 422, an unknown saga a 404', async () => {
      const id = await start(bikeBody());
      await waitForView(stack.apiUrl, id, (v) => v.bikes?.[0]?.status === 'ON_ITS_WAY');
      const wrong = await call(stack.apiUrl, 'POST', `/v1/sagas/${id}/signals/bike-sensed`, { body: { bikeId: 'test-999' } });
      assert.equal(wrong.status, 422);
      assert.match(wrong.body.detail, /test-999 is not on its way/);
      const unknown = await call(stack.apiUrl, 'POST', '/v1/sagas/saga-nope/signals/bike-sensed', { body: { bikeId: 'x' } });
      assert.equal(unknown.status, 404);
      await senseBike(stack.apiUrl, id, 1);
      assert.equal((await ended(id)).status, 'COMPLETED');
    });
  });

  describe('credentials never travel in clear', () => {
    it('keeps the document number out of the workflow history and the backends', async () => {
      const id = await start(bikeBody());
      await senseBike(stack.apiUrl, id, 1);
      await ended(id);
      const history = await decodedHistoryText(stack.client, stack.config.codecKeys, id);
      assert.match(history, /kiosk-test/, 'the payloads were decoded: the request is readable');
      assert.ok(!history.includes(LOCAL_HOUSEHOLD_3.documentNumber), 'only the sealed package travels through Temporal');
      for (const service of ['idcheck', 'storage', 'bikes', 'kiosk']) {
        assert.ok(!JSON.stringify(await backendRecords(stack.backendsUrl, service)).includes(LOCAL_HOUSEHOLD_3.documentNumber), service);
      }
    });
  });
});

// Alone, after the rest: storage's stock answers fail for every caller while it runs (the API asks, not a saga).
describe('bike checkout, an empty kiosk', () => {
  after(async () => {
    await clearFaults(stack.backendsUrl, 'storage');
  });

  it('answers an empty kiosk from the cache, without starting a saga', async () => {
    const key = `empty-${Date.now()}`;
    const answer = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-empty' }), idempotencyKey: key });
    assert.equal(answer.status, 409);
    assert.equal(answer.body.type, 'urn:sagaway:problem:kiosk-empty');
    await assert.rejects(stack.client.workflow.getHandle(sagaIdFor('test', key)).describe(), /not found/i);
    await injectFault(stack.backendsUrl, 'storage', { op: 'stock', mode: 'error', status: 500, count: 100 });
    const again = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-empty' }) });
    assert.equal(again.status, 409, 'the second answer comes from the cache: storage is not asked');
  });
});
