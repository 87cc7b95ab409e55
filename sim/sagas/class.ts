import fc from 'fast-check';
import type { ClassRegistrationInput } from '../../src/domain/class-request';
import type { SeatDecision } from '../../src/domain/allocation';
import { classRegistration, classSteps } from '../../src/workflows/class-registration';
import { seatDecisionSignal } from '../../src/workflows/messages';
import type { CallSpecs } from '../backend-calls';
import { engineSpecs, moneyIn, plansFrom, simTuning, type SagaSim, type SimContext } from '../saga-sim';

interface Params {
  /** What the allocator answers once the request is filed, and how long after. */
  decision: 'GRANTED' | 'WAITLISTED' | 'CLOSED' | 'DUPLICATE';
  decisionMs: number;
  /** The add/drop period: the window closes this long after the request is filed. */
  windowMs: number;
}

const TUITION = 50_000;

export const classSim: SagaSim<Params> = {
  name: 'classRegistration',
  workflow: classRegistration,
  plans: plansFrom(classSteps),
  params: fc.record({
    decision: fc.constantFrom('GRANTED' as const, 'GRANTED' as const, 'WAITLISTED' as const, 'CLOSED' as const, 'DUPLICATE' as const),
    decisionMs: fc.integer({ min: 0, max: 500 }),
    windowMs: fc.integer({ min: 100, max: 1_500 }),
  }),
  updates: false,
  specs: ({ decision, decisionMs, windowMs }, ctx: SimContext): CallSpecs => {
    const decide = (d: SeatDecision, ms: number) => ctx.later(ms, (h) => h.signal(seatDecisionSignal, d), `seat ${d.status}`);
    return {
      fetchRegistrationDate: { phase: 'plain', backend: 'registrar', answer: () => ({ studentId: 's-1001', registeredAt: '2020-01-01T00:00:00Z' }), refusals: ['UnknownStudent'] },
      notifyPriority: { phase: 'plain', backend: 'notifications' },
      notifyEnrolled: { phase: 'plain', backend: 'notifications' },
      fileWithAllocator: {
        phase: 'forward',
        backend: 'allocator',
        status: 'FILED',
        answer: (i) => ({ sectionId: i.sectionId, capacity: 10, allocationAt: new Date().toISOString(), windowClosesAt: new Date(Date.now() + windowMs).toISOString() }),
        refusals: ['UnknownSection'],
        onApplied: () => {
          // The allocator's signals arrive in the order it sent them: one after the other.
          if (decision === 'WAITLISTED') {
            ctx.later(decisionMs, async (h) => {
              await h.signal(seatDecisionSignal, { status: 'WAITLISTED', position: 1 });
              await h.signal(seatDecisionSignal, { status: 'GRANTED' });
            }, 'seat WAITLISTED then GRANTED');
          } else decide({ status: decision }, decisionMs);
        },
      },
      releaseSeat: { phase: 'undo', backend: 'allocator', status: 'RELEASED' },
      enroll: { phase: 'forward', backend: 'registrar', status: 'ENROLLED', answer: (_i, key) => ({ enrollmentId: `enr-${key.slice(-6)}` }), refusals: ['SectionFull'] },
      dropEnrollment: { phase: 'undo', backend: 'registrar', status: 'DROPPED' },
      lookupEnrollment: { phase: 'probe', backend: 'registrar' },
      placeCharge: {
        phase: 'forward',
        backend: 'billing',
        status: 'CHARGED',
        answer: (_i, key) => ({ chargeId: `chg-${key.slice(-6)}` }),
        amountMinor: (i) => i.amount.amountMinor,
        refusals: ['AccountHold'],
      },
      releaseCharge: { phase: 'undo', backend: 'billing', status: 'RELEASED' },
      lookupCharge: { phase: 'probe', backend: 'billing' },
      ...engineSpecs,
    };
  },
  args: (): [ClassRegistrationInput] => [{ studentId: 's-1001', sectionId: 'sec-sim', tuition: { amountMinor: TUITION, currency: 'EUR' }, tuning: simTuning, allocatorMaxHistory: 1_000 }],
  // The tuition is billed, not captured: a completed registration holds one charge of the tuition.
  told: () => TUITION,
  taken: (world) => moneyIn(world, 'billing', 'CHARGED'),
  expectsPivot: () => false,
  required: ['event cancel accepted', 'world seat GRANTED', 'world seat WAITLISTED then GRANTED', 'world seat CLOSED', 'final error WindowClosed', 'final error AlreadyRegistered', 'phase undo', 'phase probe'],
};
