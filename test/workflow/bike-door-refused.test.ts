/**
 * Found by the simulation (`npm run simulate -- --type bikeCheckout --seed 21 --path 6`): a door the kiosk
 * refuses for good, at its first attempt, never opened, so the bike never left storage's care. The saga
 * kept the unit before it sent the door command, so the refusal ended it FAILED with the bike still
 * reserved (storage) and checked out (kiosk), behind a shut door, and nothing returned. Now the door goes
 * through Saga.passUnit: a definite refusal puts the unit's undos back and the bike is given back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bikeCheckout, bikeSensedUpdate } from '../../src/workflows';
import { waitFor } from '../support/http';
import { businessRejection, fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('bike checkout: a door refused for good', () => {
  it('the only bike\'s door refused at once: the bike goes back to storage, checked in, and the saga ends COMPENSATED', async () => {
    const { activities, calls } = mockActivities({
      verifyRider: async () => ({ verificationId: 'v-1', residentStatus: 'LOCAL', householdSize: 3 }),
      reserveBike: async () => ({ bikeId: 'b1', bay: 1 }),
      returnBike: async () => undefined,
      notifyRider: async () => undefined,
      checkOutBike: async () => undefined,
      checkInBike: async () => undefined,
      recordCondition: async () => ({ conditionRecordId: 'c1' }),
      openDoor: async () => {
        throw businessRejection('BackendRejected', 'the bay door is jammed');
      },
      lookupBikeMove: async () => ({ found: true, status: 'MOVED' }),
      lookupCheckout: async () => ({ found: true, status: 'CHECKED_OUT' }),
      sendAlert: async () => undefined,
    });
    const handle = await env.start(bikeCheckout, [{ kioskId: 'kiosk-1', bikes: 1, credentialsPackage: 'sealed', paymentToken: null, sensorTimeoutMs: 30_000, visitorMaxBikes: 2, feePerBike: { amountMinor: 350, currency: 'EUR' }, tuning: fastTuning }], activities);
    await waitFor('bike b1 on its way', async () => ((await handle.query<any>('sagaState')).details.bikes ?? []).some((b: any) => b.status === 'ON_ITS_WAY'));
    await handle.executeUpdate(bikeSensedUpdate, { args: [{ bikeId: 'b1' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED', `ended ${view.status} (${view.error?.type} at ${view.error?.step})`);
    assert.ok(calls.includes('returnBike') && calls.includes('checkInBike'), `the bike was not given back: ${calls.join(', ')}`);
  });

  it('the second bike\'s door refused at once: bike 1 stays with its rider, bike 2 goes back, COMPLETED partial', async () => {
    let reserved = 0;
    const { activities, calls } = mockActivities({
      verifyRider: async () => ({ verificationId: 'v-2', residentStatus: 'LOCAL', householdSize: 3 }),
      reserveBike: async () => {
        reserved += 1;
        return { bikeId: `b${reserved}`, bay: reserved };
      },
      returnBike: async () => undefined,
      notifyRider: async () => undefined,
      checkOutBike: async () => undefined,
      checkInBike: async () => undefined,
      recordCondition: async () => ({ conditionRecordId: 'c' }),
      openDoor: async (input: { bikeId: string }) => {
        if (input.bikeId === 'b2') throw businessRejection('BackendRejected', 'the bay door is jammed');
      },
      lookupBikeMove: async () => ({ found: true, status: 'MOVED' }),
      lookupCheckout: async () => ({ found: true, status: 'CHECKED_OUT' }),
      sendAlert: async () => undefined,
    });
    const handle = await env.start(bikeCheckout, [{ kioskId: 'kiosk-1', bikes: 2, credentialsPackage: 'sealed', paymentToken: null, sensorTimeoutMs: 30_000, visitorMaxBikes: 2, feePerBike: { amountMinor: 350, currency: 'EUR' }, tuning: fastTuning }], activities);
    for (const bikeId of ['b1', 'b2']) {
      await waitFor(`bike ${bikeId} on its way`, async () => ((await handle.query<any>('sagaState')).details.bikes ?? []).some((b: any) => b.bikeId === bikeId && b.status === 'ON_ITS_WAY'));
      await handle.executeUpdate(bikeSensedUpdate, { args: [{ bikeId }] });
    }
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', `ended ${view.status} (${view.error?.type} at ${view.error?.step})`);
    assert.equal((view.result as any)?.partial, true);
    assert.deepEqual((view.result as any)?.bikes.map((b: any) => b.bikeId), ['b1']);
    assert.equal(calls.filter((c) => c === 'returnBike').length, 1, `one bike given back: ${calls.join(', ')}`);
    assert.equal(calls.filter((c) => c === 'checkInBike').length, 1, `one bike checked in: ${calls.join(', ')}`);
  });
});
