/**
 * The bike checkout saga with mocked activities: bikes as units of their own, the door sensor's update,
 * the sensor timeout, and the visitor's fee as the pivot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BikeCheckoutInput } from '../../src/domain/bike-request';
import { bikeCheckout, bikeSensedUpdate } from '../../src/workflows';
import { operatorActionUpdate } from '../../src/workflows/messages';
import { waitFor } from '../support/http';
import { businessRejection, fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

const input = (overrides: Partial<BikeCheckoutInput> = {}): BikeCheckoutInput => ({
  kioskId: 'kiosk-1',
  bikes: 1,
  credentialsPackage: 'sealed',
  paymentToken: null,
  sensorTimeoutMs: 30_000,
  visitorMaxBikes: 2,
  feePerBike: { amountMinor: 350, currency: 'EUR' },
  tuning: fastTuning,
  ...overrides,
});

/** A kiosk whose storage brings bikes b1, b2, ... to bays 1, 2, ...; `overrides` replace single calls. */
function kiosk(residentStatus: 'LOCAL' | 'VISITOR', overrides: Record<string, (...args: never[]) => Promise<unknown>> = {}) {
  let next = 0;
  return mockActivities({
    verifyRider: async () => ({ verificationId: 'v-1', residentStatus, householdSize: 3 }),
    reserveBike: async () => {
      next += 1;
      return { bikeId: `b${next}`, bay: next };
    },
    returnBike: async () => undefined,
    notifyRider: async () => undefined,
    checkOutBike: async () => undefined,
    checkInBike: async () => undefined,
    recordCondition: async () => ({ conditionRecordId: `c${next}` }),
    openDoor: async () => undefined,
    authorizeFee: async () => ({ authorizationId: 'a-1' }),
    voidFee: async () => undefined,
    captureFee: async () => undefined,
    lookupBikeMove: async () => ({ found: false, status: null }),
    lookupCheckout: async () => ({ found: false, status: null }),
    lookupFee: async () => ({ found: false, status: null }),
    sendAlert: async () => undefined,
    ...overrides,
  });
}

const UNDOS = new Set(['returnBike', 'checkInBike', 'voidFee']);

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

/** Answers the door sensor for every bike the saga shows on its way, until the saga ends. */
async function sensors(handle: Awaited<ReturnType<WorkflowEnv['start']>>, bikes: number) {
  for (let n = 1; n <= bikes; n += 1) {
    await waitFor(`bike b${n} on its way`, async () => ((await handle.query<any>('sagaState')).details.bikes ?? []).some((b: any) => b.bikeId === `b${n}` && b.status === 'ON_ITS_WAY'));
    await handle.executeUpdate(bikeSensedUpdate, { args: [{ bikeId: `b${n}` }] });
  }
}

