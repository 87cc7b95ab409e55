/**
 * Found by the simulation (`npm run simulate -- --type bikeCheckout --seed 21 --path 42`, on the replaying
 * worker): the rider cancels just as the door sensor sees the bike, and both reach the saga in the same
 * workflow task, the sensor first. The cancel was accepted (nothing had passed its point of no return), but
 * the wait for the sensor had already ended, so the saga went on to open the door: Saga.passUnit kept the
 * unit, the door call failed at once in the cancelled scope, and the saga ended FAILED for an operator with
 * the fee authorized and the bike reserved and checked out behind a door that was never sent. Now a unit is
 * not passed once the saga was stopped (Patches.noPassAfterStop): it compensates, as the cancel said.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { bikeCheckout, bikeSensedUpdate, cancelUpdate } from '../../src/workflows';
import { fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('bike checkout: a cancel that arrives with the door sensor', () => {
  it('the sensor and then the cancel in one workflow task: the door is never sent, the bike goes back, COMPENSATED', async () => {
    let recording: () => void = () => undefined;
    const recorded = new Promise<void>((resolve) => (recording = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { activities, calls } = mockActivities({
      verifyRider: async () => ({ verificationId: 'v-1', residentStatus: 'LOCAL', householdSize: 3 }),
      reserveBike: async () => ({ bikeId: 'b1', bay: 1 }),
      returnBike: async () => undefined,
      notifyRider: async () => undefined,
      checkOutBike: async () => undefined,
      checkInBike: async () => undefined,
      // A local step: while it runs the workflow task stays open, so the two updates sent meanwhile are
      // delivered together in the next one, in the order they were sent.
      recordCondition: async () => {
        recording();
        await released;
        return { conditionRecordId: 'c1' };
      },
      openDoor: async () => undefined,
      lookupBikeMove: async () => ({ found: true, status: 'MOVED' }),
      lookupCheckout: async () => ({ found: true, status: 'CHECKED_OUT' }),
      sendAlert: async () => undefined,
    });
    const handle = await env.start(bikeCheckout, [{ kioskId: 'kiosk-1', bikes: 1, credentialsPackage: 'sealed', paymentToken: null, sensorTimeoutMs: 30_000, visitorMaxBikes: 2, feePerBike: { amountMinor: 350, currency: 'EUR' }, tuning: fastTuning }], activities);
    await recorded;
    const sensed = handle.executeUpdate(bikeSensedUpdate, { args: [{ bikeId: 'b1' }] }).catch((err: Error) => err);
    await sleep(300);
    const cancelled = handle.executeUpdate(cancelUpdate, { args: [{ reason: 'the rider changed their mind' }] }).catch((err: Error) => err);
    await sleep(300);
    release();
    const [sensedAnswer, cancelAnswer] = await Promise.all([sensed, cancelled]);
    const view = await handle.result();
    assert.ok(!(cancelAnswer instanceof Error), `the cancel was refused: ${String(cancelAnswer)} (sensor: ${String(sensedAnswer)})`);
    assert.equal(view.status, 'COMPENSATED', `ended ${view.status} (${view.error?.type} at ${view.error?.step}): ${view.steps.map((s) => `${s.name}=${s.status}`).join(' ')}`);
    assert.ok(!calls.includes('openDoor'), `the door was sent after the cancel: ${calls.join(', ')}`);
    assert.ok(calls.includes('returnBike') && calls.includes('checkInBike'), `the bike was not given back: ${calls.join(', ')}`);
  });
});
