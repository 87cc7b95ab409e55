/**
 * Class registration with priority seating: one saga per request, as submitted.
 *
 *   held (the request as submitted, visible in the view)
 *   fetchRegistrationDate ........ the student's registration date is their priority
 *   notifyPriority
 *   fileWithAllocator ............ undo releaseSeat (the seat, or the place in line, goes to the next)
 *   awaitSeat: granted, or waitlisted (position shown) until granted or the window closes
 *   enroll ....................... undo dropEnrollment
 *   placeCharge .................. undo releaseCharge (a student with an account hold cannot be billed)
 *   notifyEnrolled
 *   addDropPeriod: enrolled until the window closes; a cancel meanwhile is a drop
 *
 * A closed window, a billing refusal or a cancel undoes what was done and ends COMPENSATED.
 */
import { condition, setHandler, sleep } from '@temporalio/workflow';
import type { ClassActivities } from '../activities/class-activities';
import type { SeatDecision } from '../domain/allocation';
import type { ClassRegistrationInput, ClassRegistrationResult } from '../domain/class-request';
import { FailureType } from '../domain/failures';
import { formatMoney } from '../domain/money';
import type { SagaView } from '../domain/saga';
import { activityOptions } from './activity-options';
import { seatDecisionSignal } from './messages';
import { Saga } from './saga';
import { declareSteps } from './steps';

export const classSteps = declareSteps<ClassActivities>()({
  fetchRegistrationDate: { legacy: { activity: 'fetchStudent' } },
  notifyPriority: { legacy: { activity: 'notifyStudent' } },
  fileWithAllocator: {
    undo: 'releaseSeat',
    undoWith: ({ sectionId }) => ({ sectionId }),
    summary: ({ sectionId }) => `File with the allocator of ${sectionId}`,
    legacy: { activity: 'fileSeatRequest' },
  },
  enroll: { undo: 'dropEnrollment', probe: 'lookupEnrollment', undone: ['DROPPED'], legacy: { activity: 'enrollStudent' } },
  placeCharge: {
    undo: 'releaseCharge',
    probe: 'lookupCharge',
    undone: ['RELEASED'],
    summary: ({ amount }) => `Bill ${formatMoney(amount)} tuition`,
    legacy: { activity: 'placeTuitionCharge', undo: 'releaseTuitionCharge' },
  },
  notifyEnrolled: { legacy: { activity: 'notifyStudent' } },
});

export async function classRegistration(input: ClassRegistrationInput): Promise<SagaView<ClassRegistrationResult>> {
  const saga = new Saga<ClassActivities, typeof classSteps>({ type: 'class-registration', tuning: input.tuning, ...activityOptions }, classSteps);
  const { studentId, sectionId } = input;
  let decision: SeatDecision | null = null;
  let filedBefore: string | null = null;
  setHandler(seatDecisionSignal, (next) => {
    const first = decision === null;
    decision = next;
    saga.annotate({ stage: next.status, waitlistPosition: next.status === 'WAITLISTED' ? next.position : null });
    if (first && filedBefore) saga.annotate(movedAllocation(filedBefore));
  });
  saga.annotate({ stage: 'HELD', request: { studentId, sectionId } });

  return saga.run(async () => {
    const student = await saga.step('fetchRegistrationDate', { studentId });
    // The priority is added to the request as it was submitted: earlier registration, higher priority.
    saga.annotate({ stage: 'PRIORITIZED', priority: student.registeredAt, request: { studentId, sectionId, priority: student.registeredAt } });
    await saga.step('notifyPriority', { studentId, template: 'registration-priority', data: { sectionId, priority: student.registeredAt } });
    const request = { sagaId: saga.id, studentId, registeredAt: student.registeredAt, submittedAt: Date.now() };
    const section = await saga.step('fileWithAllocator', { sectionId, request, maxHistory: input.allocatorMaxHistory });
    // The allocator's decision can reach the saga before the filing's own answer: the view keeps it.
    saga.annotate({ stage: decision ? (decision as SeatDecision).status : 'FILED', allocationAt: section.allocationAt, windowClosesAt: section.windowClosesAt });
    if (Date.now() < Date.parse(section.allocationAt) && decision === null) filedBefore = section.allocationAt;
    await saga.track('awaitSeat', async () => {
      await condition(() => decision !== null && decision.status !== 'WAITLISTED');
      const final = decision as SeatDecision | null;
      if (final?.status === 'CLOSED') saga.reject(FailureType.WindowClosed, `the registration window of ${sectionId} closed before a seat was free`);
      if (final?.status === 'DUPLICATE') saga.reject(FailureType.AlreadyRegistered, `${studentId} already has a live registration for ${sectionId}`);
    });
    const { enrollmentId } = await saga.step('enroll', { studentId, sectionId });
    const { chargeId } = await saga.step('placeCharge', { studentId, sectionId, amount: input.tuition });
    await saga.step('notifyEnrolled', { studentId, template: 'registration-enrolled', data: { sectionId } });
    saga.annotate({ stage: 'ENROLLED' });
    await saga.track('addDropPeriod', () => sleep(Math.max(Date.parse(section.windowClosesAt) - Date.now(), 0)));
    return { sectionId, studentId, registeredAt: student.registeredAt, enrollmentId, chargeId };
  });
}

/**
 * A request filed before its section's allocation hears its first decision at the allocation itself: when
 * that is not the time the allocator gave at filing, a registrar moved it (moveAllocation), and the view
 * shows when seats were given out. A pure view change: no command, no patch.
 */
function movedAllocation(filedAllocationAt: string): { allocationAt?: string } {
  const now = Date.now();
  return Math.abs(now - Date.parse(filedAllocationAt)) > MOVED_AFTER_MS ? { allocationAt: new Date(now).toISOString() } : {};
}

/** Later than this after the filed time, a decision is a moved allocation, not the allocator's latency. */
const MOVED_AFTER_MS = 2_000;