describe('bike checkout saga (mocked activities)', { concurrency: true }, () => {
  it('a local rider takes two bikes: each unit in turn, every door opened, no fee', async () => {
    const { activities, calls } = kiosk('LOCAL');
    const handle = await env.start(bikeCheckout, [input({ bikes: 2 })], activities);
    await sensors(handle, 2);
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(view.result?.bikes.map((b) => b.bikeId), ['b1', 'b2']);
    assert.deepEqual(calls.filter((c) => c === 'openDoor').length, 2);
    assert.ok(!calls.includes('authorizeFee') && !calls.includes('captureFee'));
    assert.deepEqual(view.steps.map((s) => s.name).filter((n) => n.startsWith('reserveBike')), ['reserveBike#1', 'reserveBike#2']);
  });

  it('a visitor: the fee is authorized first and captured last, the pivot', async () => {
    const { activities, calls } = kiosk('VISITOR');
    const handle = await env.start(bikeCheckout, [input({ paymentToken: 'tok_visa' })], activities);
    await sensors(handle, 1);
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.equal(calls[1], 'authorizeFee');
    assert.equal(calls.filter((c) => !c.startsWith('lookup')).at(-1), 'captureFee');
    assert.deepEqual(view.result?.fee, { amountMinor: 350, currency: 'EUR' });
  });

  it('the sensor never sees the bike: checked in, returned, fee voided, newest first', async () => {
    const { activities, calls } = kiosk('VISITOR');
    const view = await env.execute(bikeCheckout, [input({ paymentToken: 'tok_visa', sensorTimeoutMs: 300 })], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'SensorTimeout');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['checkInBike', 'returnBike', 'voidFee']);
    assert.ok(!calls.includes('openDoor') && !calls.includes('captureFee'));
  });

  it('a second bike refused by storage: the first, already out, stays with its rider; COMPLETED, partial', async () => {
    let reserved = 0;
    const { activities, calls } = kiosk('LOCAL', {
      reserveBike: async () => {
        reserved += 1;
        if (reserved === 2) throw businessRejection('KioskEmpty', 'no bike left');
        return { bikeId: 'b1', bay: 1 };
      },
    });
    const handle = await env.start(bikeCheckout, [input({ bikes: 2 })], activities);
    await sensors(handle, 1);
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual({ partial: view.result?.partial, stopped: view.result?.stopped?.type, out: view.result?.bikes.map((b) => b.bikeId) }, { partial: true, stopped: 'KioskEmpty', out: ['b1'] });
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), [], 'nothing of the bike that left is undone; the refused reserve moved nothing');
  });

  it('a visitor\'s second bike never sensed: only it comes back, and the fee of one bike is captured', async () => {
    const captured: unknown[] = [];
    const { activities, calls } = kiosk('VISITOR', { captureFee: async (input: never) => void captured.push(input) });
    const handle = await env.start(bikeCheckout, [input({ bikes: 2, paymentToken: 'tok_visa', sensorTimeoutMs: 2_000 })], activities);
    await sensors(handle, 1);
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['checkInBike', 'returnBike'], 'bike 2 only, and no void: the capture releases the rest');
    assert.deepEqual((captured as Array<{ amountMinor: number }>).map((c) => c.amountMinor), [350]);
    assert.deepEqual((view.details.bikes as Array<{ status: string }>).map((b) => b.status), ['DOOR_OPEN', 'RETURNED']);
  });

  it('a capture refused after the door opened: STUCK and alerted, the bike not "returned", and an operator\'s retry captures it', async () => {
    let expired = true;
    const captured: unknown[] = [];
    const { activities, calls } = kiosk('VISITOR', {
      captureFee: async (input: never) => {
        if (expired) throw businessRejection('InvalidState', 'the authorization expired');
        captured.push(input);
      },
    });
    const handle = await env.start(bikeCheckout, [input({ paymentToken: 'tok_visa' })], activities);
    await sensors(handle, 1);
    await waitFor('the capture to be STUCK', async () => (await handle.query<any>('sagaState')).steps.find((s: any) => s.name === 'captureFee')?.status === 'STUCK');
    await waitFor('the operator to be alerted', async () => calls.includes('sendAlert'));
    assert.equal((await handle.query<any>('sagaState')).status, 'RUNNING');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
    expired = false; // the operator renewed the authorization by hand
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'captureFee', operator: 'ops', reason: 'authorization renewed' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.equal(captured.length, 1);
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), [], 'the bike that left is never "returned", the fee never voided');
  });

  it('a door whose answer never came for the second bike: STUCK after the attempts bound, alerted, not sent again until an operator says so; COMPLETED after the retry; nothing of that bike undone', async () => {
    // The kiosk is away (connection reset): the door may have opened, so the bike may be with its rider.
    // The saga does not give up (it once ended FAILED within seconds), and it does not open a bay hours
    // later with nobody in front of it either: STUCK after `stuckAfterAttempts` tries in all (a long
    // backoff ceiling must not stretch that), then only an operator sends it again.
    let doors = 0;
    let kioskBack = false;
    const alerts: string[] = [];
    const { activities, calls } = kiosk('VISITOR', {
      openDoor: async () => {
        doors += 1;
        if (doors >= 2 && !kioskBack) throw new Error('connection reset');
      },
      sendAlert: async (alert: { kind: string; step: string | null }) => {
        alerts.push(`${alert.kind} ${alert.step}`);
      },
    });
    const tuning = { ...fastTuning, compensationBackoffMs: { initial: 10, max: 60_000 } };
    const handle = await env.start(bikeCheckout, [input({ bikes: 2, paymentToken: 'tok_visa', tuning })], activities);
    await sensors(handle, 2);
    await waitFor('the second door STUCK', async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'openDoor#2' && s.status === 'STUCK'), 20_000);
    await waitFor('alerted', async () => alerts.length > 0, 10_000);
    assert.deepEqual(alerts, ['STUCK openDoor#2']);
    assert.equal(doors - 1, fastTuning.stuckAfterAttempts, 'STUCK after the attempts bound, in all');
    const tried = doors;
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(doors, tried, 'not sent again while STUCK');
    kioskBack = true;
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'openDoor#2', operator: 'ops', reason: 'the rider is at bay 2, kiosk back' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.deepEqual(view.result?.bikes.map((b: any) => b.bikeId), ['b1', 'b2']);
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), [], 'the door may have opened: the bike may be with its rider');
    assert.ok(calls.includes('captureFee'), 'the fee is captured for both bikes');
  });

  it('a STUCK door an operator found shut (give-back): that bike given back, the first kept and its fee captured; give-back refused on a step that is no door', async () => {
    let doors = 0;
    const { activities, calls } = kiosk('VISITOR', {
      openDoor: async () => {
        doors += 1;
        if (doors >= 2) throw new Error('connection reset');
      },
    });
    const handle = await env.start(bikeCheckout, [input({ bikes: 2, paymentToken: 'tok_visa' })], activities);
    await sensors(handle, 2);
    await waitFor('the second door STUCK', async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'openDoor#2' && s.status === 'STUCK'), 20_000);
    await assert.rejects(
      handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'giveBack', step: 'reserveBike#1', operator: 'ops', reason: 'wrong step' }] }),
      (err: any) => /only for a unit's door/.test(String(err?.cause?.message ?? err?.message)),
    );
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'giveBack', step: 'openDoor#2', operator: 'ops', reason: 'bay 2 is shut, bike b2 still inside' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.equal(view.result?.partial, true);
    assert.deepEqual(view.result?.bikes.map((b: any) => b.bikeId), ['b1']);
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['checkInBike', 'returnBike'], 'only the second bike given back');
    assert.ok(calls.includes('captureFee'), 'the first bike left: its fee is captured');
    assert.equal(view.steps.find((s) => s.name === 'openDoor#2')?.status, 'FAILED');
    assert.deepEqual(view.audit?.map((a) => `${a.action} ${a.step}`), ['giveBack openDoor#2']);
  });

  it('a door refused outright for the second bike (it never opened): that bike given back, the first kept, no STUCK', async () => {
    let doors = 0;
    const { activities, calls } = kiosk('LOCAL', {
      openDoor: async () => {
        doors += 1;
        if (doors >= 2) throw businessRejection('DoorJammed', 'bay 2 door is jammed');
      },
    });
    const handle = await env.start(bikeCheckout, [input({ bikes: 2 })], activities);
    await sensors(handle, 2);
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.equal(view.result?.partial, true);
    assert.deepEqual(view.result?.bikes.map((b: any) => b.bikeId), ['b1']);
    assert.ok(!view.steps.some((s) => s.status === 'STUCK'));
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['checkInBike', 'returnBike'], 'only the second bike given back');
  });

  it('asks for more bikes than a visitor may take: refused before anything is held', async () => {
    const { activities, calls } = kiosk('VISITOR');
    const view = await env.execute(bikeCheckout, [input({ bikes: 3, paymentToken: 'tok_visa' })], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'TooManyBikes');
    assert.deepEqual(calls, ['verifyRider']);
  });
});
