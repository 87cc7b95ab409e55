/**
 * The class registration saga with mocked activities: the allocator's decision arrives as its signal,
 * the drop period runs until the window closes, and every way out undoes what was done, newest first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeatDecision } from '../../src/domain/allocation';
import type { ClassRegistrationInput } from '../../src/domain/class-request';
import { cancelUpdate, classRegistration, seatDecisionSignal } from '../../src/workflows';
import { waitFor } from '../support/http';
import { businessRejection, fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

const input = (): ClassRegistrationInput => ({
  studentId: 's-1001',
  sectionId: 'CS-101',
  tuition: { amountMinor: 45_000, currency: 'EUR' },
  tuning: fastTuning,
  allocatorMaxHistory: 5_000,
});

/** A registrar and an allocator that file everything; the window closes `windowMs` after filing. */
function campus(windowMs: number, overrides: Record<string, (...args: never[]) => Promise<unknown>> = {}) {
  return mockActivities({
    fetchRegistrationDate: async () => ({ registeredAt: '2024-09-01T00:00:00.000Z' }),
    notifyPriority: async () => undefined,
    fileWithAllocator: async () => ({ sectionId: 'CS-101', capacity: 30, allocationAt: new Date().toISOString(), windowClosesAt: new Date(Date.now() + windowMs).toISOString() }),
    releaseSeat: async () => undefined,
    enroll: async () => ({ enrollmentId: 'e-1' }),
    dropEnrollment: async () => undefined,
    lookupEnrollment: async () => ({ found: false, status: null }),
    placeCharge: async () => ({ chargeId: 'ch-1' }),
    releaseCharge: async () => undefined,
    lookupCharge: async () => ({ found: false, status: null }),
    notifyEnrolled: async () => undefined,
    sendAlert: async () => undefined,
    ...overrides,
  });
}

const UNDOS = new Set(['releaseSeat', 'dropEnrollment', 'releaseCharge']);

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

async function filed(handle: Awaited<ReturnType<WorkflowEnv['start']>>) {
  await waitFor('the request filed', async () => (await handle.query<any>('sagaState')).details.stage === 'FILED');
}

async function decide(handle: Awaited<ReturnType<WorkflowEnv['start']>>, decision: SeatDecision) {
  await handle.signal(seatDecisionSignal, decision);
}

describe('class registration saga (mocked activities)', { concurrency: true }, () => {
  it('waitlisted at 3 (shown in the view), then granted: enrolled, billed, COMPLETED when the window closes', async () => {
    const { activities, calls } = campus(1_000);
    const handle = await env.start(classRegistration, [input()], activities);
    await filed(handle);
    await decide(handle, { status: 'WAITLISTED', position: 3 });
    await waitFor('position 3 in the view', async () => (await handle.query<any>('sagaState')).details.waitlistPosition === 3);
    await decide(handle, { status: 'GRANTED' });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(view.result, { sectionId: 'CS-101', studentId: 's-1001', registeredAt: '2024-09-01T00:00:00.000Z', enrollmentId: 'e-1', chargeId: 'ch-1' });
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
  });

  it('waitlisted while the filing is still answering (the allocator told it first): the view says waitlisted, not filed', async () => {
    // The allocator decides as soon as it is filed with, and its signal can reach the saga before the
    // filing's own answer does. The desk once showed "Filed; waiting for the section" to a waitlisted student.
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((r) => (answer = r));
    const { activities } = campus(60_000, {
      fileWithAllocator: async () => {
        await answered;
        return { sectionId: 'CS-101', capacity: 1, allocationAt: new Date(Date.now() - 1_000).toISOString(), windowClosesAt: new Date(Date.now() + 60_000).toISOString() };
      },
    });
    const handle = await env.start(classRegistration, [input()], activities);
    await waitFor('the filing sent', async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'fileWithAllocator'));
    await decide(handle, { status: 'WAITLISTED', position: 1 });
    await waitFor('waitlisted in the view', async () => (await handle.query<any>('sagaState')).details.stage === 'WAITLISTED');
    answer();
    await waitFor('the filing answered', async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'fileWithAllocator' && s.status === 'SUCCEEDED'));
    const { details } = await handle.query<any>('sagaState');
    assert.equal(details.stage, 'WAITLISTED', 'the filing\'s answer does not hide the decision that came before it');
    assert.equal(details.waitlistPosition, 1);
    await decide(handle, { status: 'CLOSED' });
    assert.equal((await handle.result()).status, 'COMPENSATED');
  });

  it('the window closes before a seat is free: the place in line is given back, nothing else was done', async () => {
    const { activities, calls } = campus(60_000);
    const handle = await env.start(classRegistration, [input()], activities);
    await filed(handle);
    await decide(handle, { status: 'CLOSED' });
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'WindowClosed');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['releaseSeat']);
    assert.ok(!calls.includes('enroll'));
  });

  it('billing refused (an account hold): the enrollment dropped, then the seat given back', async () => {
    const { activities, calls } = campus(60_000, {
      placeCharge: async () => {
        throw businessRejection('AccountHold', 'the student has an account hold');
      },
    });
    const handle = await env.start(classRegistration, [input()], activities);
    await filed(handle);
    await decide(handle, { status: 'GRANTED' });
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'AccountHold');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['dropEnrollment', 'releaseSeat']);
  });

  it('a cancel in the drop period is a drop: charge released, enrollment dropped, seat given back', async () => {
    const { activities, calls } = campus(60_000);
    const handle = await env.start(classRegistration, [input()], activities);
    await filed(handle);
    await decide(handle, { status: 'GRANTED' });
    await waitFor('enrolled', async () => (await handle.query<any>('sagaState')).details.stage === 'ENROLLED');
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'dropping the class' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'Cancelled');
    assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['releaseCharge', 'dropEnrollment', 'releaseSeat']);
  });
});
